#!/bin/bash
. "$(dirname "$0")/lib.sh"
GOBIN=$BIN go install -trimpath -ldflags '-s -w' "github.com/coredns/coredns@v$COREDNS_VERSION"
log "built coredns"
