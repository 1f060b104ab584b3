#!/bin/bash
# make e2e-up: create the cluster and install Calico. Under IMAGES=source the images are built
# (cached: a no-op when nothing changed) first.
set -euo pipefail
cd "$(dirname "$0")/.."
bin/calico-e2e check   # bad input: one line, exit 2, before anything is built or created
if [ "${IMAGES:-release}" = source ] && [ "${PROVIDER:-kind}" = kind ] && ! bin/calico-e2e is SKIP_IMAGES; then
  bin/calico-e2e images
fi
exec bin/calico-e2e up
