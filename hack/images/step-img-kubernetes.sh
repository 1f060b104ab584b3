#!/bin/bash
# Control-plane images under kubeadm's exact names: static binaries FROM scratch, kube-proxy on the
# Debian base (it needs iptables/nft/conntrack).
. "$(dirname "$0")/lib.sh"
W=$CACHE_DIR/ctx/kubernetes; rm -rf "$W"; mkdir -p "$W"
scratch_image() { # NAME:TAG BINARY [ENTRYPOINT-JSON]
  local d=$W/$2; mkdir -p "$d"; cp "$BIN/$2" "$d/"
  { echo "FROM scratch"; echo "COPY $2 /usr/local/bin/$2"
    echo 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    [ -z "${3:-}" ] || echo "ENTRYPOINT $3"; } >"$d/Dockerfile"
  docker_build "$1" "$d"
}
KV=v$KUBERNETES_VERSION
scratch_image "registry.k8s.io/kube-apiserver:$KV" kube-apiserver
scratch_image "registry.k8s.io/kube-controller-manager:$KV" kube-controller-manager
scratch_image "registry.k8s.io/kube-scheduler:$KV" kube-scheduler
scratch_image "registry.k8s.io/etcd:$ETCD_VERSION-0" etcd
scratch_image "registry.k8s.io/coredns/coredns:v$COREDNS_VERSION" coredns '["/usr/local/bin/coredns"]'
scratch_image "registry.k8s.io/pause:$PAUSE_VERSION" pause '["/usr/local/bin/pause"]'
d=$W/kube-proxy; mkdir -p "$d"; cp "$BIN/kube-proxy" "$HERE/files/iptables-wrapper" "$d/"
cat >"$d/Dockerfile" <<DF
FROM $DEBIAN_BASE_IMAGE
COPY kube-proxy /usr/local/bin/kube-proxy
COPY iptables-wrapper /usr/sbin/iptables-wrapper
RUN chmod 755 /usr/sbin/iptables-wrapper && for b in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do ln -sf /usr/sbin/iptables-wrapper /usr/sbin/\$b; done
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
DF
docker_build "registry.k8s.io/kube-proxy:$KV" "$d"
