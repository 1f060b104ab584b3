#!/bin/bash
# Breaking the cluster must fail the suite, and only where it is broken: bring up a VXLAN
# cluster, drop VXLAN (UDP 4789) arriving at one worker that runs no CoreDNS, run the suite, and
# check (calico-e2e expect-fault) that exactly the cross-node cells failed and the rest passed.
set -uo pipefail
cd "$(dirname "$0")/.."
export MODE=vxlan IMAGES=${IMAGES:-source} PROVIDER=kind SKIP_IMAGES=${SKIP_IMAGES:-0} ROUTER=0   # the router's ECMP paths make its cells unpredictable under this fault
export RUN_ID=$(bin/calico-e2e run-id fault)
export ARTIFACTS=${ARTIFACTS:-_artifacts/$RUN_ID} CELL_TIMEOUT=${CELL_TIMEOUT:-8s}
trap 'bin/calico-e2e env >/dev/null 2>&1 && bin/calico-e2e down' EXIT
hack/e2e-up.sh || { echo "FAIL: cluster did not come up"; exit 1; }
eval "$(bin/calico-e2e env)"
. hack/lane-lib.sh
broken=$(dns_free_worker) || { echo "FAIL: could not find or make a worker without CoreDNS"; exit 1; }
dns_nodes=$(kc -n kube-system get pods -l k8s-app=kube-dns -o jsonpath='{.items[*].spec.nodeName}')
echo "dropping VXLAN (UDP 4789) arriving at $broken (CoreDNS runs on: $dns_nodes)"
# A table of our own with an early prerouting hook: Felix keeps its own jump first in iptables'
# INPUT and accepts VXLAN from known hosts there, so an iptables rule would never see the packets.
docker exec -i "$broken" nft -f - <<'NFT' || { echo "FAIL: could not install the nftables drop on $broken"; exit 1; }
table inet e2e_fault {
  chain prerouting {
    type filter hook prerouting priority -400; policy accept;
    udp dport 4789 counter drop
  }
}
NFT
docker exec "$broken" nft list table inet e2e_fault >/dev/null || { echo "FAIL: the fault is not in place on $broken"; exit 1; }
out=$ARTIFACTS/suite-output.txt
hack/e2e-run.sh >"$out" 2>&1; rc=$?
grep -E "^(likely cause|cells:)" "$out" || true
echo "VXLAN packets dropped on $broken: $(docker exec "$broken" nft list chain inet e2e_fault prerouting | grep -o 'packets [0-9]*')"
[ $rc -ne 0 ] || { echo "FAIL: the suite passed on a broken cluster"; exit 1; }
bin/calico-e2e expect-fault || { tail -60 "$out"; exit 1; }
grep -q "$broken" <(grep '^likely cause' "$out") || { echo "FAIL: the likely cause does not name $broken"; exit 1; }
echo "PASS: dropping VXLAN on $broken failed exactly the cross-node cells, and the likely cause names it"
