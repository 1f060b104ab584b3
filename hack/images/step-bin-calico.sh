#!/bin/bash
# Calico binaries from source: the calico module at CALICO_MODULE (release-v3.28 branch) with its
# API module copied to ./api (the module's go.mod replaces it there). CGO_ENABLED=0: only the eBPF
# dataplane is lost, which this suite does not use.
. "$(dirname "$0")/lib.sh"
S=$CACHE_DIR/src/calico
dir_of() { go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
CDIR=$(dir_of "github.com/projectcalico/calico@$CALICO_MODULE"); [ -d "$CDIR" ] || die "cannot download github.com/projectcalico/calico@$CALICO_MODULE"
ADIR=$(dir_of "github.com/projectcalico/api@$CALICO_API_MODULE"); [ -d "$ADIR" ] || die "cannot download github.com/projectcalico/api@$CALICO_API_MODULE"
rm -rf "$S"; cp -r "$CDIR" "$S"; cp -r "$ADIR" "$S/api"; chmod -R u+w "$S"
grep -q "v$CALICO_VERSION" "$S/manifests/calico.yaml" || die "the calico module at $CALICO_MODULE does not hold v$CALICO_VERSION manifests"
cd "$S"
V=v$CALICO_VERSION
gobuild "$BIN/calico-node" ./node/cmd/calico-node "-X github.com/projectcalico/calico/node/pkg/lifecycle/startup.VERSION=$V -X github.com/projectcalico/calico/node/buildinfo.GitVersion=$V"
gobuild "$BIN/calico" ./cni-plugin/cmd/calico "-X main.VERSION=$V"
cp "$BIN/calico" "$BIN/calico-ipam"
gobuild "$BIN/calico-install" ./cni-plugin/cmd/install "-X main.VERSION=$V"
gobuild "$BIN/kube-controllers" ./kube-controllers/cmd/kube-controllers "-X main.VERSION=$V"
gobuild "$BIN/check-status" ./kube-controllers/cmd/check-status
gobuild "$BIN/calicoctl" ./calicoctl/calicoctl "-X github.com/projectcalico/calico/calicoctl/calicoctl/commands.VERSION=$V -X github.com/projectcalico/calico/calicoctl/calicoctl/commands/common.VERSION=$V"
gobuild "$BIN/mountns" ./node/cmd/mountns
for p in ipam/host-local main/loopback meta/bandwidth meta/tuning; do
  gobuild "$BIN/cni-$(basename $p)" "github.com/containernetworking/plugins/plugins/$p"
done
GOBIN=$BIN/cni-portmap.d go install -trimpath -ldflags '-s -w' "github.com/containernetworking/plugins/plugins/meta/portmap@v$CNI_PLUGINS_VERSION"
mv "$BIN/cni-portmap.d/portmap" "$BIN/cni-portmap"; rmdir "$BIN/cni-portmap.d"
# confd templates for stock BIRD: drop the fork-only `krt_tunnel = ...;` lines (identical for no-encap pools)
rm -rf "$CACHE_DIR/calico-confd"; mkdir -p "$CACHE_DIR/calico-confd"
cp -r confd/etc/calico/confd/conf.d confd/etc/calico/confd/templates "$CACHE_DIR/calico-confd/"
sed -i '/krt_tunnel = /d' "$CACHE_DIR"/calico-confd/templates/bird*_ipam.cfg.template
! grep -q krt_tunnel "$CACHE_DIR"/calico-confd/templates/* || die "krt_tunnel still in the confd templates"
rm -rf "$CACHE_DIR/calico-nodefs" "$CACHE_DIR/calico-manifests"
cp -r node/filesystem "$CACHE_DIR/calico-nodefs"; cp -r manifests "$CACHE_DIR/calico-manifests"
chmod -R u+w "$CACHE_DIR/calico-nodefs" "$CACHE_DIR/calico-manifests"
# module zips drop exec bits
chmod +x "$CACHE_DIR"/calico-nodefs/sbin/* "$CACHE_DIR"/calico-nodefs/etc/rc.local \
  "$CACHE_DIR"/calico-nodefs/etc/service/available/*/run "$CACHE_DIR"/calico-nodefs/etc/service/available/*/log/run
