#!/bin/bash
# Ctrl-C during `make e2e-up` must leave no kind cluster behind: start it in its own process
# group, wait until the node containers exist, send SIGINT to the whole group (what a terminal
# does), and count what is left.
set -uo pipefail
cd "$(dirname "$0")/.."
export MODE=vxlan IMAGES=${IMAGES:-source} PROVIDER=kind SKIP_IMAGES=1
export RUN_ID=intr-$(date -u +%m%d-%H%M%S)-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
label="label=io.x-k8s.kind.cluster=e2e-$RUN_ID"
setsid make --no-print-directory e2e-up >"/tmp/$RUN_ID.log" 2>&1 &
pgid=$!
for _ in $(seq 1 120); do
  [ -n "$(docker ps -q --filter "$label")" ] && break
  kill -0 $pgid 2>/dev/null || break
  sleep 0.5
done
[ -n "$(docker ps -q --filter "$label")" ] || { cat "/tmp/$RUN_ID.log"; echo "FAIL: no node container appeared"; exit 1; }
echo "node containers exist ($(docker ps -q --filter "$label" | wc -l)); sending SIGINT to the e2e-up process group"
kill -INT -- -$pgid
wait $pgid; rc=$?
left=$(docker ps -aq --filter "$label" | wc -l)
tail -3 "/tmp/$RUN_ID.log"
if [ "$left" -ne 0 ]; then
  echo "FAIL: $left node container(s) left after Ctrl-C"; docker rm -f $(docker ps -aq --filter "$label") >/dev/null; exit 1
fi
[ $rc -ne 0 ] || { echo "FAIL: e2e-up exited 0 after SIGINT"; exit 1; }
echo "PASS: Ctrl-C during e2e-up (exit $rc) left no kind cluster behind"
