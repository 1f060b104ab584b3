#!/bin/bash
# agnhost, the multi-OS probe binary of Kubernetes e2e, from the same k8s.io/kubernetes module.
. "$(dirname "$0")/lib.sh"
k8s_module "$CACHE_DIR/src/k8s"
v=$(cat "$(go list -m -f '{{.Dir}}' k8s.io/kubernetes)/test/images/agnhost/VERSION")
[ "$v" = "$AGNHOST_VERSION" ] || die "k8s.io/kubernetes v$KUBERNETES_VERSION ships agnhost $v, but versions.yaml pins agnhost $AGNHOST_VERSION: make them agree"
gobuild "$BIN/agnhost" k8s.io/kubernetes/test/images/agnhost
