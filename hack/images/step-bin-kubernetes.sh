#!/bin/bash
# Kubernetes server and node binaries from the Go module proxy (k8s.io/kubernetes + staging modules).
. "$(dirname "$0")/lib.sh"
k8s_module "$CACHE_DIR/src/k8s"
MINOR=$(echo "$KUBERNETES_VERSION" | cut -d. -f2) LD=""
for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  LD="$LD -X $p.gitVersion=v$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$MINOR -X $p.gitTreeState=clean"
  LD="$LD -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=1970-01-01T00:00:00Z"
done
for c in kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubeadm kubectl kubelet; do
  gobuild "$BIN/$c" "k8s.io/kubernetes/cmd/$c" "$LD"
done
