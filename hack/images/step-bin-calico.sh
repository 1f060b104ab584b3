#!/bin/bash
# Calico binaries from source: the calico module at CALICO_MODULE (release-v3.28 branch) with its
# API module copied to ./api (the module's go.mod replaces it there), or, with CALICO_SRC, a local
# Calico checkout: its files (for a git work tree the tracked and untracked ones git does not
# ignore), with the pinned API module as ./api when it has none. The checkout is copied, never
# built in place or changed. Outputs go below CACHE_DIR/CALICO_OUT (calico-src for a checkout,
# CACHE_DIR itself for the pinned module), so the two builds never overwrite each other.
# CGO_ENABLED=0: only the eBPF dataplane is lost, which this suite does not use.
. "$(dirname "$0")/lib.sh"
: "${CALICO_TAG:?CALICO_TAG is set by the build planner}"
OUT=$CACHE_DIR${CALICO_OUT:+/$CALICO_OUT}; OBIN=$OUT/bin; mkdir -p "$OBIN"
S=$OUT/src/calico
dir_of() { go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
ADIR=$(dir_of "github.com/projectcalico/api@$CALICO_API_MODULE"); [ -d "$ADIR" ] || die "cannot download github.com/projectcalico/api@$CALICO_API_MODULE"
rm -rf "$S"; mkdir -p "$S"
if [ -n "${CALICO_SRC:-}" ]; then
  [ -f "$CALICO_SRC/go.mod" ] || die "CALICO_SRC=$CALICO_SRC has no go.mod"
  if [ "$(git -C "$CALICO_SRC" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$CALICO_SRC" && pwd -P)" ]; then
    log "copying the git checkout $CALICO_SRC (tracked and untracked files git does not ignore)"
    git -C "$CALICO_SRC" ls-files -z --cached --others --exclude-standard \
      | (cd "$CALICO_SRC" && while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done) \
      | tar -C "$CALICO_SRC" --null -T - -cf - | tar -C "$S" -xf -
  else
    log "copying $CALICO_SRC (not a git checkout: every file)"
    tar -C "$CALICO_SRC" --exclude=.git -cf - . | tar -C "$S" -xf -
  fi
  [ -f "$S/api/go.mod" ] || { log "no ./api in the checkout: using github.com/projectcalico/api@$CALICO_API_MODULE"; cp -r "$ADIR" "$S/api"; }
else
  CDIR=$(dir_of "github.com/projectcalico/calico@$CALICO_MODULE"); [ -d "$CDIR" ] || die "cannot download github.com/projectcalico/calico@$CALICO_MODULE"
  cp -r "$CDIR/." "$S"; cp -r "$ADIR" "$S/api"
  grep -q "v$CALICO_VERSION" "$S/manifests/calico.yaml" || die "the calico module at $CALICO_MODULE does not hold v$CALICO_VERSION manifests"
fi
chmod -R u+w "$S"
cd "$S"
# the version every binary reports (calico-node writes it to the ClusterInformation, where the suite reads it)
V=$CALICO_TAG
gobuild "$OBIN/calico-node" ./node/cmd/calico-node "-X github.com/projectcalico/calico/node/pkg/lifecycle/startup.VERSION=$V -X github.com/projectcalico/calico/node/buildinfo.GitVersion=$V"
gobuild "$OBIN/calico" ./cni-plugin/cmd/calico "-X main.VERSION=$V"
cp "$OBIN/calico" "$OBIN/calico-ipam"
gobuild "$OBIN/calico-install" ./cni-plugin/cmd/install "-X main.VERSION=$V"
gobuild "$OBIN/kube-controllers" ./kube-controllers/cmd/kube-controllers "-X main.VERSION=$V"
gobuild "$OBIN/check-status" ./kube-controllers/cmd/check-status
gobuild "$OBIN/calicoctl" ./calicoctl/calicoctl "-X github.com/projectcalico/calico/calicoctl/calicoctl/commands.VERSION=$V -X github.com/projectcalico/calico/calicoctl/calicoctl/commands/common.VERSION=$V"
gobuild "$OBIN/mountns" ./node/cmd/mountns
for p in ipam/host-local main/loopback meta/bandwidth meta/tuning; do
  gobuild "$OBIN/cni-$(basename $p)" "github.com/containernetworking/plugins/plugins/$p"
done
GOBIN=$OBIN/cni-portmap.d go install -trimpath -ldflags '-s -w' "github.com/containernetworking/plugins/plugins/meta/portmap@v$CNI_PLUGINS_VERSION"
mv "$OBIN/cni-portmap.d/portmap" "$OBIN/cni-portmap"; rmdir "$OBIN/cni-portmap.d"
# confd templates for stock BIRD: drop the fork-only `krt_tunnel = ...;` lines (identical for no-encap pools)
rm -rf "$OUT/calico-confd"; mkdir -p "$OUT/calico-confd"
cp -r confd/etc/calico/confd/conf.d confd/etc/calico/confd/templates "$OUT/calico-confd/"
sed -i '/krt_tunnel = /d' "$OUT"/calico-confd/templates/bird*_ipam.cfg.template
! grep -q krt_tunnel "$OUT"/calico-confd/templates/* || die "krt_tunnel still in the confd templates"
rm -rf "$OUT/calico-nodefs" "$OUT/calico-manifests"
cp -r node/filesystem "$OUT/calico-nodefs"; cp -r manifests "$OUT/calico-manifests"
chmod -R u+w "$OUT/calico-nodefs" "$OUT/calico-manifests"
# module zips drop exec bits
chmod +x "$OUT"/calico-nodefs/sbin/* "$OUT"/calico-nodefs/etc/rc.local \
  "$OUT"/calico-nodefs/etc/service/available/*/run "$OUT"/calico-nodefs/etc/service/available/*/log/run
