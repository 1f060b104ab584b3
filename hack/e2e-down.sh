#!/bin/bash
# make e2e-down: delete the run's cluster (RUN_ID, default the latest run).
set -euo pipefail
cd "$(dirname "$0")/.."
exec bin/calico-e2e down
