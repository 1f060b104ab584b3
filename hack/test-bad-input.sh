#!/bin/bash
# Bad input gets one clear line and exit 2, and creates nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
before=$(docker ps -aq --filter label=io.x-k8s.kind.cluster | wc -l)
fail=0
check() { # NAME EXPECTED-SUBSTRING ENV... 
  local name=$1 want=$2; shift 2
  local out rc
  out=$(env "$@" hack/e2e.sh 2>&1); rc=$?
  local lines; lines=$(printf '%s\n' "$out" | grep -c .)
  if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [[ $out == *"$want"* ]]; then
    echo "PASS: $name -> exit 2: $out"
  else
    echo "FAIL: $name -> exit $rc, $lines line(s):"; printf '  %s\n' "$out"; fail=1
  fi
}
check "unknown MODE" 'valid values are vxlan, noencap, ipip' MODE=foo
check "unknown PROVIDER" 'valid values are kind, existing' MODE=vxlan PROVIDER=cloud
check "unknown IMAGES" 'valid values are source, release' MODE=vxlan IMAGES=local
check "existing without KUBECONFIG" 'PROVIDER=existing needs KUBECONFIG' -u KUBECONFIG MODE=vxlan PROVIDER=existing
check "existing with a missing KUBECONFIG" 'does not exist' MODE=vxlan PROVIDER=existing KUBECONFIG=/nonexistent/kubeconfig
check "release images not fetched" "fetch them with 'make images IMAGES=release'" MODE=vxlan IMAGES=release
check "Docker not running" 'Docker is not running' MODE=vxlan DOCKER_HOST=unix:///nonexistent/docker.sock
after=$(docker ps -aq --filter label=io.x-k8s.kind.cluster | wc -l)
[ "$before" -eq "$after" ] || { echo "FAIL: kind containers before $before, after $after"; fail=1; }
exit $fail
