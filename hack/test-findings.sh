#!/bin/bash
# Findings name the cause from the evidence (and make diag gives the same outside a run): on one
# kept MODE=vxlan cluster, a healthy run has
# no findings; then each fault below is injected into a real node or object, a run must fail and
# name the fault (its finding id and node, or the setup's verdict), the fault is removed, and a
# healthy run at the end has no findings again. Prints the rate named / injected.
set -uo pipefail
cd "$(dirname "$0")/.."
export MODE=vxlan IMAGES=${IMAGES:-source} PROVIDER=kind SKIP_IMAGES=${SKIP_IMAGES:-0} ROUTER=0
export RUN_ID=$(bin/calico-e2e run-id findings) CELL_TIMEOUT=${CELL_TIMEOUT:-6s} MAX_CAPTURES=0
export LABEL_FILTER=${LABEL_FILTER:-'((scenario:pod-to-pod && proto:tcp) || (scenario:dns && dns:fqdn)) && src-os:linux && dst-os:linux'}
trap 'bin/calico-e2e env >/dev/null 2>&1 && bin/calico-e2e down >/dev/null 2>&1' EXIT
fail() { echo "FAIL: $*"; exit 1; }
hack/e2e-up.sh >"/tmp/$RUN_ID-up.log" 2>&1 || { tail -20 "/tmp/$RUN_ID-up.log"; fail "the cluster did not come up"; }
eval "$(ARTIFACTS=/unused bin/calico-e2e env | grep -E '^CLUSTER_NAME=')"
. hack/lane-lib.sh
worker=$(dns_free_worker) || fail "could not find or make a worker without CoreDNS"
other=$CLUSTER_NAME-worker2; [ "$worker" != "$other" ] || other=$CLUSTER_NAME-worker

injected=0; named=0
run() { # NAME: one suite run; output in /tmp/$RUN_ID-NAME.log, exit code in $rc
  hack/e2e-run.sh >"/tmp/$RUN_ID-$1.log" 2>&1; rc=$?
}
healthy() { # NAME: with the path-MTU cell too (its MTU checks stay silent on a healthy cluster)
  LABEL_FILTER="($LABEL_FILTER) || (scenario:mtu && placement:other-node)" run "$1"
  [ $rc -eq 0 ] || { tail -40 "/tmp/$RUN_ID-$1.log"; fail "$1: a healthy cluster failed"; }
  ! grep -q '^finding:' "/tmp/$RUN_ID-$1.log" || fail "$1: a healthy run has findings: $(grep '^finding:' "/tmp/$RUN_ID-$1.log")"
  echo "$1: passed, no findings ($(grep '^cells:' "/tmp/$RUN_ID-$1.log"))"
}
expect() { # NAME PATTERN: the run failed and its output names the fault
  injected=$((injected + 1))
  if [ $rc -ne 0 ] && grep -qE -- "$2" "/tmp/$RUN_ID-$1.log"; then
    named=$((named + 1)); echo "$1: named: $(grep -m1 -oE -- "$2.{0,160}" "/tmp/$RUN_ID-$1.log")"
  else
    echo "$1: NOT named (exit $rc; wanted /$2/); what it said:"; grep -E '^(finding|likely cause):|setup:' "/tmp/$RUN_ID-$1.log" | head -5 | cut -c1-300
  fi
}

healthy healthy-before

# 1. VXLAN dropped on the worker (a table of our own: Felix's iptables chain accepts VXLAN first)
docker exec -i "$worker" nft -f - <<'NFT'
table inet e2e_fault {
  chain prerouting {
    type filter hook prerouting priority -400; policy accept;
    udp dport 4789 counter drop
  }
}
NFT
run vxlan-dropped; docker exec "$worker" nft delete table inet e2e_fault
expect vxlan-dropped "\[vxlan-dropped\] node $worker:"

# 2. IP forwarding off on the worker
docker exec "$worker" sysctl -qw net.ipv4.ip_forward=0
run ip-forward
# make diag on the broken cluster, outside any spec: the same finding, within its time bound
bin/calico-e2e diag >"/tmp/$RUN_ID-diag-fault.log" 2>&1 || { cat "/tmp/$RUN_ID-diag-fault.log"; fail "make diag failed on the broken cluster"; }
docker exec "$worker" sysctl -qw net.ipv4.ip_forward=1
grep -q "^finding: \[ip-forward-disabled\] node $worker:" "/tmp/$RUN_ID-diag-fault.log" || { cat "/tmp/$RUN_ID-diag-fault.log"; fail "make diag did not name ip-forward-disabled on $worker"; }
echo "make diag (ip_forward off): $(head -1 "/tmp/$RUN_ID-diag-fault.log")"
expect ip-forward "\[ip-forward-disabled\] node $worker:"

# 3. a blackhole route on the worker covering half of another node's pod block
blk=$(kc get blockaffinities.crd.projectcalico.org -o jsonpath="{range .items[?(@.spec.node=='$other')]}{.spec.cidr}{'\n'}{end}" | head -1)
[ -n "$blk" ] || fail "no pod block of $other"
half=${blk%/*}/$(( ${blk#*/} + 1 ))
docker exec "$worker" ip route add blackhole "$half"
run route-shadow; docker exec "$worker" ip route del blackhole "$half"
expect route-shadow "\[route-shadows-block\] node $worker:.*$blk"

# 4. a Calico GlobalNetworkPolicy denying ingress to the probe pods
kc apply -f - >/dev/null <<'YAML'
apiVersion: crd.projectcalico.org/v1
kind: GlobalNetworkPolicy
metadata: {name: e2e-fault-deny-probes}
spec:
  selector: has(e2e.calico-conformance.io/role)
  types: [Ingress]
YAML
run policy; kc delete globalnetworkpolicies.crd.projectcalico.org e2e-fault-deny-probes >/dev/null
expect policy "\[policy-selects-probes\] Calico GlobalNetworkPolicy e2e-fault-deny-probes"

# 5. CoreDNS scaled to zero
kc -n kube-system scale deployment coredns --replicas=0 >/dev/null
kc -n kube-system wait --for=delete pod -l k8s-app=kube-dns --timeout=60s >/dev/null 2>&1
run dns; kc -n kube-system scale deployment coredns --replicas=2 >/dev/null
expect dns "\[dns-no-endpoints\]"
kc -n kube-system rollout status deployment coredns --timeout=120s >/dev/null || fail "CoreDNS did not come back"
dns_free_worker "$worker" >/dev/null || fail "could not move CoreDNS off $worker"

# 6. Felix stopped on the worker: the setup names the node before any spec runs
cn=$(kc -n kube-system get pods -l k8s-app=calico-node --field-selector spec.nodeName="$worker" -o jsonpath='{.items[0].metadata.name}')
kc -n kube-system exec "$cn" -c calico-node -- sv stop felix >/dev/null || fail "could not stop Felix on $worker"
for _ in $(seq 1 60); do [ "$(kc -n kube-system get pod "$cn" -o jsonpath='{.status.containerStatuses[0].ready}')" = false ] && break; sleep 1; done
start=$(date +%s); run felix; took=$(( $(date +%s) - start ))
kc -n kube-system exec "$cn" -c calico-node -- sv start felix >/dev/null
expect felix "node $worker: calico-node [^ ]* is not ready"
echo "  (the setup's verdict came ${took}s after the run started)"
kc -n kube-system rollout status daemonset calico-node --timeout=120s >/dev/null || fail "calico-node did not recover on $worker"

# 7. the pool switched to another encapsulation than MODE
kc patch ippools.crd.projectcalico.org default-ipv4-ippool --type merge -p '{"spec":{"vxlanMode":"Never"}}' >/dev/null
run pool-mode; kc patch ippools.crd.projectcalico.org default-ipv4-ippool --type merge -p '{"spec":{"vxlanMode":"Always"}}' >/dev/null
expect pool-mode "MODE=vxlan, but the cluster runs"

# 8. pods' MTU larger than the tunnel: veth_mtu 1500 in calico-config over a 1500 underlay (VXLAN
#    needs 50 bytes); new pods get 1500 while vxlan.calico keeps Calico's detected 1450
kc -n kube-system patch cm calico-config --type merge -p '{"data":{"veth_mtu":"1500"}}' >/dev/null || fail "patch veth_mtu"
kc -n kube-system rollout restart daemonset calico-node >/dev/null
kc -n kube-system rollout status daemonset calico-node --timeout=180s >/dev/null || fail "calico-node did not restart"
LABEL_FILTER='scenario:mtu && placement:other-node' run pod-mtu
grep -q "message too long, mtu=1450" "/tmp/$RUN_ID-pod-mtu.log" || fail "pod-mtu: the don't-fragment probe did not report ping's 'message too long, mtu=1450'"
grep -q "has MTU 1500, plus 50 bytes of vxlan encapsulation is 1550, over the MTU 1500 of eth0" "/tmp/$RUN_ID-pod-mtu.log" || fail "pod-mtu: the MTU check did not name pod MTU + VXLAN over the underlay"
kc -n kube-system patch cm calico-config --type merge -p '{"data":{"veth_mtu":"0"}}' >/dev/null
kc -n kube-system rollout restart daemonset calico-node >/dev/null
kc -n kube-system rollout status daemonset calico-node --timeout=180s >/dev/null || fail "calico-node did not restart"
expect pod-mtu "\[pod-mtu-exceeds-tunnel\] node $worker: [0-9]+ pod interface\(s\) have MTU up to 1500 but vxlan.calico carries 1450"

# 9. kube-proxy gone from the worker (the DaemonSet's affinity keeps it off that node): the
#    fixture's new ClusterIPs get no rules there, so Services from the worker's pods break
kc -n kube-system patch ds kube-proxy --type merge -p "{\"spec\":{\"template\":{\"spec\":{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\",\"operator\":\"NotIn\",\"values\":[\"$worker\"]}]}]}}}}}}}" >/dev/null || fail "patch kube-proxy"
kc -n kube-system rollout status ds kube-proxy --timeout=120s >/dev/null || fail "kube-proxy did not roll out without $worker"
LABEL_FILTER='scenario:pod-to-clusterip && proto:tcp && src-os:linux && dst-os:linux' run kube-proxy
kc -n kube-system patch ds kube-proxy --type json -p '[{"op":"remove","path":"/spec/template/spec/affinity"}]' >/dev/null || fail "restore kube-proxy"
kc -n kube-system rollout status ds kube-proxy --timeout=120s >/dev/null || fail "kube-proxy did not come back"
grep -q "^finding: \[service-rules-missing\] node $worker:" "/tmp/$RUN_ID-kube-proxy.log" || fail "kube-proxy: no service-rules-missing finding for $worker"
expect kube-proxy "\[kube-proxy-missing\] node $worker:"

# 10. the worker's routes to another node's pod blocks deleted. Felix puts them back at its next
#     route refresh (measured: 71 s after a deletion), so a per-node FelixConfiguration with
#     routeRefreshInterval 0 keeps them missing for the run. Felix restarts for that change and
#     resyncs once: the routes are deleted after the new Felix is ready.
felix_pid() { docker exec "$worker" pgrep -f 'calico-node -felix'; }
cn=$(kc -n kube-system get pods -l k8s-app=calico-node --field-selector spec.nodeName="$worker" -o jsonpath='{.items[0].metadata.name}')
pid=$(felix_pid) || fail "no Felix process on $worker"
kc apply -f - >/dev/null <<YAML || fail "per-node FelixConfiguration"
apiVersion: crd.projectcalico.org/v1
kind: FelixConfiguration
metadata: {name: node.$worker}
spec: {routeRefreshInterval: 0s}
YAML
for _ in $(seq 1 60); do now=$(felix_pid) && [ "$now" != "$pid" ] && kc -n kube-system exec "$cn" -c calico-node -- calico-node -felix-ready >/dev/null 2>&1 && break; sleep 1; done
[ "${now:-$pid}" != "$pid" ] || fail "Felix on $worker did not restart for routeRefreshInterval"
blocks=$(kc get blockaffinities.crd.projectcalico.org -o jsonpath="{range .items[?(@.spec.node=='$other')]}{.spec.cidr}{'\n'}{end}")
blk1=${blocks%%$'\n'*}
saved=$(docker exec "$worker" ip route show | grep -E "^($(echo $blocks | tr ' ' '|')) ")
[ -n "$saved" ] || fail "no route to $other's blocks ($blocks) on $worker"
for b in $blocks; do docker exec "$worker" ip route del "$b" || fail "no route to $b on $worker"; done
# Once in CI Felix put the routes back during the run all the same (what made it resync was not
# identified): the routes are kept deleted while the run lasts, and the lane says how often
docker exec -d "$worker" sh -c "echo 0 >/tmp/e2e-hold-routes.n; while :; do for b in $(echo $blocks); do ip route del \$b 2>/dev/null && echo \$((\$(cat /tmp/e2e-hold-routes.n) + 1)) >/tmp/e2e-hold-routes.n; done; sleep 0.2; done # e2e-hold-routes"
run remote-block
docker exec "$worker" pkill -f e2e-hold-routes
again=$(docker exec "$worker" cat /tmp/e2e-hold-routes.n)
[ "${again:-0}" -eq 0 ] || echo "remote-block: Felix put a deleted route back $again time(s) during the run; deleted again each time"
expect remote-block "\[remote-block-missing\] node $worker: the node has no route to $blk1"

# 11. the routes put back by hand, the FDB entry of the other node's VTEP deleted instead (Felix's
#     refresh still held off): the route leads into vxlan.calico, which has no outer destination
while read -r line; do docker exec "$worker" ip route replace $line || fail "restore route $line"; done <<<"$saved"
vtep=$(docker exec "$worker" ip route show "$blk1" | awk '{print $3}')
mac=$(docker exec "$worker" ip neigh show dev vxlan.calico "$vtep" | awk '{print $3}')
[ -n "$mac" ] || fail "no neighbour entry for $other's VTEP $vtep on $worker"
docker exec "$worker" bridge fdb del "$mac" dev vxlan.calico || fail "no FDB entry for $mac on $worker"
run vxlan-fdb
kc delete felixconfigurations.crd.projectcalico.org "node.$worker" >/dev/null
for _ in $(seq 1 60); do docker exec "$worker" bridge fdb show dev vxlan.calico | grep -q "^$mac " && break; sleep 1; done
docker exec "$worker" bridge fdb show dev vxlan.calico | grep -q "^$mac " || fail "Felix did not put the FDB entry back on $worker"
expect vxlan-fdb "\[vxlan-peer-missing\] node $worker: block $blk1 \(node $other\) goes to VTEP $vtep \(MAC $mac\), which has no FDB entry"

healthy healthy-after

# make diag on the healthy cluster: no findings, within 60 s; also as PROVIDER=existing (no run
# record, only the kubeconfig)
kubeconfig=$(ARTIFACTS=/unused bin/calico-e2e env | sed -n 's/^KUBECONFIG="\(.*\)"$/\1/p')
diag_check() { # NAME: the diag output in /tmp/$RUN_ID-NAME.log
  grep -q '^findings: none' "/tmp/$RUN_ID-$1.log" || { cat "/tmp/$RUN_ID-$1.log"; fail "$1: make diag found causes on a healthy cluster"; }
  secs=$(sed -n 's/^diag: .*(\([0-9]*\)\.[0-9]s)$/\1/p' "/tmp/$RUN_ID-$1.log")
  [ -n "$secs" ] && [ "$secs" -le 60 ] || fail "$1: make diag took ${secs:-?} s (bound: 60 s)"
  echo "$1: $(head -1 "/tmp/$RUN_ID-$1.log")"
}
bin/calico-e2e diag >"/tmp/$RUN_ID-diag-healthy.log" 2>&1 || fail "make diag failed"
diag_check diag-healthy
empty=$(mktemp -d)
E2E_STATE_DIR=$empty PROVIDER=existing KUBECONFIG=$kubeconfig ARTIFACTS=_artifacts/$RUN_ID-diag-existing bin/calico-e2e diag >"/tmp/$RUN_ID-diag-existing.log" 2>&1 || { cat "/tmp/$RUN_ID-diag-existing.log"; fail "make diag PROVIDER=existing failed"; }
rm -rf "$empty" "_artifacts/$RUN_ID-diag-existing"
diag_check diag-existing

# no credential of the cluster is in any artifact of these runs (make diag's bundles included)
arts=$(ARTIFACTS= bin/calico-e2e env | sed -n 's/^ARTIFACTS="\(.*\)"$/\1/p'); arts=$(dirname "$arts")
case $arts in _artifacts/?*|*/_artifacts/?*) [ -d "$arts" ] || fail "no artifacts folder $arts" ;; *) fail "unexpected artifacts folder '$arts'" ;; esac
for field in client-key-data client-certificate-data; do
  secret=$(sed -n "s/^ *$field: //p" "$kubeconfig" | head -1 | cut -c101-160)   # past the PEM header: the key material itself
  [ -n "$secret" ] || fail "no $field in $kubeconfig to look for"
  ! grep -rqF -- "$secret" "$arts" || fail "the $field of the cluster's kubeconfig is in the artifacts under $arts"
done
echo "no kubeconfig credential in $(find "$arts" -type f | wc -l) artifact files"
echo "findings rate: $named of $injected injected faults named correctly"
[ "$named" -eq "$injected" ] || fail "$((injected - named)) fault(s) not named"
echo "PASS: healthy runs have no findings; each injected fault failed its run and was named"
