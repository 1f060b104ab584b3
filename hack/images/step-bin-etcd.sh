#!/bin/bash
. "$(dirname "$0")/lib.sh"
wrapper_module "$CACHE_DIR/src/etcd" go.etcd.io/etcd/server/v3 "v$ETCD_VERSION" go.etcd.io/etcd/server/v3
gobuild "$BIN/etcd" go.etcd.io/etcd/server/v3
