#!/bin/bash
# make e2e-run: run the specs against the run's cluster. The suite reads everything it needs
# from the environment printed by `calico-e2e env` (KUBECONFIG, ARTIFACTS, MODE, ...), which
# validates the run's knobs first. Each invocation is a run of its own: its own fixture
# namespace and its own artifacts folder (ARTIFACTS when given, else a new one under the run's).
set -euo pipefail
cd "$(dirname "$0")/.."
env_out=$(bin/calico-e2e env)
eval "$env_out"
export RUN_ID KUBECONFIG ARTIFACTS MODE PROVIDER IMAGES CLUSTER_NAME E2E_VERSIONS ROUTER_NAME ROUTER_NETWORK SECOND_NETWORK CALICO_UNDER_TEST
mkdir -p "$ARTIFACTS"
ARTIFACTS=$(cd "$ARTIFACTS" && pwd)   # the suite binary runs in ./e2e: pass it an absolute path
echo "e2e-run: RUN_ID=$RUN_ID MODE=$MODE, reports and evidence in $ARTIFACTS"
args=(--output-dir="$ARTIFACTS" --json-report=report.json --junit-report=junit.xml --fail-on-empty)
[ -t 1 ] || args+=(--no-color)   # plain text in CI logs and files
[ -z "${LABEL_FILTER:-}" ] || args+=(--label-filter="$LABEL_FILTER")
rc=0
# shellcheck disable=SC2086
bin/ginkgo "${args[@]}" ${GINKGO_ARGS:-} ./e2e || rc=$?
# Ginkgo handles Ctrl-C itself and exits 1, so the shells above could not tell an interrupt from
# a failure (bash acts on SIGINT only when its child dies of it): say it with 130, as
# `calico-e2e up` does, so `make e2e MODES=...` stops instead of starting the next mode.
if [ $rc -ne 0 ] && grep -q '"Interrupted by User"' "$ARTIFACTS/report.json" 2>/dev/null; then rc=130; fi
exit $rc
