package images

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/calico-conformance/e2e/infra/versions"
)

// Step is one build step of the source images: a script under hack/images, the versions it
// reads, the repository files it copies in, the steps whose outputs it uses, and what it produces.
type Step struct {
	Name     string
	Versions []string // versions.yaml keys
	Inputs   []string // repository paths (files or folders) besides the script and lib.sh
	Deps     []string
	Images   []string // images it produces, checked by their e2e.build-key label
	Files    []string // files it produces, relative to the cache directory
	// Go marks a step dominated by Go compilation; the executor runs at most one at a time,
	// alongside at most one other (debootstrap and docker steps are mostly I/O).
	Go bool
	// ScriptName is the step-<ScriptName>.sh script when the step runs another step's script
	// (the Calico checkout's steps run the pinned ones'); empty: the step's own name.
	ScriptName string
	// Sources are the identities of trees outside the repository the step builds from
	// (CALICO_SRC: its commit and uncommitted changes, or its content), part of its key.
	Sources map[string]string
}

// Script is the step's script path, relative to the repository root.
func (s Step) Script() string {
	name := s.Name
	if s.ScriptName != "" {
		name = s.ScriptName
	}
	return "hack/images/step-" + name + ".sh"
}

const libScript = "hack/images/lib.sh"

// Steps is the build graph of IMAGES=source, in an order where every step follows its deps.
func Steps(n Names) []Step {
	bins := func(names ...string) []string {
		out := make([]string, len(names))
		for i, b := range names {
			out[i] = "bin/" + b
		}
		return out
	}
	steps := []Step{
		{Name: "bin-kubernetes", Versions: []string{"kubernetes"}, Go: true,
			Files: bins("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "kubeadm", "kubectl", "kubelet")},
		{Name: "bin-agnhost", Versions: []string{"kubernetes", "agnhost"}, Go: true, Files: bins("agnhost")},
		{Name: "bin-etcd", Versions: []string{"etcd"}, Go: true, Files: bins("etcd")},
		{Name: "bin-coredns", Versions: []string{"coredns"}, Go: true, Files: bins("coredns")},
		{Name: "bin-crictl", Versions: []string{"crictl"}, Go: true, Files: bins("crictl")},
		{Name: "bin-pause", Inputs: []string{"hack/images/pause"}, Go: true, Files: bins("pause")},
		{Name: "bin-calico", Versions: []string{"calico", "calicoModule", "calicoAPIModule", "cniPlugins"}, Go: true,
			Files: append(bins("calico-node", "calico", "calico-ipam", "calico-install", "kube-controllers", "check-status",
				"calicoctl", "mountns", "cni-host-local", "cni-loopback", "cni-bandwidth", "cni-tuning", "cni-portmap"),
				"calico-confd/templates/bird_ipam.cfg.template", "calico-nodefs/etc/rc.local", "calico-manifests/calico.yaml")},
		{Name: "debian-base", Versions: []string{"debian", "bird"}, Images: []string{n.DebianBase}},
		{Name: "kind-base", Versions: []string{"debian", "kind"}, Inputs: []string{"hack/images/files/unpriv-entrypoint"},
			Deps: []string{"bin-crictl"}, Images: []string{n.KindBase}},
		{Name: "img-kubernetes", Versions: []string{"kubernetes", "etcd", "coredns", "pause"},
			Inputs: []string{"hack/images/files/iptables-wrapper"},
			Deps:   []string{"bin-kubernetes", "bin-etcd", "bin-coredns", "bin-pause", "debian-base"}, Images: n.ControlPlane},
		{Name: "kind-node", Versions: []string{"kubernetes", "etcd", "coredns", "pause"},
			Deps: []string{"kind-base", "img-kubernetes", "bin-kubernetes"}, Images: []string{n.Node}},
		{Name: "img-calico", Versions: []string{"calico"}, Deps: []string{"bin-calico", "debian-base"}, Images: n.Calico},
		{Name: "img-agnhost", Versions: []string{"agnhost"}, Deps: []string{"bin-agnhost", "debian-base"}, Images: []string{n.Agnhost}},
		{Name: "img-nettools", Versions: []string{"bird"}, Deps: []string{"debian-base"}, Images: []string{n.Nettools}},
		{Name: "kind-node-preload", Versions: []string{"calico", "agnhost"},
			Deps: []string{"kind-node", "img-calico", "img-agnhost", "img-nettools"}, Images: []string{n.PreloadedNode}},
	}
	if n.CalicoSrc != nil {
		steps = fromCalicoSource(steps, *n.CalicoSrc, n.CalicoOut())
	}
	return steps
}

// calicoSteps are the steps whose outputs hold Calico: built from a checkout, they become steps
// of their own (<name>-src: their own stamps, outputs below out, images under the checkout's
// tag) that run the same scripts, so switching between the pinned module and a checkout
// rebuilds neither, and neither ever passes for the other.
var calicoSteps = map[string]bool{"bin-calico": true, "img-calico": true, "kind-node-preload": true}

func fromCalicoSource(steps []Step, cs CalicoSource, out string) []Step {
	rename := func(name string) string {
		if calicoSteps[name] {
			return name + "-src"
		}
		return name
	}
	for i, s := range steps {
		if !calicoSteps[s.Name] {
			continue
		}
		s.ScriptName, s.Name = s.Name, rename(s.Name)
		deps := make([]string, len(s.Deps))
		for j, d := range s.Deps {
			deps[j] = rename(d)
		}
		s.Deps = deps
		files := make([]string, len(s.Files))
		for j, f := range s.Files {
			files[j] = path.Join(out, f)
		}
		s.Files = files
		if s.ScriptName == "bin-calico" {
			s.Sources = map[string]string{"calico-src": cs.Identity()}
		}
		steps[i] = s
	}
	return steps
}

// Record is what a step's key is made of; it is stored as the step's stamp after a build so a
// later plan can say why a step is stale.
type Record struct {
	Key      string            `json:"key"`
	Scripts  map[string]string `json:"scripts"`  // path -> sha256 of the script, lib.sh and inputs
	Versions map[string]string `json:"versions"` // versions.yaml key -> value
	Deps     map[string]string `json:"deps"`     // dep step -> its key
	// Sources: tree -> identity of what the step builds from outside the repository.
	Sources map[string]string `json:"sources,omitempty"`
}

// Records computes every step's record. repo reads the repository (os.DirFS of its root).
func Records(steps []Step, v versions.Set, repo fs.FS) (map[string]Record, error) {
	out := make(map[string]Record, len(steps))
	for _, s := range steps {
		r := Record{Scripts: map[string]string{}, Versions: map[string]string{}, Deps: map[string]string{}}
		for _, p := range append([]string{s.Script(), libScript}, s.Inputs...) {
			h, err := hashPath(repo, p)
			if err != nil {
				return nil, fmt.Errorf("step %s: %w", s.Name, err)
			}
			r.Scripts[p] = h
		}
		for _, k := range s.Versions {
			val, ok := v.Get(k)
			if !ok {
				return nil, fmt.Errorf("step %s uses unknown version key %q", s.Name, k)
			}
			r.Versions[k] = val
		}
		for _, d := range s.Deps {
			dr, ok := out[d]
			if !ok {
				return nil, fmt.Errorf("step %s depends on %q, which is not an earlier step", s.Name, d)
			}
			r.Deps[d] = dr.Key
		}
		if len(s.Sources) > 0 {
			r.Sources = maps.Clone(s.Sources)
		}
		r.Key = r.digest(s.Name)
		out[s.Name] = r
	}
	return out, nil
}

func (r Record) digest(name string) string {
	h := sha256.New()
	fmt.Fprintf(h, "step %s\n", name)
	parts := []map[string]string{r.Scripts, r.Versions, r.Deps}
	if len(r.Sources) > 0 { // only then: the keys of steps without sources stay as they were
		parts = append(parts, r.Sources)
	}
	for _, m := range parts {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			fmt.Fprintf(h, "%s=%s\n", k, m[k])
		}
		h.Write([]byte("--\n"))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// hashPath hashes a file, or every file below a folder (names and contents, in lexical order).
func hashPath(repo fs.FS, p string) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(repo, p, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := fs.ReadFile(repo, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", path.Clean(name), len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// State is what the cache and the Docker engine hold now.
type State interface {
	// Stamp returns the record stored after the step's last successful build.
	Stamp(step string) (Record, bool)
	// ImageKey returns the e2e.build-key label of a local image.
	ImageKey(image string) (key string, exists bool)
	// FileExists reports whether a file below the cache directory exists.
	FileExists(rel string) bool
}

// Action is the plan for one step.
type Action struct {
	Step   Step
	Record Record
	Build  bool
	Reason string // why it is (re)built, or "cached"
}

// Plan decides, for every step, whether its outputs are current (cached) or it must be built,
// and why. A step is rebuilt when its key changed (a version, its script or an input changed,
// or a dependency's key changed) or an output is missing or carries another key.
func Plan(steps []Step, recs map[string]Record, st State) []Action {
	plan := make([]Action, 0, len(steps))
	for _, s := range steps {
		r := recs[s.Name]
		a := Action{Step: s, Record: r, Reason: "cached"}
		if reason := stale(s, r, st); reason != "" {
			a.Build, a.Reason = true, reason
		}
		plan = append(plan, a)
	}
	return plan
}

func stale(s Step, r Record, st State) string {
	old, ok := st.Stamp(s.Name)
	if !ok {
		return "never built"
	}
	if old.Key != r.Key {
		return describeChange(old, r)
	}
	for _, img := range s.Images {
		key, exists := st.ImageKey(img)
		if !exists {
			return "image " + img + " is missing"
		}
		if key != r.Key {
			return fmt.Sprintf("image %s was built from other inputs (key %q, want %q)", img, key, r.Key)
		}
	}
	for _, f := range s.Files {
		if !st.FileExists(f) {
			return "output " + f + " is missing"
		}
	}
	return ""
}

func describeChange(old, cur Record) string {
	var why []string
	for _, k := range slices.Sorted(maps.Keys(cur.Versions)) {
		if old.Versions[k] != cur.Versions[k] {
			why = append(why, fmt.Sprintf("%s %s -> %s", k, orNone(old.Versions[k]), cur.Versions[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(cur.Sources)) {
		if old.Sources[k] != cur.Sources[k] {
			why = append(why, fmt.Sprintf("%s %s -> %s", k, orNone(old.Sources[k]), cur.Sources[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(cur.Scripts)) {
		if old.Scripts[k] != cur.Scripts[k] {
			why = append(why, k+" changed")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(cur.Deps)) {
		switch prev, had := old.Deps[k]; {
		case !had:
			why = append(why, "new dependency "+k)
		case prev != cur.Deps[k]:
			why = append(why, "depends on rebuilt "+k)
		}
	}
	if len(why) == 0 {
		return "inputs changed"
	}
	return strings.Join(why, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// MarshalStamp encodes a record for the stamp file.
func MarshalStamp(r Record) ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// UnmarshalStamp decodes a stamp file.
func UnmarshalStamp(b []byte) (Record, error) {
	var r Record
	err := json.Unmarshal(b, &r)
	return r, err
}

// ReleaseSteps is the build graph of IMAGES=release: the published node, Calico and agnhost
// images are fetched, and only what is never published is built here (the Debian base, the
// nettools router image, and the node image with the workload images preloaded).
func ReleaseSteps(n Names) []Step {
	var out []Step
	for _, s := range Steps(n) {
		switch s.Name {
		case "debian-base", "img-nettools":
			out = append(out, s)
		case "kind-node-preload":
			s.Deps = []string{"img-nettools"} // the other inputs are the fetched release images
			s.Versions = append(s.Versions, "kubernetes")
			out = append(out, s)
		}
	}
	return out
}
