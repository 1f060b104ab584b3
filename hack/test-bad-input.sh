#!/bin/bash
# Bad input gets one clear line and exit 2, and creates nothing: every knob is checked before
# anything is built or created (boolean knobs accept 1/0, true/false, yes/no, on/off only).
set -uo pipefail
cd "$(dirname "$0")/.."
before=$(docker ps -aq --filter label=io.x-k8s.kind.cluster | wc -l)
fail=0
check() { # NAME EXPECTED-SUBSTRING ENV... 
  local name=$1 want=$2; shift 2
  local out rc
  local script=hack/e2e.sh
  for a in "$@"; do case $a in SCRIPT=*) script=${a#SCRIPT=} ;; esac; done
  out=$(env "$@" "$script" 2>&1); rc=$?
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
check "CELL_TIMEOUT not a duration" 'CELL_TIMEOUT="abc" is not a positive duration' MODE=vxlan IMAGES=source CELL_TIMEOUT=abc
check "LABEL_FILTER unparsable" 'is not a valid Ginkgo label filter' MODE=vxlan IMAGES=source 'LABEL_FILTER=((('
check "LABEL_FILTER selecting nothing" 'selects none of the' MODE=vxlan IMAGES=source 'LABEL_FILTER=scenario:none'
check "MAX_CAPTURES negative" 'MAX_CAPTURES="-1" is not a number of captures' MODE=vxlan IMAGES=source MAX_CAPTURES=-1
check "KEEP_CLUSTER not a boolean" 'KEEP_CLUSTER="maybe" is not a boolean' MODE=vxlan IMAGES=source KEEP_CLUSTER=maybe
check "e2e-run knobs are checked too" 'CELL_TIMEOUT="abc" is not a positive duration' MODE=vxlan CELL_TIMEOUT=abc RUN_ID=no-such-run E2E_STATE_DIR=/nonexistent SCRIPT=hack/e2e-run.sh
check "Docker not running" 'Docker is not running' MODE=vxlan DOCKER_HOST=unix:///nonexistent/docker.sock
check "WINDOWS_REGISTRY not a registry" 'WINDOWS_REGISTRY="ftp://example.com" is not a registry' MODE=vxlan IMAGES=source WINDOWS_REGISTRY=ftp://example.com
check "MODES with an unknown mode" 'MODES="vxlan,gre": unknown MODE "gre"' MODE=vxlan IMAGES=source MODES=vxlan,gre
check "MODES with an existing cluster" 'MODES needs clusters the suite creates' IMAGES=source MODES=all PROVIDER=existing KUBECONFIG=/dev/null
check "CALICO_SRC missing" 'CALICO_SRC=/nonexistent/calico does not exist' MODE=vxlan IMAGES=source CALICO_SRC=/nonexistent/calico
check "CALICO_SRC not a Calico checkout" 'is not a Calico checkout: its go.mod is module' MODE=vxlan IMAGES=source CALICO_SRC="$PWD"
check "CALICO_SRC with published images" 'needs IMAGES=source' MODE=vxlan IMAGES=release CALICO_SRC=/nonexistent/calico
check "CALICO_SRC and CALICO_IMAGES both" 'CALICO_SRC and CALICO_IMAGES are both set' MODE=vxlan IMAGES=source CALICO_SRC=/nonexistent/calico CALICO_IMAGES=node=myreg/node:dev
check "CALICO_IMAGES without a tag" 'node=myreg/node has no tag' MODE=vxlan IMAGES=source CALICO_IMAGES=node=myreg/node
check "CALICO_IMAGES image not in Docker, never pulled" 'does not have: node=e2e.local/no-such-calico-node:dev' MODE=vxlan IMAGES=source CALICO_IMAGES=node=e2e.local/no-such-calico-node:dev
check "vagrant: unknown WINDOWS_VERSION" 'WINDOWS_VERSION' MODE=vxlan IMAGES=source PROVIDER=vagrant WINDOWS_VERSION=2016
check "vagrant: what this host lacks (plugin or box), never downloaded" 'PROVIDER=vagrant: ' MODE=vxlan IMAGES=source PROVIDER=vagrant E2E_STATE_DIR=/tmp/e2e-bad-input-state SCRIPT=hack/e2e-up.sh
after=$(docker ps -aq --filter label=io.x-k8s.kind.cluster | wc -l)
[ ! -d /tmp/e2e-bad-input-state/vagrant ] || { echo "FAIL: PROVIDER=vagrant made a project directory"; fail=1; }
[ "$before" -eq "$after" ] || { echo "FAIL: kind containers before $before, after $after"; fail=1; }
exit $fail
