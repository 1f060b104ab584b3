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
# shellcheck disable=SC2086
exec bin/ginkgo "${args[@]}" ${GINKGO_ARGS:-} ./e2e
