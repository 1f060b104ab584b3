#!/bin/bash
# Qualify your own Calico (CALICO_SRC), end to end, on a checkout with one visible change:
#   1. copy the pinned Calico module's source (and its API module as ./api, as a clone of
#      projectcalico/calico has it) into a temp dir and commit it there as one git commit (fixed
#      author and dates, so every lane run makes the same commit and reuses the cached build);
#   2. change, without committing, what calico-node reports to the cluster as its version: it
#      appends +e2e.lane to the version it writes to the ClusterInformation;
#   3. make e2e MODE=vxlan IMAGES=source CALICO_SRC=<copy>: the Calico images are built from the
#      copy under their own tag, the cluster runs them (pod-to-pod cells, no router), and the
#      run's metadata must say so:
#        - matrix.md's calico row: v<calico> from source <copy>@<commit> (dirty, changes ...),
#          images tagged v<calico>-src-<commit>-dirty-<changes>;
#        - matrix.md's detected row: Calico <that tag>+e2e.lane, which only the changed
#          calico-node can have written, and calico-node running the image of that tag;
#        - the terminal header the same calico line;
#      and the pinned Calico images are not touched (same image ID before and after);
#   4. make images ... PLAN_ONLY=1: the unchanged copy is cached; committing the change (a new
#      identity) rebuilds exactly the checkout's three steps, naming the change.
# SKIP_BUILD_CHECK=1 skips step 4. Each failed check names what it expected.
set -uo pipefail
cd "$(dirname "$0")/.."
export MODE=vxlan IMAGES=source PROVIDER=kind
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d /tmp/calico-src-lane.XXXXXX)
trap 'rm -rf "$work"' EXIT
eval "$(sed -n 's/^calicoModule: \(.*\)$/module=\1/p; s/^calicoAPIModule: \(.*\)$/api=\1/p; s/^calico: \(.*\)$/calico=\1/p' infra/versions/versions.yaml)"
[ -n "${module:-}" ] && [ -n "${api:-}" ] && [ -n "${calico:-}" ] || fail "cannot read calico, calicoModule and calicoAPIModule from infra/versions/versions.yaml"
dir_of() { go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
cdir=$(dir_of "github.com/projectcalico/calico@$module"); [ -d "$cdir" ] || fail "go mod download github.com/projectcalico/calico@$module"
adir=$(dir_of "github.com/projectcalico/api@$api"); [ -d "$adir" ] || fail "go mod download github.com/projectcalico/api@$api"

# 1. the copy, committed as the pinned source (ignored files too: a clone of Calico tracks them)
src=$work/calico
cp -r "$cdir" "$src" && cp -r "$adir" "$src/api" && chmod -R u+w "$src" || fail "copy the module source to $src"
g() { GIT_AUTHOR_DATE=2025-08-13T17:03:00Z GIT_COMMITTER_DATE=2025-08-13T17:03:00Z GIT_CONFIG_GLOBAL=/dev/null \
  git -C "$src" -c user.name=calico-e2e -c user.email=lane@calico-conformance.invalid -c init.defaultBranch=main -c core.autocrlf=false "$@"; }
{ g init -q && g add --all --force && g commit -q -m "github.com/projectcalico/calico@$module"; } >/dev/null 2>&1 || fail "git commit of the copy in $src"
commit=$(g rev-parse HEAD)
[ -z "$(g status --porcelain)" ] || fail "the committed copy is not clean: $(g status --porcelain | head -3)"

# 2. the visible change: the version calico-node reports to the cluster
startup=node/pkg/lifecycle/startup/startup.go
grep -q 'c.EnsureInitialized(ctx, VERSION, clusterType)' "$src/$startup" || fail "$startup has no EnsureInitialized(ctx, VERSION, clusterType) line to change"
sed -i 's/c.EnsureInitialized(ctx, VERSION, clusterType)/c.EnsureInitialized(ctx, VERSION+"+e2e.lane", clusterType)/' "$src/$startup"
[ "$(g status --porcelain)" = " M $startup" ] || fail "the change is not exactly $startup: $(g status --porcelain)"
echo "checkout: $src at ${commit:0:12}, changed $startup (calico-node reports VERSION+\"+e2e.lane\")"

pinned_id() { docker image inspect --format '{{.Id}}' "docker.io/calico/node:v$calico" 2>/dev/null || echo absent; }
before=$(pinned_id)

# 3. the run
export RUN_ID=$(bin/calico-e2e run-id calicosrc)
export ARTIFACTS=$PWD/_artifacts/$RUN_ID
log=$work/e2e.log
make --no-print-directory e2e MODE=vxlan IMAGES=source CALICO_SRC="$src" ROUTER=0 LABEL_FILTER='scenario:pod-to-pod' >"$log" 2>&1; rc=$?
cp "$log" "$ARTIFACTS/make-e2e.log" 2>/dev/null
[ $rc -eq 0 ] || { tail -40 "$log"; fail "make e2e CALICO_SRC=$src failed (exit $rc; log $ARTIFACTS/make-e2e.log)"; }
md=$ARTIFACTS/matrix.md
[ -f "$md" ] || fail "no $md"
row() { sed -n "s/^| $1 | \(.*\) |\$/\1/p" "$md"; }
calico_row=$(row calico) detected=$(row detected)
echo "matrix.md calico:   $calico_row"
echo "matrix.md detected: $detected"
tag=$(sed -n 's/.*images tagged \(v[^ ]*\).*/\1/p' <<<"$calico_row")
[[ $tag =~ ^v$calico-src-${commit:0:12}-dirty-[0-9a-f]{8}$ ]] || fail "the calico row's image tag '$tag' is not v$calico-src-${commit:0:12}-dirty-<changes>"
[[ $calico_row == "v$calico from source $src@${commit:0:12} (dirty, changes sha256:"* ]] || fail "the calico row does not name the checkout, its commit and that it is dirty: $calico_row"
[[ $detected == *"Calico $tag+e2e.lane (calico-node image docker.io/calico/node:$tag"* ]] \
  || fail "the detected row does not show the changed calico-node (version $tag+e2e.lane, image docker.io/calico/node:$tag): $detected"
grep -qxF "calico: $calico_row" "$log" || fail "the terminal header has no 'calico: $calico_row' line"
totals=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$md")
[[ $totals =~ ^[1-9][0-9]*\ passed,\ 0\ failed ]] || fail "the cells did not pass on the checkout's build: '$totals' ($md)"
after=$(pinned_id)
[ "$before" = "$after" ] || fail "the pinned docker.io/calico/node:v$calico changed ($before -> $after)"
[ "$(docker image inspect --format '{{index .Config.Labels "e2e.build-key"}}' "docker.io/calico/node:$tag" 2>/dev/null)" != "" ] || fail "no local image docker.io/calico/node:$tag with a build key"
echo "run: $totals on the checkout's build; the pinned calico/node untouched ($after)"

# 4. the cache key follows the checkout
# CALICO_IMAGES: the same build under names of the user's own (never pulled; loaded into the
# nodes): only that build reports +e2e.lane, so the detected row proves the cluster ran them
user=e2e.local/calico-src-lane
for c in node cni kube-controllers; do docker tag "docker.io/calico/$c:$tag" "$user/$c:dev" || fail "docker tag $c"; done
export RUN_ID=$(bin/calico-e2e run-id calicoimg) ARTIFACTS=$PWD/_artifacts/$RUN_ID
make --no-print-directory e2e MODE=vxlan IMAGES=source SKIP_IMAGES=1 ROUTER=0 LABEL_FILTER='scenario:pod-to-pod' \
  CALICO_IMAGES="node=$user/node:dev,cni=$user/cni:dev,kube-controllers=$user/kube-controllers:dev" >"$log" 2>&1; rc=$?
cp "$log" "$ARTIFACTS/make-e2e.log" 2>/dev/null
for c in node cni kube-controllers; do docker rmi "$user/$c:dev" >/dev/null 2>&1; done
[ $rc -eq 0 ] || { tail -40 "$log"; fail "make e2e CALICO_IMAGES=... failed (exit $rc; log $ARTIFACTS/make-e2e.log)"; }
md=$ARTIFACTS/matrix.md calico_row=$(row calico) detected=$(row detected)
echo "CALICO_IMAGES matrix.md calico:   $calico_row"
echo "CALICO_IMAGES matrix.md detected: $detected"
[[ $calico_row == "images node=$user/node:dev@sha256:"* ]] || fail "the calico row does not name the user's images with their IDs: $calico_row"
[[ $detected == *"Calico $tag+e2e.lane (calico-node image $user/node:dev ("* ]] || fail "the detected row does not show the user's calico-node running: $detected"

[ "${SKIP_BUILD_CHECK:-0}" = 1 ] && exit 0
plan() { make --no-print-directory images IMAGES=source CALICO_SRC="$src" PLAN_ONLY=1 2>&1; }
p=$(plan) || { echo "$p"; fail "make images PLAN_ONLY=1 failed"; }
built=$(awk '$2=="build"{print $1}' <<<"$p" | paste -sd,)
[ -z "$built" ] || { echo "$p"; fail "the unchanged checkout would rebuild: $built"; }
g commit -q -am "report +e2e.lane" >/dev/null 2>&1 || fail "commit the change"
p=$(plan) || { echo "$p"; fail "make images PLAN_ONLY=1 failed"; }
built=$(awk '$2=="build"{print $1}' <<<"$p" | paste -sd,)
[ "$built" = "bin-calico-src,img-calico-src,kind-node-preload-src" ] || { echo "$p"; fail "committing the change would rebuild '$built', want the checkout's three steps"; }
grep -q "^bin-calico-src .*calico-src git $commit dirty sha256:[0-9a-f]* -> git $(g rev-parse HEAD)" <<<"$p" || { echo "$p"; fail "the plan does not say the checkout changed"; }
echo "cache: the unchanged checkout is cached; after committing the change the plan rebuilds $built"
echo "PASS"
