#!/bin/bash
# make images: build (IMAGES=source) or fetch (IMAGES=release) every image a run needs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bin/calico-e2e images
