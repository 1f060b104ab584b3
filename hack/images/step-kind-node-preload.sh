#!/bin/bash
# The node image with the Calico, probe and nettools (packet capture) images already in
# containerd: a warm cluster needs no `kind load` (about 60 s per cluster on 2 cores).
. "$(dirname "$0")/lib.sh"
# The Calico images are those of img-calico (or img-calico-src: the checkout's tag).
node_import_and_commit "$NODE_IMAGE" "$PRELOADED_NODE_IMAGE" \
  "$CALICO_NODE_IMAGE" "$CALICO_CNI_IMAGE" "$CALICO_KUBE_CONTROLLERS_IMAGE" "$AGNHOST_IMAGE" "$NETTOOLS_IMAGE"
