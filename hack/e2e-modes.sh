#!/bin/bash
# make e2e MODES=vxlan,noencap (or MODES=all): every mode one after another, each exactly as
# `make e2e MODE=<mode>` runs it, on a cluster of its own (so no mode's verdict depends on what
# another left on a node), then one matrix of every mode: $ARTIFACTS/matrix.md and matrix.html,
# each mode's own artifacts in $ARTIFACTS/<mode>. Exit 0 only when every mode passed.
set -uo pipefail
cd "$(dirname "$0")/.."
modes=$(bin/calico-e2e modes) || exit $?
base=${RUN_ID:-$(bin/calico-e2e run-id modes)}
export ARTIFACTS=${ARTIFACTS:-_artifacts/$base}
for m in $modes; do   # every mode's input is checked before the first cluster exists
  MODE=$m RUN_ID=$base-$m ARTIFACTS=$ARTIFACTS/$m bin/calico-e2e check || exit $?
done
mkdir -p "$ARTIFACTS"
echo "MODES: $(echo $modes | tr ' ' ,) one after another (RUN_ID $base-<mode>, artifacts in $ARTIFACTS)"
dirs=() failed=()
start=$(date +%s)
for m in $modes; do
  echo; echo "=== MODE=$m"
  MODES= MODE=$m RUN_ID=$base-$m ARTIFACTS=$ARTIFACTS/$m hack/e2e.sh; r=$?
  [ $r -ne 130 ] || { echo "interrupted during MODE=$m: the modes after it did not run"; exit 130; }
  dirs+=("$ARTIFACTS/$m")
  [ $r -eq 0 ] || failed+=("$m (exit $r)")
done
ARTIFACTS=$ARTIFACTS bin/calico-e2e combine "${dirs[@]}" || failed+=("the combined report")
took=$(( $(date +%s) - start ))
if [ ${#failed[@]} -eq 0 ]; then
  echo "e2e PASSED in every mode ($(echo $modes | tr ' ' ,); ${took}s; artifacts in $ARTIFACTS)"
  exit 0
fi
echo "e2e FAILED: ${failed[*]} (${took}s; artifacts in $ARTIFACTS)"
exit 1
