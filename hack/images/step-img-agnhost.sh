#!/bin/bash
# agnhost under its release name, with the tools the release image carries (curl, dig, nc, ip, bash).
. "$(dirname "$0")/lib.sh"
C=$CACHE_DIR/ctx/agnhost; rm -rf "$C"; mkdir -p "$C"; cp "$BIN/agnhost" "$C/"
printf 'FROM %s\nCOPY agnhost /agnhost\nENTRYPOINT ["/agnhost"]\nCMD ["pause"]\n' "$DEBIAN_BASE_IMAGE" >"$C/Dockerfile"
docker_build "$AGNHOST_IMAGE" "$C"
