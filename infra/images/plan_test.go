package images

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/calico-conformance/e2e/infra/versions"
)

// fakeState is a cache where every step was built with the given records and all outputs exist.
type fakeState struct {
	stamps  map[string]Record
	images  map[string]string
	missing map[string]bool
}

func (f *fakeState) Stamp(step string) (Record, bool) { r, ok := f.stamps[step]; return r, ok }
func (f *fakeState) ImageKey(img string) (string, bool) {
	k, ok := f.images[img]
	return k, ok
}
func (f *fakeState) FileExists(rel string) bool { return !f.missing[rel] }

func builtWith(steps []Step, recs map[string]Record) *fakeState {
	st := &fakeState{stamps: map[string]Record{}, images: map[string]string{}, missing: map[string]bool{}}
	for _, s := range steps {
		st.stamps[s.Name] = recs[s.Name]
		for _, img := range s.Images {
			st.images[img] = recs[s.Name].Key
		}
	}
	return st
}

// repoFS holds a script for every step, so tests can change one and see what is stale.
func repoFS(steps []Step) fstest.MapFS {
	m := fstest.MapFS{libScript: {Data: []byte("lib")}}
	for _, s := range steps {
		m[s.Script()] = &fstest.MapFile{Data: []byte("script " + s.Name)}
		for _, in := range s.Inputs {
			m[in+"/main.go"] = &fstest.MapFile{Data: []byte("input " + in)}
		}
	}
	return m
}

func pinned(t *testing.T) versions.Set {
	t.Helper()
	v, err := versions.Pinned()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustRecords(t *testing.T, steps []Step, v versions.Set, repo fstest.MapFS) map[string]Record {
	t.Helper()
	recs, err := Records(steps, v, repo)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func rebuilt(plan []Action) []string {
	var out []string
	for _, a := range plan {
		if a.Build {
			out = append(out, a.Step.Name)
		}
	}
	return out
}

func TestEverythingBuildsOnAnEmptyCache(t *testing.T) {
	v := pinned(t)
	steps := Steps(NamesFor(v, FromSource))
	plan := Plan(steps, mustRecords(t, steps, v, repoFS(steps)), &fakeState{})
	if got := rebuilt(plan); len(got) != len(steps) {
		t.Fatalf("rebuilt %v, want all %d steps", got, len(steps))
	}
	if plan[0].Reason != "never built" {
		t.Fatalf("reason %q, want 'never built'", plan[0].Reason)
	}
}

func TestNothingChangedRebuildsNothing(t *testing.T) {
	v := pinned(t)
	steps := Steps(NamesFor(v, FromSource))
	recs := mustRecords(t, steps, v, repoFS(steps))
	if got := rebuilt(Plan(steps, recs, builtWith(steps, recs))); len(got) != 0 {
		t.Fatalf("rebuilt %v with nothing changed", got)
	}
}

// Changing one version rebuilds exactly the steps that read it and the steps built on them.
func TestOneVersionRebuildsOnlyItsDependents(t *testing.T) {
	v := pinned(t)
	n := NamesFor(v, FromSource)
	steps := Steps(n)
	repo := repoFS(steps)
	recs := mustRecords(t, steps, v, repo)
	st := builtWith(steps, recs)

	cases := []struct {
		key, value string
		want       []string
	}{
		{"calico", "3.28.6", []string{"bin-calico", "img-calico", "kind-node-preload"}},
		{"agnhost", "2.57", []string{"bin-agnhost", "img-agnhost", "kind-node-preload"}},
		{"etcd", "3.6.6", []string{"bin-etcd", "img-kubernetes", "kind-node", "kind-node-preload"}},
		{"bird", "1.6.9", []string{"debian-base", "img-kubernetes", "kind-node", "img-calico", "img-agnhost", "img-nettools", "kind-node-preload"}},
		{"debian", "trixie", []string{"debian-base", "kind-base", "img-kubernetes", "kind-node", "img-calico", "img-agnhost", "img-nettools", "kind-node-preload"}},
		{"crictl", "1.36.1", []string{"bin-crictl", "kind-base", "kind-node", "kind-node-preload"}},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			v2 := setVersion(t, v, c.key, c.value)
			// the names embed versions, so the state must be read against the new names
			steps2 := Steps(NamesFor(v2, FromSource))
			recs2 := mustRecords(t, steps2, v2, repo)
			plan := Plan(steps2, recs2, st)
			if got := rebuilt(plan); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("changing %s rebuilt %v, want %v", c.key, got, c.want)
			}
			for _, a := range plan {
				if a.Step.Name == c.want[0] && !strings.Contains(a.Reason, c.key) {
					t.Errorf("reason %q does not name the changed version %s", a.Reason, c.key)
				}
			}
		})
	}
}

func TestScriptChangeRebuildsThatStepAndDependents(t *testing.T) {
	v := pinned(t)
	steps := Steps(NamesFor(v, FromSource))
	repo := repoFS(steps)
	recs := mustRecords(t, steps, v, repo)
	st := builtWith(steps, recs)
	repo["hack/images/step-img-nettools.sh"] = &fstest.MapFile{Data: []byte("changed")}
	plan := Plan(steps, mustRecords(t, steps, v, repo), st)
	if got := rebuilt(plan); strings.Join(got, ",") != "img-nettools,kind-node-preload" {
		t.Fatalf("rebuilt %v, want img-nettools and the node image that preloads it", got)
	}
	repo["hack/images/pause/main.go"] = &fstest.MapFile{Data: []byte("changed pause")}
	plan = Plan(steps, mustRecords(t, steps, v, repo), st)
	want := "bin-pause,img-kubernetes,kind-node,img-nettools,kind-node-preload"
	if got := rebuilt(plan); strings.Join(got, ",") != want {
		t.Fatalf("rebuilt %v, want %s", got, want)
	}
}

func TestMissingOrForeignOutputsAreRebuilt(t *testing.T) {
	v := pinned(t)
	n := NamesFor(v, FromSource)
	steps := Steps(n)
	recs := mustRecords(t, steps, v, repoFS(steps))

	st := builtWith(steps, recs)
	delete(st.images, n.Agnhost)
	plan := Plan(steps, recs, st)
	// a deleted image is rebuilt under the same key, so nothing built on it is stale
	if got := rebuilt(plan); strings.Join(got, ",") != "img-agnhost" {
		t.Fatalf("rebuilt %v, want img-agnhost", got)
	}

	st = builtWith(steps, recs)
	st.images[n.Calico[0]] = "someone-else"
	if got := rebuilt(Plan(steps, recs, st)); strings.Join(got, ",") != "img-calico" {
		t.Fatalf("rebuilt %v, want img-calico", got)
	}

	st = builtWith(steps, recs)
	st.missing["bin/etcd"] = true
	if got := rebuilt(Plan(steps, recs, st)); strings.Join(got, ",") != "bin-etcd" {
		t.Fatalf("rebuilt %v, want bin-etcd", got)
	}
}

func TestStepsAreOrderedAndScriptsExist(t *testing.T) {
	v := pinned(t)
	steps := Steps(NamesFor(v, FromSource))
	seen := map[string]bool{}
	for _, s := range steps {
		for _, d := range s.Deps {
			if !seen[d] {
				t.Errorf("step %s comes before its dependency %s", s.Name, d)
			}
		}
		seen[s.Name] = true
		if _, err := os.Stat("../../" + s.Script()); err != nil {
			t.Errorf("step %s: %v", s.Name, err)
		}
		for _, in := range s.Inputs {
			if _, err := os.Stat("../../" + in); err != nil {
				t.Errorf("step %s input: %v", s.Name, err)
			}
		}
	}
	// the real repository hashes without error
	if _, err := Records(steps, v, os.DirFS("../..")); err != nil {
		t.Fatal(err)
	}
}

func TestStampRoundTrip(t *testing.T) {
	r := Record{Key: "k", Scripts: map[string]string{"a": "1"}, Versions: map[string]string{"calico": "3.28.5"}, Deps: map[string]string{}}
	b, err := MarshalStamp(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalStamp(b)
	if err != nil || got.Key != "k" || got.Versions["calico"] != "3.28.5" {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
}

func TestParseSource(t *testing.T) {
	if s, err := ParseSource("source"); err != nil || s != FromSource {
		t.Fatalf("ParseSource(source) = %q, %v", s, err)
	}
	_, err := ParseSource("local")
	if err == nil || !strings.Contains(err.Error(), "valid values are source, release") {
		t.Fatalf("ParseSource(local) error = %v", err)
	}
}

func setVersion(t *testing.T, v versions.Set, key, value string) versions.Set {
	t.Helper()
	doc := []string{}
	for _, k := range versions.Keys() {
		val, _ := v.Get(k)
		if k == key {
			val = value
		}
		doc = append(doc, k+": \""+val+"\"")
	}
	v2, err := versions.Parse([]byte(strings.Join(doc, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return v2
}

// IMAGES=release builds only what is never published, on top of the fetched release images.
func TestReleaseSteps(t *testing.T) {
	v := pinned(t)
	n := NamesFor(v, Release)
	steps := ReleaseSteps(n)
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "debian-base,img-nettools,kind-node-preload" {
		t.Fatalf("release steps = %v", names)
	}
	if n.Node != "kindest/node:v"+v.Kubernetes || !strings.HasPrefix(n.PreloadedNode, "e2e.local/") {
		t.Errorf("release names: node %s, preloaded %s", n.Node, n.PreloadedNode)
	}
	recs := mustRecords(t, steps, v, repoFS(Steps(n)))
	if got := recs["kind-node-preload"].Versions["kubernetes"]; got != v.Kubernetes {
		t.Errorf("the preloaded release node image must be keyed on the Kubernetes version, got %q", got)
	}
	// the source graph is untouched by deriving the release graph from it
	for _, s := range Steps(n) {
		if s.Name == "kind-node-preload" && len(s.Deps) == 0 {
			t.Error("ReleaseSteps changed the source graph")
		}
	}
}

// A stamp written before steps could have sources (this one by bin-agnhost) keeps its key: adding
// CALICO_SRC must not rebuild every cache that exists.
func TestKeysWithoutSourcesAreUnchanged(t *testing.T) {
	r := Record{
		Scripts:  map[string]string{"hack/images/lib.sh": "ef2b9b8e4a05a095", "hack/images/step-bin-agnhost.sh": "a638cf1a16f5cea7"},
		Versions: map[string]string{"agnhost": "2.56", "kubernetes": "1.34.4"},
		Deps:     map[string]string{},
	}
	if got := r.digest("bin-agnhost"); got != "185832b143dae68e" {
		t.Fatalf("key %s, want 185832b143dae68e (the key of a stamp written before sources existed)", got)
	}
	r.Sources = map[string]string{}
	if got := r.digest("bin-agnhost"); got != "185832b143dae68e" {
		t.Fatalf("an empty Sources changed the key to %s", got)
	}
}

func checkoutSource(id string) CalicoSource {
	return CalicoSource{Dir: "/src/calico", Commit: "a0db560f0520" + strings.Repeat("0", 28), Dirty: id != "", Content: id}
}

// A checkout's build is three steps of its own (same scripts, own stamps, outputs below
// calico-src, images under the checkout's tag); everything else is shared with the pinned build.
func TestCalicoSourceSteps(t *testing.T) {
	v := pinned(t)
	pinnedNames := NamesFor(v, FromSource)
	cs := checkoutSource("")
	n := CalicoSourceNames(v, cs)
	steps := Steps(n)
	byName := map[string]Step{}
	var names []string
	for _, s := range steps {
		byName[s.Name] = s
		names = append(names, s.Name)
	}
	want := "bin-kubernetes,bin-agnhost,bin-etcd,bin-coredns,bin-crictl,bin-pause,bin-calico-src,debian-base,kind-base,img-kubernetes,kind-node,img-calico-src,img-agnhost,img-nettools,kind-node-preload-src"
	if strings.Join(names, ",") != want {
		t.Fatalf("steps %v\nwant %s", names, want)
	}
	if s := byName["bin-calico-src"]; s.Script() != "hack/images/step-bin-calico.sh" || s.Sources["calico-src"] != "git "+cs.Commit ||
		!strings.HasPrefix(s.Files[0], "calico-src/bin/") {
		t.Errorf("bin-calico-src = %+v", s)
	}
	if s := byName["img-calico-src"]; s.Script() != "hack/images/step-img-calico.sh" || strings.Join(s.Deps, ",") != "bin-calico-src,debian-base" {
		t.Errorf("img-calico-src = %+v", s)
	}
	if s := byName["kind-node-preload-src"]; strings.Join(s.Deps, ",") != "kind-node,img-calico-src,img-agnhost,img-nettools" || s.Images[0] != n.PreloadedNode {
		t.Errorf("kind-node-preload-src = %+v", s)
	}
	tag := "v" + v.Calico + "-src-a0db560f0520"
	for i, img := range n.Calico {
		if !strings.HasSuffix(img, ":"+tag) || img == pinnedNames.Calico[i] {
			t.Errorf("checkout image %s: want the tag %s, never the pinned %s", img, tag, pinnedNames.Calico[i])
		}
	}
	if n.PreloadedNode == pinnedNames.PreloadedNode || !strings.Contains(n.PreloadedNode, tag) || n.Node != pinnedNames.Node {
		t.Errorf("node images: preloaded %s (pinned %s), plain %s", n.PreloadedNode, pinnedNames.PreloadedNode, n.Node)
	}
	env := strings.Join(n.Env(), " ")
	for _, kv := range []string{"CALICO_SRC=/src/calico", "CALICO_OUT=calico-src", "CALICO_TAG=" + tag, "CALICO_NODE_IMAGE=docker.io/calico/node:" + tag} {
		if !strings.Contains(env, kv) {
			t.Errorf("Env() lacks %s: %s", kv, env)
		}
	}
	// a pinned build never sees a CALICO_SRC, even one in the caller's environment
	if penv := strings.Join(pinnedNames.Env(), " "); !strings.Contains(penv, "CALICO_SRC= ") || !strings.Contains(penv, "CALICO_NODE_IMAGE=docker.io/calico/node:v"+v.Calico+" ") {
		t.Errorf("pinned Env() = %s", penv)
	}
	seen := map[string]bool{}
	for _, s := range steps {
		for _, d := range s.Deps {
			if !seen[d] {
				t.Errorf("step %s comes before its dependency %s", s.Name, d)
			}
		}
		seen[s.Name] = true
	}
	if _, err := Records(steps, v, os.DirFS("../..")); err != nil {
		t.Fatal(err)
	}
}

// The checkout's identity is in the cache key: an unchanged checkout is cached, an edit rebuilds
// its three steps (saying why), and the pinned build's cache is untouched by either.
func TestCalicoSourceCacheKey(t *testing.T) {
	v := pinned(t)
	pinnedSteps := Steps(NamesFor(v, FromSource))
	repo := repoFS(pinnedSteps)
	pinnedRecs := mustRecords(t, pinnedSteps, v, repo)
	st := builtWith(pinnedSteps, pinnedRecs)

	clean := checkoutSource("")
	steps := Steps(CalicoSourceNames(v, clean))
	recs := mustRecords(t, steps, v, repo)
	if got := rebuilt(Plan(steps, recs, st)); strings.Join(got, ",") != "bin-calico-src,img-calico-src,kind-node-preload-src" {
		t.Fatalf("first build of a checkout rebuilt %v, want only its three steps", got)
	}
	for _, s := range steps { // as the builder would stamp them
		st.stamps[s.Name] = recs[s.Name]
		for _, img := range s.Images {
			st.images[img] = recs[s.Name].Key
		}
	}
	if got := rebuilt(Plan(steps, mustRecords(t, steps, v, repo), st)); len(got) != 0 {
		t.Fatalf("an unchanged checkout rebuilt %v", got)
	}
	if got := rebuilt(Plan(pinnedSteps, pinnedRecs, st)); len(got) != 0 {
		t.Fatalf("after a checkout's build the pinned build rebuilds %v", got)
	}

	edited := checkoutSource("5f2e1a9c" + strings.Repeat("1", 56))
	steps2 := Steps(CalicoSourceNames(v, edited))
	plan := Plan(steps2, mustRecords(t, steps2, v, repo), st)
	if got := rebuilt(plan); strings.Join(got, ",") != "bin-calico-src,img-calico-src,kind-node-preload-src" {
		t.Fatalf("an edit in the checkout rebuilt %v", got)
	}
	if r := plan[6].Reason; plan[6].Step.Name != "bin-calico-src" || !strings.Contains(r, "calico-src git "+clean.Commit+" -> git "+edited.Commit+" dirty sha256:5f2e1a9c") {
		t.Errorf("%s rebuilds because %q, want it to name the checkout's change", plan[6].Step.Name, r)
	}
	if recs2 := mustRecords(t, steps2, v, repo); recs2["img-calico-src"].Key == recs["img-calico-src"].Key {
		t.Error("the Calico images of two states of the checkout have one key")
	}
	// a changed pinned script is a change of the checkout's step too (same script)
	repo["hack/images/step-bin-calico.sh"] = &fstest.MapFile{Data: []byte("changed")}
	if got := rebuilt(Plan(steps, mustRecords(t, steps, v, repo), st)); strings.Join(got, ",") != "bin-calico-src,img-calico-src,kind-node-preload-src" {
		t.Errorf("changing step-bin-calico.sh rebuilt %v of the checkout's steps", got)
	}
}
