#!/bin/bash
# The pod sandbox process (hack/images/pause, this repository's own source).
. "$(dirname "$0")/lib.sh"
cd "$HERE/pause" && gobuild "$BIN/pause" .
