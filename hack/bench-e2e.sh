#!/bin/bash
# The e2e benchmark: RUNS (default 3) warm runs of `make e2e` (MODE, or MODES for every mode in
# one command; WORKERS for the cluster size) with images present, then each run's wall clock and
# the median, and a table of every phase per run with the median (cluster up, Calico ready,
# specs, teardown), one table per mode.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
export MODE=${MODE:-vxlan} IMAGES=${IMAGES:-source}
what="MODE=$MODE"; [ -z "${MODES:-}" ] || what="MODES=$MODES"
[ -z "${WORKERS:-}" ] || what="$what WORKERS=$WORKERS"
mkdir -p _artifacts
dirs=() walls=()
for i in $(seq 1 "$runs"); do
  id=bench-$(date -u +%m%d-%H%M%S)-$i
  start=$(date +%s%N)
  RUN_ID=$id ARTIFACTS=_artifacts/$id SKIP_IMAGES=1 hack/e2e.sh >"_artifacts/$id.log" 2>&1 || { tail -30 "_artifacts/$id.log"; exit 1; }
  wall=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN {printf "%.1f", (b-a)/1e9}')
  walls+=("$wall")
  printf 'run %d: make e2e %s took %s s wall clock\n' "$i" "$what" "$wall"
  dirs+=("_artifacts/$id")
done
printf 'median wall clock of make e2e %s over %d runs: %s s\n' "$what" "$runs" \
  "$(printf '%s\n' "${walls[@]}" | sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}')"
echo
if [ -z "${MODES:-}" ]; then
  echo "phase timings over $runs runs ($what, IMAGES=$IMAGES, $(nproc) cores):"
  ARTIFACTS="${dirs[*]}" bin/calico-e2e timings
  exit 0
fi
for m in $(bin/calico-e2e modes); do
  echo "phase timings of MODE=$m over $runs runs ($what, IMAGES=$IMAGES, $(nproc) cores):"
  ARTIFACTS="$(printf '%s/'"$m"' ' "${dirs[@]}")" bin/calico-e2e timings
  echo
done
