#!/bin/bash
# One Debian userland for every non-scratch image: kube-proxy (iptables/nft/conntrack), calico/node
# (ipset, iproute2, runit, stock BIRD), agnhost (curl, dig, nc, iproute2, bash: what the release
# agnhost image carries) and the nettools router/diagnostics image (BIRD, tcpdump).
. "$(dirname "$0")/lib.sh"
R=$CACHE_DIR/rootfs/debian-base
debootstrap_rootfs "$R" iptables nftables conntrack kmod ipset iproute2 runit procps ca-certificates netbase \
  bird curl bind9-dnsutils netcat-openbsd tcpdump iputils-ping bash
v=$(chroot "$R" bird --version 2>&1 | awk '{print $NF}')
[ "$v" = "$BIRD_VERSION" ] || die "Debian $DEBIAN_SUITE ships BIRD $v, but versions.yaml pins bird $BIRD_VERSION"
tar -C "$R" --numeric-owner -c . | docker import --change "LABEL e2e.build-key=$BUILD_KEY" - "$DEBIAN_BASE_IMAGE" >/dev/null
log "imported $DEBIAN_BASE_IMAGE (BIRD $v)"
