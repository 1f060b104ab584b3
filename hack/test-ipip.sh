#!/bin/bash
# MODE=ipip, whatever the host: on a kernel without IPIP (CONFIG_NET_IPIP) the preflight must
# say so in seconds with exit 3; on a kernel with IPIP the suite runs for real, with the
# published images (the source-built calico/node has stock BIRD, which cannot route IPIP).
set -uo pipefail
cd "$(dirname "$0")/.."
if unshare --net ip link add e2e-ipip-chk type ipip >/dev/null 2>&1; then
  echo "this kernel ($(uname -r)) has IPIP: running MODE=ipip with IMAGES=release"
  make --no-print-directory images IMAGES=release && MODE=ipip IMAGES=release hack/e2e.sh
  exit $?
fi
start=$(date +%s)
out=$(MODE=ipip IMAGES=source hack/e2e.sh 2>&1); rc=$?
took=$(( $(date +%s) - start ))
echo "$out" | tail -3
[ $rc -eq 3 ] || { echo "FAIL: MODE=ipip on a kernel without IPIP exited $rc, want 3 (the preflight verdict)"; exit 1; }
echo "$out" | grep -q "MODE=ipip needs IPIP tunnel support" || { echo "FAIL: the preflight does not say why"; exit 1; }
echo "PASS: no IPIP in kernel $(uname -r): the preflight said so in ${took}s, exit 3"
