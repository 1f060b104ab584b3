# Shared by the lanes that work on a kept cluster (sourced once CLUSTER_NAME is set, or before it is used).

kc() { docker exec -i "$CLUSTER_NAME-control-plane" kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"; }

# dns_free_worker [NODE] prints a worker that runs no CoreDNS pod (NODE when given). The lanes
# break one node and need DNS to keep answering for the others. CoreDNS starts once calico-node
# is ready on every node, so the scheduler may put both replicas on the workers: then CoreDNS is
# moved off the worker (cordoned while CoreDNS restarts).
dns_free_worker() {
  local dns n rc
  dns=$(kc -n kube-system get pods -l k8s-app=kube-dns -o jsonpath='{.items[*].spec.nodeName}') || return 1
  for n in ${1:-"$CLUSTER_NAME-worker" "$CLUSTER_NAME-worker2"}; do
    case " $dns " in *" $n "*) ;; *) echo "$n"; return 0 ;; esac
  done
  n=${1:-$CLUSTER_NAME-worker}
  kc cordon "$n" >/dev/null || return 1
  kc -n kube-system rollout restart deployment coredns >/dev/null &&
    kc -n kube-system rollout status deployment coredns --timeout=120s >/dev/null &&
    kc -n kube-system wait --for=delete pod -l k8s-app=kube-dns --field-selector "spec.nodeName=$n" --timeout=60s >/dev/null
  rc=$?
  kc uncordon "$n" >/dev/null || return 1
  [ $rc -eq 0 ] && echo "$n"
}
