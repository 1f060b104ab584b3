#!/bin/bash
# PROVIDER=existing: the suite runs against a cluster it did not create, leaves it as it was
# (only its own namespace comes and goes), and stops at once when MODE disagrees with the cluster.
# The same cluster's API server then validates the operator install of Windows clusters.
set -uo pipefail
cd "$(dirname "$0")/.."
export IMAGES=${IMAGES:-source} PROVIDER=kind MODE=vxlan
export RUN_ID=$(bin/calico-e2e run-id owner)
trap 'RUN_ID=$RUN_ID PROVIDER=kind bin/calico-e2e down >/dev/null' EXIT
hack/e2e-up.sh >/dev/null || { echo "FAIL: could not create the cluster to adopt"; exit 1; }
eval "$(bin/calico-e2e env | grep -E '^(KUBECONFIG|CLUSTER_NAME)=')"
owner_kubeconfig=$KUBECONFIG
nodes() { docker ps --filter "label=io.x-k8s.kind.cluster=$CLUSTER_NAME" --format '{{.Names}}' | sort | tr '\n' ' '; }
before=$(nodes)

out=$(env -u RUN_ID PROVIDER=existing KUBECONFIG="$owner_kubeconfig" MODE=vxlan hack/e2e.sh 2>&1); rc=$?
echo "$out" | grep -E '^cells:|e2e (PASSED|FAILED)'
[ $rc -eq 0 ] || { echo "$out" | tail -40; echo "FAIL: PROVIDER=existing MODE=vxlan exited $rc"; exit 1; }
[ "$(nodes)" = "$before" ] || { echo "FAIL: the adopted cluster's nodes changed: '$before' -> '$(nodes)'"; exit 1; }
echo "$out" | grep -q "uses a cluster the suite did not create: leaving it as it is" || { echo "FAIL: teardown did not leave the cluster alone"; exit 1; }

start=$(date +%s)
out=$(env -u RUN_ID PROVIDER=existing KUBECONFIG="$owner_kubeconfig" MODE=noencap hack/e2e.sh 2>&1); rc=$?
took=$(( $(date +%s) - start ))
[ $rc -ne 0 ] || { echo "FAIL: MODE=noencap passed against a vxlan cluster"; exit 1; }
echo "$out" | grep -q "MODE=noencap, but the cluster runs vxlan" || { echo "$out" | tail -30; echo "FAIL: no mode-mismatch message"; exit 1; }
echo "$out" | grep -o "MODE=noencap, but the cluster runs vxlan[^.]*" | head -1
[ "$(nodes)" = "$before" ] || { echo "FAIL: the adopted cluster's nodes changed"; exit 1; }

# MODE=ipip on it: the suite's own preflight (the path for clusters it did not create) must name
# every node and its kernel, from a tunnel it tries to create inside a probe pod.
start=$(date +%s)
out=$(env -u RUN_ID PROVIDER=existing KUBECONFIG="$owner_kubeconfig" MODE=ipip hack/e2e.sh 2>&1); rc=$?
took2=$(( $(date +%s) - start ))
[ $rc -ne 0 ] || { echo "FAIL: MODE=ipip passed on a kernel without IPIP"; exit 1; }
for n in $before; do
  echo "$out" | grep -q "node $n (kernel " || { echo "$out" | tail -30; echo "FAIL: the IPIP preflight does not name node $n"; exit 1; }
done
echo "$out" | grep -o "preflight: MODE=ipip needs IPIP tunnel support in every Linux node's kernel; node [^;]*" | head -1
[ "$(nodes)" = "$before" ] || { echo "FAIL: the adopted cluster's nodes changed"; exit 1; }
# The operator install of Windows clusters (which cannot run here) validated by this cluster's
# API server: the vendored operator manifest and both rendered Installations
out=$(KUBECONFIG="$owner_kubeconfig" bin/calico-e2e operator-check 2>&1) || { echo "$out"; echo "FAIL: the operator install does not validate"; exit 1; }
echo "$out" | tail -1
echo "PASS: PROVIDER=existing ran against the cluster and left it alone; MODE=noencap on it failed fast (${took}s); MODE=ipip failed its preflight naming every node (${took2}s)"
