#!/bin/bash
# Re-runs on one kept cluster, as the README's examples show them: `make e2e ... KEEP_CLUSTER=1`,
# then `make e2e-run RUN_ID=...` three times back to back, `make e2e-clean RUN_ID=...` and
# `make e2e-down RUN_ID=...`.
#   run 1  fails in the specs (a cluster domain that does not exist: the DNS cells fail and get a
#          diagnosis), in its own artifacts folder;
#   run 2  starts at once and fails in the setup after its fixture exists (the probe image is
#          absent from the nodes under pull policy Never): it must say so in seconds, print no
#          diagnosis (run 1's least of all), and delete its fixture namespace;
#   run 3  starts at once, reaches the specs and passes, writing where ARTIFACTS says;
#   run 4  is interrupted (Ctrl-C) during its specs: its namespace is deleted all the same.
# Then a namespace left as by a killed run is removed by `make e2e-clean RUN_ID=...`, the cluster
# kept, and at the end no suite namespace is left. Each check names what it expected.
set -uo pipefail
cd "$(dirname "$0")/.."
export MODE=vxlan IMAGES=${IMAGES:-source} PROVIDER=kind SKIP_IMAGES=${SKIP_IMAGES:-0}
export RUN_ID=$(bin/calico-e2e run-id rerun)
trap 'bin/calico-e2e env >/dev/null 2>&1 && make --no-print-directory e2e-down RUN_ID=$RUN_ID | tail -1' EXIT
fail() { echo "FAIL: $*"; exit 1; }

make --no-print-directory e2e MODE=vxlan IMAGES=source KEEP_CLUSTER=1 >"/tmp/$RUN_ID-e2e.log" 2>&1 || { tail -30 "/tmp/$RUN_ID-e2e.log"; fail "make e2e KEEP_CLUSTER=1 failed"; }
grep -q "KEEP_CLUSTER=1: keeping the cluster" "/tmp/$RUN_ID-e2e.log" || fail "make e2e KEEP_CLUSTER=1 did not keep the cluster"
echo "make e2e KEEP_CLUSTER=1: $(grep '^cells:' "/tmp/$RUN_ID-e2e.log"), cluster kept"
eval "$(ARTIFACTS=/unused bin/calico-e2e env | grep -E '^(KUBECONFIG|CLUSTER_NAME)=')"
. hack/lane-lib.sh   # kc
suite_ns() { kc get ns -l e2e.calico-conformance.io/run --no-headers -o custom-columns=NAME:.metadata.name,PHASE:.status.phase 2>/dev/null; }
artifacts_of() { sed -n 's/^e2e-run: .*reports and evidence in //p' "$1"; }

# run 1: fails in the specs, with a diagnosis of its own
make --no-print-directory e2e-run RUN_ID="$RUN_ID" LABEL_FILTER='scenario:dns' CLUSTER_DOMAIN=no-such-domain.test CELL_TIMEOUT=4s >/tmp/$RUN_ID-1.log 2>&1; rc1=$?
a1=$(artifacts_of /tmp/$RUN_ID-1.log)
[ $rc1 -ne 0 ] || fail "run 1 passed with a cluster domain that does not exist"
grep -q '^cells:' /tmp/$RUN_ID-1.log || { tail -30 /tmp/$RUN_ID-1.log; fail "run 1 did not reach the specs"; }
grep -q '^likely cause:' /tmp/$RUN_ID-1.log || fail "run 1 printed no likely cause"
echo "run 1: exit $rc1, reached the specs, $(grep -m1 '^likely cause:' /tmp/$RUN_ID-1.log)"

# run 2, at once: fails in the setup after creating its fixture
start=$(date +%s)
make --no-print-directory e2e-run RUN_ID="$RUN_ID" AGNHOST_IMAGE=e2e.local/agnhost:absent >/tmp/$RUN_ID-2.log 2>&1; rc2=$?
took=$(( $(date +%s) - start ))
a2=$(artifacts_of /tmp/$RUN_ID-2.log)
[ $rc2 -ne 0 ] || fail "run 2 passed without its probe image"
grep -q 'object is being deleted' /tmp/$RUN_ID-2.log && fail "run 2 collided with run 1's namespace"
grep -q 'probe pods cannot start: .*ErrImageNeverPull' /tmp/$RUN_ID-2.log || { tail -40 /tmp/$RUN_ID-2.log; fail "run 2 does not say its probe pods cannot start (ErrImageNeverPull)"; }
grep -q '^likely cause:' /tmp/$RUN_ID-2.log && { grep '^likely cause:' /tmp/$RUN_ID-2.log; fail "run 2 probed nothing but printed a likely cause (another run's?)"; }
ns2=$(grep -o 'probe fixture in namespace e2e-conn-[0-9a-f]*' /tmp/$RUN_ID-2.log | head -1 | awk '{print $NF}')
[ -n "$ns2" ] || fail "run 2 does not name its fixture namespace"
phase=$(kc get ns "$ns2" -o jsonpath='{.status.phase}' 2>/dev/null || echo gone)
[ "$phase" = Terminating ] || [ "$phase" = gone ] || fail "run 2's namespace $ns2 was not deleted after its setup failed (phase $phase)"
echo "run 2: exit $rc2 after ${took}s, failed in the setup: $(grep -o 'probe pods cannot start: [^;]*' /tmp/$RUN_ID-2.log | head -1 | cut -c1-150)...; its namespace $ns2: $phase"

# run 3, at once: passes, in the artifacts folder it is given
a3=$PWD/_artifacts/$RUN_ID-run3
make --no-print-directory e2e-run RUN_ID="$RUN_ID" ARTIFACTS="$a3" LABEL_FILTER='scenario:pod-to-pod || scenario:dns' >/tmp/$RUN_ID-3.log 2>&1; rc3=$?
[ $rc3 -eq 0 ] || { tail -40 /tmp/$RUN_ID-3.log; fail "run 3 failed (exit $rc3)"; }
grep -q '^cells:' /tmp/$RUN_ID-3.log || fail "run 3 did not reach the specs"
[ "$(artifacts_of /tmp/$RUN_ID-3.log)" = "$a3" ] && [ -f "$a3/report.json" ] || fail "run 3 did not write to ARTIFACTS=$a3"
echo "run 3: passed: $(grep '^cells:' /tmp/$RUN_ID-3.log)"

# each report is its own
[ -n "$a1" ] && [ -n "$a2" ] && [ "$a1" != "$a2" ] && [ "$a1" != "$a3" ] && [ "$a2" != "$a3" ] || fail "runs shared an artifacts folder: '$a1' '$a2' '$a3'"
[ -f "$a1/report.json" ] && [ -f "$a2/report.json" ] || fail "a run has no report.json of its own"
grep -q 'no-such-domain.test' "$a1/report.json" || fail "run 1's report is not run 1's"
grep -q 'no-such-domain.test' "$a2/report.json" "$a3/report.json" && fail "run 1's failures appear in another run's report"
echo "reports: $a1, $a2, $a3"

# Ctrl-C during the specs of a run: its fixture namespace is deleted all the same
setsid make --no-print-directory e2e-run RUN_ID="$RUN_ID" >/tmp/$RUN_ID-4.log 2>&1 &
pgid=$!
for _ in $(seq 1 120); do grep -qE 'Will run [0-9]+ of' /tmp/$RUN_ID-4.log && [ -n "$(suite_ns | grep -v Terminating)" ] && break; sleep 0.5; done
ns4=$(suite_ns | grep -v Terminating | awk '{print $1}')
[ -n "$ns4" ] || { tail -20 /tmp/$RUN_ID-4.log; fail "run 4 never created its fixture"; }
kill -INT -- -$pgid; wait $pgid; rc4=$?
phase=$(kc get ns "$ns4" -o jsonpath='{.status.phase}' 2>/dev/null || echo gone)
[ "$phase" = Terminating ] || [ "$phase" = gone ] || { tail -20 /tmp/$RUN_ID-4.log; fail "Ctrl-C during the specs left the fixture namespace $ns4 ($phase)"; }
echo "run 4: Ctrl-C during the specs (exit $rc4): its namespace $ns4: $phase"

# a namespace left as by a killed run: make e2e-clean RUN_ID=... removes it and keeps the cluster
kc create namespace e2e-conn-leftover >/dev/null && kc label namespace e2e-conn-leftover e2e.calico-conformance.io/run="$RUN_ID" >/dev/null || fail "could not make a leftover namespace"
make --no-print-directory e2e-clean RUN_ID="$RUN_ID" | tee /tmp/$RUN_ID-clean.log | tail -1
grep -q 'deleted namespace e2e-conn-leftover' /tmp/$RUN_ID-clean.log || fail "e2e-clean RUN_ID=... did not delete the leftover namespace"
kc get nodes >/dev/null || fail "e2e-clean RUN_ID=... did not keep the cluster"

# nothing of the suite is left in the cluster
for _ in $(seq 1 60); do [ -z "$(suite_ns)" ] && break; sleep 1; done
[ -z "$(suite_ns)" ] || { suite_ns; fail "suite namespaces left in the cluster"; }
echo "PASS: three runs back to back on one kept cluster: each ran (run 2 failed in the setup in ${took}s and cleaned up), each report its own, no suite namespace left"
