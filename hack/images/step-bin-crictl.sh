#!/bin/bash
# crictl through a wrapper module: the proxy refuses cri-tools' version list, so `go install @v` fails.
. "$(dirname "$0")/lib.sh"
wrapper_module "$CACHE_DIR/src/crictl" sigs.k8s.io/cri-tools "v$CRICTL_VERSION" sigs.k8s.io/cri-tools/cmd/crictl
gobuild "$BIN/crictl" sigs.k8s.io/cri-tools/cmd/crictl
