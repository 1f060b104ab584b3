#!/bin/bash
# kind's base image (sigs.k8s.io/kind images/base) rebuilt from Debian packages: systemd, containerd,
# runc and CNI plugins from the Debian mirror, kind's own entrypoint and units from the kind module.
. "$(dirname "$0")/lib.sh"
R=$CACHE_DIR/rootfs/kind-base
KDIR=$(go mod download -json "sigs.k8s.io/kind@v$KIND_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
K=$KDIR/images/base/files; [ -d "$K" ] || die "kind v$KIND_VERSION has no images/base/files"
need_file() { [ -x "$BIN/$1" ] || die "$BIN/$1 is missing: run the bin-$2 step"; }
need_file crictl crictl
debootstrap_rootfs "$R" systemd systemd-sysv dbus containerd runc containernetworking-plugins \
  conntrack iptables nftables iproute2 ethtool util-linux mount kmod socat \
  libseccomp2 pigz e2fsprogs bash ca-certificates curl jq procps iputils-ping less
install -m 0755 "$K"/usr/local/bin/* "$R/usr/local/bin/"
mkdir -p "$R/kind/bin" "$R/etc/containerd" "$R/etc/default" "$R/etc/sysctl.d" "$R/etc/systemd/system/kubelet.service.d"
install -m 0644 "$K/kind/README.txt" "$R/kind/"
install -m 0755 "$K"/kind/bin/* "$R/kind/bin/"
install -m 0644 "$K/etc/crictl.yaml" "$R/etc/"
install -m 0644 "$K"/etc/containerd/* "$R/etc/containerd/"
install -m 0644 "$K"/etc/default/* "$R/etc/default/"
install -m 0644 "$K"/etc/sysctl.d/* "$R/etc/sysctl.d/"
install -m 0644 "$K"/etc/systemd/system/*.service "$K"/etc/systemd/system/*.slice "$R/etc/systemd/system/"
install -m 0644 "$K"/etc/systemd/system/kubelet.service.d/* "$R/etc/systemd/system/kubelet.service.d/"
chmod 755 "$R/kind" "$R/kind/bin"
# Debian puts containerd in /usr/bin and CNI plugins in /usr/lib/cni; kind expects /usr/local/bin and /opt/cni/bin
for b in containerd ctr containerd-shim-runc-v2; do ln -sf "/usr/bin/$b" "$R/usr/local/bin/$b"; done
mkdir -p "$R/opt/cni/bin"; cp -a "$R/usr/lib/cni/." "$R/opt/cni/bin/"
install -m 0755 "$BIN/crictl" "$R/usr/local/bin/crictl"
# the same clean-up as kind's base Dockerfile
find "$R/lib/systemd/system/sysinit.target.wants/" -name "systemd-tmpfiles-setup.service" -delete
rm -f "$R"/lib/systemd/system/multi-user.target.wants/* "$R"/etc/systemd/system/*.wants/* \
  "$R"/lib/systemd/system/local-fs.target.wants/* "$R"/lib/systemd/system/sockets.target.wants/*udev* \
  "$R"/lib/systemd/system/sockets.target.wants/*initctl* "$R"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$R/etc/systemd/journald.conf"
ln -sf /usr/lib/systemd/systemd "$R/sbin/init"
chroot "$R" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
chroot "$R" systemctl mask systemd-binfmt.service >/dev/null 2>&1
mkdir -p "$R/etc/kubernetes/manifests"
chroot "$R" sh -c 'ctr oci spec | jq ".hooks.createContainer[.hooks.createContainer| length] |= . + {\"path\": \"/kind/bin/mount-product-files.sh\"}" | jq "del(.process.rlimits)" > /etc/containerd/cri-base.json'
# Runs before kind's entrypoint; a no-op on hosts that can run privileged containers (see the file).
install -m 0755 "$HERE/files/unpriv-entrypoint" "$R/usr/local/bin/unpriv-entrypoint"
rm -f "$R/etc/machine-id"; : >"$R/etc/machine-id"
tar -C "$R" --numeric-owner -c . | docker import - "$KIND_BASE_IMAGE-rootfs" >/dev/null
# docker import (Docker 20.10) cannot set STOPSIGNAL: add the config with a local build FROM the import
W=$CACHE_DIR/ctx/kind-base; rm -rf "$W"; mkdir -p "$W"
cat >"$W/Dockerfile" <<DF
FROM $KIND_BASE_IMAGE-rootfs
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/unpriv-entrypoint", "/usr/local/bin/entrypoint", "/sbin/init"]
DF
docker_build "$KIND_BASE_IMAGE" "$W"
