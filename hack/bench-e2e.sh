#!/bin/bash
# The e2e benchmark: RUNS (default 3) warm runs of `make e2e MODE` with images present, then a
# table of every phase per run and the median (cluster up, Calico ready, specs, teardown).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
export MODE=${MODE:-vxlan} IMAGES=${IMAGES:-source}
mkdir -p _artifacts
dirs=()
for i in $(seq 1 "$runs"); do
  id=bench-$(date -u +%m%d-%H%M%S)-$i
  start=$(date +%s%N)
  RUN_ID=$id ARTIFACTS=_artifacts/$id SKIP_IMAGES=1 hack/e2e.sh >"_artifacts/$id.log" 2>&1 || { tail -30 "_artifacts/$id.log"; exit 1; }
  printf 'run %d: make e2e MODE=%s took %s s wall clock\n' "$i" "$MODE" "$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN {printf "%.1f", (b-a)/1e9}')"
  dirs+=("_artifacts/$id")
done
echo
echo "phase timings over $runs runs (MODE=$MODE, IMAGES=$IMAGES, $(nproc) cores):"
ARTIFACTS="${dirs[*]}" bin/calico-e2e timings
