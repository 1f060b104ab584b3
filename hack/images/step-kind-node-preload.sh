#!/bin/bash
# The node image with the Calico, probe and nettools (packet capture) images already in
# containerd: a warm cluster needs no `kind load` (about 60 s per cluster on 2 cores).
. "$(dirname "$0")/lib.sh"
node_import_and_commit "$NODE_IMAGE" "$PRELOADED_NODE_IMAGE" \
  "docker.io/calico/node:v$CALICO_VERSION" "docker.io/calico/cni:v$CALICO_VERSION" \
  "docker.io/calico/kube-controllers:v$CALICO_VERSION" "$AGNHOST_IMAGE" "$NETTOOLS_IMAGE"
