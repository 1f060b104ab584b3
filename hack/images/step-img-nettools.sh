#!/bin/bash
# The external BGP router (Debian BIRD) and diagnostics image (tcpdump, iproute2, iptables, dig, curl).
. "$(dirname "$0")/lib.sh"
C=$CACHE_DIR/ctx/nettools; rm -rf "$C"; mkdir -p "$C"
printf 'FROM %s\nRUN mkdir -p /run/bird && bird --version\nCMD ["sleep", "infinity"]\n' "$DEBIAN_BASE_IMAGE" >"$C/Dockerfile"
docker_build "$NETTOOLS_IMAGE" "$C"
