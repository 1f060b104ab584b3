#!/bin/bash
# Every spec of the suite with its labels, from a dry run (no cluster): the content of ci/specs.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bin/ginkgo --dry-run --fail-on-empty --no-color --output-dir="$tmp" --json-report=specs.json ./e2e >/dev/null
bin/calico-e2e specs "$tmp/specs.json"
