# Shared helpers for the image build steps (hack/images/step-*.sh).
# The steps are run by the build planner (`go run ./infra/cmd/e2e images`), which passes the
# pinned versions (infra/versions/versions.yaml) as environment variables, the step's cache key
# as BUILD_KEY, and CACHE_DIR. Every step is idempotent and writes only below CACHE_DIR and into
# the local Docker engine. Nothing here pulls an image: `docker build` only uses FROM images
# that an earlier step built (checked by need_image) or `scratch`.
set -euo pipefail
: "${CACHE_DIR:?CACHE_DIR is set by the build planner}"
: "${BUILD_KEY:?BUILD_KEY is set by the build planner}"
export CGO_ENABLED=0 GOFLAGS=-mod=mod
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$CACHE_DIR/bin
mkdir -p "$BIN" "$CACHE_DIR/src" "$CACHE_DIR/rootfs"

log() { echo "[$(date +%T)] $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

# need_image NAME: fail with a clear line if a local image is missing (never pull it).
need_image() {
  docker image inspect "$1" >/dev/null 2>&1 || die "image $1 is not in the local Docker engine; build it with 'make images IMAGES=source'"
}

# docker_build TAG DIR [DOCKERFILE]: a local build labelled with this step's key. --pull=false
# keeps docker from refreshing a FROM image; every FROM is local or scratch.
docker_build() {
  local tag=$1 dir=$2 file=${3:-Dockerfile}
  local from; from=$(awk 'toupper($1)=="FROM"{print $2; exit}' "$dir/$file")
  [ "$from" = scratch ] || need_image "$from"
  docker build --pull=false -q --label "e2e.build-key=$BUILD_KEY" -f "$dir/$file" -t "$tag" "$dir" >/dev/null
  log "built $tag"
}

# debian_mirror: the Debian mirror apt on this machine uses (never a hard-coded host).
debian_mirror() {
  if [ -n "${MIRROR:-}" ]; then echo "$MIRROR"; return; fi
  local m
  m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' | head -1)
  [ -n "$m" ] || m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '$1=="URIs:" && $2 !~ /security/ {print $2; exit}')
  [ -n "$m" ] || die "cannot find the Debian mirror in /etc/apt/sources.list*; set MIRROR=<the mirror URL apt uses>"
  echo "$m"
}

# debootstrap_rootfs DIR PACKAGES...: a minbase Debian rootfs with PACKAGES installed inside it.
debootstrap_rootfs() {
  local dir=$1; shift
  local mirror; mirror=$(debian_mirror)
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install -y debootstrap)"
  rm -rf "$dir"; mkdir -p "$dir"
  log "debootstrap $DEBIAN_SUITE into $dir"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1 \
    || { tail -20 "$dir.debootstrap.log" >&2; die "debootstrap failed (log: $dir.debootstrap.log)"; }
  printf 'deb %s %s main\ndeb %s %s-updates main\n' "$mirror" "$DEBIAN_SUITE" "$mirror" "$DEBIAN_SUITE" >"$dir/etc/apt/sources.list"
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"; chmod +x "$dir/usr/sbin/policy-rc.d"
  mount --bind /proc "$dir/proc"
  trap "umount '$dir/proc' 2>/dev/null || true" RETURN
  log "apt-get install in $dir: $*"
  chroot "$dir" apt-get update -q >/dev/null
  chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >"$dir.apt.log" 2>&1 \
    || { tail -20 "$dir.apt.log" >&2; die "apt-get install in the rootfs failed (log: $dir.apt.log)"; }
  chroot "$dir" apt-get clean
  rm -rf "$dir"/var/lib/apt/lists/* "$dir/usr/sbin/policy-rc.d" "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/locale/*
  : >"$dir/etc/resolv.conf"
}

# k8s_module DIR: a wrapper module that requires k8s.io/kubernetes at KUBERNETES_VERSION and
# replaces every staging module with its published v0.<minor>.<patch> (k8s.io/kubernetes' own
# `replace ./staging/...` lines do not apply to a dependency).
k8s_module() {
  local dir=$1 kv=v$KUBERNETES_VERSION sv=v0.${KUBERNETES_VERSION#1.}
  mkdir -p "$dir"; cd "$dir"
  local kdir; kdir=$(go mod download -json "k8s.io/kubernetes@$kv" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$kdir" ] || die "go mod download k8s.io/kubernetes@$kv failed"
  { echo "module e2e.local/k8sbuild"; echo; echo "go 1.24"; echo; echo "require k8s.io/kubernetes $kv"; echo; echo "replace ("
    sed -n '/^replace (/,/^)/p' "$kdir/go.mod" | grep '=> ./staging' | grep -v sample- | awk -v sv="$sv" '{print "\t"$1" => "$1" "sv}'
    echo ")"; } >go.mod
  printf '//go:build tools\n\npackage tools\n\nimport (\n' >tools.go
  for p in kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubeadm kubectl kubelet; do
    printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$p" >>tools.go
  done
  printf '\t_ "k8s.io/kubernetes/test/images/agnhost"\n)\n' >>tools.go
  [ -f go.sum ] && [ "$(head -1 .version 2>/dev/null)" = "$kv" ] || { go mod tidy >/dev/null 2>tidy.log || { cat tidy.log >&2; die "go mod tidy for k8s.io/kubernetes@$kv failed"; }; echo "$kv" >.version; }
}

# wrapper_module DIR MODULE VERSION PACKAGE: a module whose only job is to build PACKAGE from MODULE@VERSION
# (some modules cannot be `go install`ed here because the proxy refuses their version list).
wrapper_module() {
  local dir=$1 mod=$2 ver=$3 pkg=$4
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  printf 'module e2e.local/wrap\n\ngo 1.24\n\nrequire %s %s\n' "$mod" "$ver" >go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >tools.go
  go mod tidy >/dev/null 2>tidy.log || { cat tidy.log >&2; die "go mod tidy for $mod@$ver failed"; }
}

gobuild() { # OUT PKG [LDFLAGS]
  go build -trimpath -ldflags "-s -w ${3:-}" -o "$1" "$2"
  log "built $(basename "$1") ($(stat -c %s "$1") bytes)"
}

# Start containerd inside a throwaway container of node image FROM, import the given local images
# into its k8s.io namespace (pinned so kubelet's image GC never removes them), and commit the result
# as TO. This is what kind's node-image builder does, without a registry.
node_import_and_commit() {
  local from=$1 to=$2; shift 2
  need_image "$from"
  local id=e2e-node-build-$$
  docker rm -f "$id" >/dev/null 2>&1 || true
  docker run --pull=never -d --entrypoint=sleep --name="$id" --security-opt seccomp=unconfined --network none "$from" infinity >/dev/null
  trap "docker rm -f -v '$id' >/dev/null 2>&1 || true" RETURN
  [ -z "${NODE_PREP:-}" ] || docker exec -i "$id" bash -c "$NODE_PREP"
  docker exec "$id" bash -c 'nohup containerd >/tmp/containerd.log 2>&1 &'
  docker exec "$id" bash -c 'for i in $(seq 1 50); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.2; done; cat /tmp/containerd.log; exit 1'
  local img
  for img in "$@"; do
    need_image "$img"
    docker save "$img" | docker exec -i "$id" ctr --namespace=k8s.io images import --all-platforms --no-unpack --digests - >/dev/null
    log "imported $img into $to"
  done
  docker exec "$id" bash -c 'for i in $(ctr --namespace=k8s.io images list -q); do ctr --namespace=k8s.io images label "$i" io.cri-containerd.pinned=pinned >/dev/null; done'
  docker exec "$id" bash -c 'kill $(pidof containerd); while pidof containerd >/dev/null; do sleep 0.2; done; rm -f /tmp/containerd.log'
  docker commit --change "LABEL e2e.build-key=$BUILD_KEY" \
    --change 'ENTRYPOINT [ "/usr/local/bin/unpriv-entrypoint", "/usr/local/bin/entrypoint", "/sbin/init" ]' "$id" "$to" >/dev/null
  log "committed $to"
}
