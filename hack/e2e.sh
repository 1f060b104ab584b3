#!/bin/bash
# make e2e: up, run, down. Teardown always runs (also on Ctrl-C or a failed up) unless
# KEEP_CLUSTER is true; the run id is unique so parallel runs never collide.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -z "${MODES:-}" ] || exec hack/e2e-modes.sh   # several modes: one run per mode, one matrix
export RUN_ID=${RUN_ID:-$(bin/calico-e2e run-id "${MODE:-}")}
export ARTIFACTS=${ARTIFACTS:-_artifacts/$RUN_ID}
bin/calico-e2e check || exit $?   # bad input: one line, exit 2, nothing created
teardown() {
  bin/calico-e2e env >/dev/null 2>&1 || return 0   # nothing was created
  if bin/calico-e2e is KEEP_CLUSTER; then
    echo "KEEP_CLUSTER=${KEEP_CLUSTER}: keeping the cluster; run specs again with: make e2e-run RUN_ID=$RUN_ID; delete it with: make e2e-down RUN_ID=$RUN_ID"
  else
    bin/calico-e2e down || rc=${rc:-1}
  fi
}
trap 'trap - INT TERM; teardown; exit 130' INT TERM
rc=0
if [ -n "${E2E_UP_RC:-}" ]; then
  rc=$E2E_UP_RC   # hack/e2e-modes.sh brought the cluster up with the other modes' (and says how)
else
  hack/e2e-up.sh || rc=$?
fi
[ $rc -ne 0 ] || { hack/e2e-run.sh || rc=$?; }
trap - INT TERM
teardown
if [ -f "$ARTIFACTS/timings.json" ]; then echo; echo "phase timings ($RUN_ID):"; ARTIFACTS=$ARTIFACTS bin/calico-e2e timings; fi
[ $rc -eq 0 ] && echo "e2e PASSED (MODE=$MODE, artifacts in $ARTIFACTS)" || echo "e2e FAILED with exit $rc (MODE=${MODE:-}, artifacts in $ARTIFACTS)"
exit $rc
