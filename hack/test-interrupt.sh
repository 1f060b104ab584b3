#!/bin/bash
# Ctrl-C must leave no kind cluster behind: during `make e2e-up` (the start is rolled back) and
# during the specs of `make e2e` (the trap tears down). Each is started in its own process group,
# interrupted with SIGINT to the whole group (what a terminal does) at a point read from its
# output, and what is left is counted.
set -uo pipefail
cd "$(dirname "$0")/.."
export MODE=vxlan IMAGES=${IMAGES:-source} PROVIDER=kind SKIP_IMAGES=1

# interrupt NAME TARGET WHEN: run `make TARGET`, SIGINT it once WHEN is true: "nodes" (node
# containers exist), "file:PATH" (PATH exists) or a regex its output matches; then check nothing
# of the run is left. Extra PATH entries for the run come from INTERRUPT_PATH.
# ours KIND FILTER-KEY: how many docker objects (containers or networks) carry a label FILTER-KEY
# whose value starts with the run's id: a MODES run's clusters are e2e-<RUN_ID>-<mode>.
ours() {
  local key=$1 prefix=$2
  if [ "${3:-}" = network ]; then docker network ls --filter "label=$key" --format "{{.Label \"$key\"}}"
  else docker ps -a --filter "label=$key" --format "{{.Label \"$key\"}}"; fi | grep -c "^$prefix"
}
interrupt() {
  local name=$1 target=$2 when=$3
  export RUN_ID=$(bin/calico-e2e run-id intr)
  local log=/tmp/$RUN_ID.log
  PATH=${INTERRUPT_PATH:+$INTERRUPT_PATH:}$PATH setsid make --no-print-directory "$target" >"$log" 2>&1 &
  local pgid=$! hit=0
  for _ in $(seq 1 360); do
    case $when in
    nodes) [ "$(ours io.x-k8s.kind.cluster "e2e-$RUN_ID")" -gt 0 ] && hit=1 ;;
    file:*) [ -e "${when#file:}" ] && hit=1 ;;
    *) grep -qE "$when" "$log" && hit=1 ;;
    esac
    [ $hit -eq 1 ] && break
    kill -0 $pgid 2>/dev/null || break
    sleep 0.5
  done
  if [ $hit -ne 1 ]; then
    kill -INT -- -$pgid 2>/dev/null; wait $pgid
    tail -20 "$log"; echo "FAIL: $name: the point to interrupt at ($when) never came"; return 1
  fi
  echo "$name: interrupting at '$when' ($(ours io.x-k8s.kind.cluster "e2e-$RUN_ID") node containers)"
  if ! kill -INT -- -$pgid; then
    echo "FAIL: $name: the run ended before the interrupt reached it"; tail -5 "$log"
    make --no-print-directory e2e-down >/dev/null 2>&1; return 1
  fi
  wait $pgid; local rc=$?
  local left; left=$(ours io.x-k8s.kind.cluster "e2e-$RUN_ID")
  local router; router=$(ours e2e.calico-conformance.io/run "$RUN_ID")
  local nets; nets=$(ours e2e.calico-conformance.io/run "$RUN_ID" network)
  tail -2 "$log"
  if [ "$router" -ne 0 ] || [ "$nets" -ne 0 ]; then
    echo "FAIL: $name: $router router container(s) and $nets network(s) of the run left after Ctrl-C"; return 1
  fi
  if [ "$left" -ne 0 ]; then
    echo "FAIL: $name: $left node container(s) left after Ctrl-C"; docker ps -a --filter label=io.x-k8s.kind.cluster --format '{{.ID}} {{.Label "io.x-k8s.kind.cluster"}}' | awk -v p="e2e-$RUN_ID" 'index($2, p) == 1 {print $1}' | xargs -r docker rm -f >/dev/null; return 1
  fi
  [ $rc -ne 0 ] || { echo "FAIL: $name: exited 0 after SIGINT"; return 1; }
  echo "PASS: $name: Ctrl-C (exit $rc) left no kind cluster behind"
}
interrupt "e2e-up" e2e-up nodes || exit 1
interrupt "e2e during the specs" e2e "Running Suite|Will run [0-9]+ of" || exit 1
# MODES: Ctrl-C during the first mode's specs tears that mode down, and the next never starts
MODES=vxlan,noencap interrupt "e2e MODES during the first mode's specs" e2e "Running Suite|Will run [0-9]+ of" || exit 1
grep -q "interrupted during MODE=vxlan: the modes after it did not run" /tmp/$RUN_ID.log || { echo "FAIL: MODES did not say the later modes did not run"; exit 1; }
# MODES on kind brings every mode's cluster up at once: Ctrl-C then rolls back both starts
MODES=vxlan,noencap interrupt "e2e MODES while the clusters come up" e2e "\] control plane up after" || exit 1
grep -q "interrupted while the clusters came up: no mode ran" /tmp/$RUN_ID.log || { echo "FAIL: MODES did not say no mode ran"; exit 1; }
# The router's start is quick (about 1 s after its line): a docker wrapper holds its last step,
# joining the workers to the second network, until the interrupt arrives, so Ctrl-C always lands
# inside StartRouter with the router container and the network already made.
hold=$(mktemp -d); trap 'rm -rf "$hold"' EXIT
cat >"$hold/docker" <<EOS
#!/bin/bash
if [ "\$1 \$2" = "network connect" ] && [[ "\$3" == *-asym ]]; then
  touch "$hold/held"; exec sleep infinity   # a docker step that hangs, until Ctrl-C
fi
exec $(command -v docker) "\$@"
EOS
chmod +x "$hold/docker"
INTERRUPT_PATH=$hold interrupt "e2e-up while the router starts" e2e-up "file:$hold/held" || exit 1
