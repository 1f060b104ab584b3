#!/bin/bash
# make e2e MODES=vxlan,noencap (or MODES=all): every mode exactly as `make e2e MODE=<mode>` runs
# it, on a fresh cluster of its own (so no mode's verdict depends on what another left on a
# node), then one matrix of every mode: $ARTIFACTS/matrix.md and matrix.html, each mode's own
# artifacts in $ARTIFACTS/<mode>. Exit 0 only when every mode passed.
#
# On kind the clusters of every mode come up at once (each line of their start says whose it
# is): a start waits more than it computes (kubeadm, node boot, calico-node), so two take less
# than twice one. The specs then run one mode at a time, alone, and each mode's cluster is
# deleted as soon as its specs ended. Other providers (VMs) bring up one mode after another.
set -uo pipefail
cd "$(dirname "$0")/.."
modes=$(bin/calico-e2e modes) || exit $?
base=${RUN_ID:-$(bin/calico-e2e run-id modes)}
export ARTIFACTS=${ARTIFACTS:-_artifacts/$base}
for m in $modes; do   # every mode's input is checked before the first cluster exists
  MODE=$m RUN_ID=$base-$m ARTIFACTS=$ARTIFACTS/$m bin/calico-e2e check || exit $?
done
mkdir -p "$ARTIFACTS"
# as mode M: the environment `make e2e MODE=M` would have
as() { local m=$1; shift; MODES= MODE=$m RUN_ID=$base-$m ARTIFACTS=$ARTIFACTS/$m "$@"; }
start=$(date +%s)
declare -A up_rc=()
# teardown_all: delete what is left of every mode's cluster (KEEP_CLUSTER keeps it)
teardown_all() {
  for m in $modes; do
    as "$m" bin/calico-e2e env >/dev/null 2>&1 || continue   # nothing of it was created, or it is gone
    if bin/calico-e2e is KEEP_CLUSTER; then echo "KEEP_CLUSTER=${KEEP_CLUSTER}: keeping the cluster of MODE=$m (RUN_ID=$base-$m)"
    else as "$m" bin/calico-e2e down; fi
  done
}
# interrupted MESSAGE: say what did not run, delete what is left, exit 130
interrupted() { trap - INT TERM; echo "$1"; teardown_all; exit 130; }
if [ "${PROVIDER:-kind}" = kind ]; then
  echo "MODES: $(echo $modes | tr ' ' ,): the clusters come up at once, then the specs run one mode after another (RUN_ID $base-<mode>, artifacts in $ARTIFACTS)"
  if [ "${IMAGES:-release}" = source ] && ! bin/calico-e2e is SKIP_IMAGES; then
    as "${modes%% *}" bin/calico-e2e images || exit $?   # the same images for every mode, built once
  fi
  declare -A pid=()
  # Ctrl-C while the clusters come up: every start rolls back (each also gets the terminal's
  # SIGINT), then whatever is left is deleted
  trap 'kill -INT "${pid[@]}" 2>/dev/null; wait; interrupted "interrupted while the clusters came up: no mode ran"' INT TERM
  for m in $modes; do
    as "$m" bin/calico-e2e up > >(sed -u "s/^/[$m] /") 2>&1 &
    pid[$m]=$!
  done
  for m in $modes; do wait "${pid[$m]}"; up_rc[$m]=$?; done
  trap - INT TERM
  for m in $modes; do   # the trap does not run where SIGINT was ignored when this shell began
    [ "${up_rc[$m]}" -ne 130 ] || interrupted "interrupted while the clusters came up: no mode ran"
  done
  states=()
  for m in $modes; do
    if [ "${up_rc[$m]}" -eq 0 ]; then states+=("$m up"); else states+=("$m failed (exit ${up_rc[$m]})"); fi
  done
  echo "cluster starts done after $(( $(date +%s) - start ))s: $(IFS=,; echo "${states[*]}" | sed 's/,/, /g')"
else
  echo "MODES: $(echo $modes | tr ' ' ,) one after another (RUN_ID $base-<mode>, artifacts in $ARTIFACTS)"
fi
dirs=() failed=() current=
# Ctrl-C during a mode (its own teardown runs first) or between two: no later mode runs and what
# is left of every cluster is deleted
trap 'interrupted "interrupted during MODE=$current: the modes after it did not run"' INT TERM
for m in $modes; do
  current=$m
  echo; echo "=== MODE=$m"
  # a cluster brought up above (E2E_UP_RC: how its start ended) gets its specs and teardown
  as "$m" env ${up_rc[$m]:+E2E_UP_RC=${up_rc[$m]}} hack/e2e.sh; r=$?
  [ $r -ne 130 ] || interrupted "interrupted during MODE=$m: the modes after it did not run"
  dirs+=("$ARTIFACTS/$m")
  [ $r -eq 0 ] || failed+=("$m (exit $r)")
done
trap - INT TERM
ARTIFACTS=$ARTIFACTS bin/calico-e2e combine "${dirs[@]}" || failed+=("the combined report")
took=$(( $(date +%s) - start ))
if [ ${#failed[@]} -eq 0 ]; then
  echo "e2e PASSED in every mode ($(echo $modes | tr ' ' ,); ${took}s; artifacts in $ARTIFACTS)"
  exit 0
fi
echo "e2e FAILED: ${failed[*]} (${took}s; artifacts in $ARTIFACTS)"
exit 1
