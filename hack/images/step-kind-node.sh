#!/bin/bash
# kind node image for KUBERNETES_VERSION: kube binaries in /usr/bin and every control-plane image
# preloaded in containerd, so kubeadm never pulls (kind's nodeimage builder, by hand).
. "$(dirname "$0")/lib.sh"
KV=v$KUBERNETES_VERSION
for b in kubeadm kubelet kubectl; do [ -x "$BIN/$b" ] || die "$BIN/$b is missing: run the bin-kubernetes step"; done
W=$CACHE_DIR/ctx/kind-node; rm -rf "$W"; mkdir -p "$W/kind/manifests"
cp "$BIN/kubeadm" "$BIN/kubelet" "$BIN/kubectl" "$W/"
printf '%s' "$KV" >"$W/kind/version"
# only a StorageClass, no provisioner image (kind's own fallback); no default CNI (the suite installs Calico)
cat >"$W/kind/manifests/default-storage.yaml" <<'EOM'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/host-path
EOM
cat >"$W/Dockerfile" <<DF
FROM $KIND_BASE_IMAGE
COPY kubeadm kubelet kubectl /usr/bin/
COPY kind/ /kind/
DF
docker_build "$NODE_IMAGE-nopreload" "$W"
# the pause tag kind's containerd config names as sandbox_image may differ from kubeadm's
SANDBOX=$(docker run --pull=never --rm --entrypoint sh "$NODE_IMAGE-nopreload" -c "sed -n 's/.*sandbox_image = \"\\(.*\\)\"/\\1/p' /etc/containerd/config.toml")
if [ -n "$SANDBOX" ] && [ "$SANDBOX" != "registry.k8s.io/pause:$PAUSE_VERSION" ]; then docker tag "registry.k8s.io/pause:$PAUSE_VERSION" "$SANDBOX"; fi
node_import_and_commit "$NODE_IMAGE-nopreload" "$NODE_IMAGE" \
  "registry.k8s.io/kube-apiserver:$KV" "registry.k8s.io/kube-controller-manager:$KV" "registry.k8s.io/kube-scheduler:$KV" \
  "registry.k8s.io/kube-proxy:$KV" "registry.k8s.io/etcd:$ETCD_VERSION-0" "registry.k8s.io/coredns/coredns:v$COREDNS_VERSION" \
  "registry.k8s.io/pause:$PAUSE_VERSION" ${SANDBOX:+"$SANDBOX"}
docker rmi "$NODE_IMAGE-nopreload" >/dev/null
