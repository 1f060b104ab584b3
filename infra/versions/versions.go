// Package versions is the suite's one pinned list of component versions (versions.yaml),
// parsed and compared with hashicorp/go-version.
package versions

import (
	_ "embed"
	"fmt"
	"reflect"
	"sort"
	"strings"

	goversion "github.com/hashicorp/go-version"
	"sigs.k8s.io/yaml"
)

//go:embed versions.yaml
var pinned []byte

// Set is the pinned list. Field tags are the keys of versions.yaml; `env` names the variable
// the image build steps read.
type Set struct {
	Kubernetes      string `json:"kubernetes" env:"KUBERNETES_VERSION" semver:"true"`
	Kind            string `json:"kind" env:"KIND_VERSION" semver:"true"`
	Calico          string `json:"calico" env:"CALICO_VERSION" semver:"true"`
	CalicoModule    string `json:"calicoModule" env:"CALICO_MODULE" semver:"true"`
	CalicoAPIModule string `json:"calicoAPIModule" env:"CALICO_API_MODULE" semver:"true"`
	CNIPlugins      string `json:"cniPlugins" env:"CNI_PLUGINS_VERSION" semver:"true"`
	Agnhost         string `json:"agnhost" env:"AGNHOST_VERSION" semver:"true"`
	Bird            string `json:"bird" env:"BIRD_VERSION" semver:"true"`
	CoreDNS         string `json:"coredns" env:"COREDNS_VERSION" semver:"true"`
	Etcd            string `json:"etcd" env:"ETCD_VERSION" semver:"true"`
	Crictl          string `json:"crictl" env:"CRICTL_VERSION" semver:"true"`
	Pause           string `json:"pause" env:"PAUSE_VERSION" semver:"true"`
	Debian          string `json:"debian" env:"DEBIAN_SUITE"`
}

// Pinned returns the list embedded in this build.
func Pinned() (Set, error) { return Parse(pinned) }

// Parse reads a versions.yaml document and validates it: every key known and present, every
// version parseable. Unknown keys are an error so a typo cannot silently pin nothing.
func Parse(doc []byte) (Set, error) {
	var s Set
	if err := yaml.UnmarshalStrict(doc, &s); err != nil {
		return Set{}, fmt.Errorf("versions.yaml: %w", err)
	}
	return s, s.Validate()
}

// Validate checks that every field is set and that semantic versions parse.
func (s Set) Validate() error {
	var errs []string
	s.each(func(f reflect.StructField, v string) {
		key := f.Tag.Get("json")
		switch {
		case v == "":
			errs = append(errs, fmt.Sprintf("%s is missing", key))
		case f.Tag.Get("semver") == "true":
			if _, err := goversion.NewVersion(v); err != nil {
				errs = append(errs, fmt.Sprintf("%s %q is not a version (want e.g. 1.2.3)", key, v))
			}
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("versions.yaml: %s", strings.Join(errs, "; "))
	}
	return nil
}

func (s Set) each(fn func(f reflect.StructField, value string)) {
	v := reflect.ValueOf(s)
	for i := 0; i < v.NumField(); i++ {
		fn(v.Type().Field(i), v.Field(i).String())
	}
}

// Env returns the versions as the environment variables the build steps read, sorted.
func (s Set) Env() []string {
	var env []string
	s.each(func(f reflect.StructField, v string) { env = append(env, f.Tag.Get("env")+"="+v) })
	sort.Strings(env)
	return env
}

// Get returns the value for a versions.yaml key ("kubernetes", "calico", ...).
func (s Set) Get(key string) (string, bool) {
	var out string
	var ok bool
	s.each(func(f reflect.StructField, v string) {
		if f.Tag.Get("json") == key {
			out, ok = v, true
		}
	})
	return out, ok
}

// Keys returns every versions.yaml key in file order.
func Keys() []string {
	var keys []string
	Set{}.each(func(f reflect.StructField, _ string) { keys = append(keys, f.Tag.Get("json")) })
	return keys
}

// Summary is a one-line "key=value ..." rendering for run summaries.
func (s Set) Summary(keys ...string) string {
	if len(keys) == 0 {
		keys = []string{"kubernetes", "calico", "kind", "agnhost", "bird", "coredns", "etcd"}
	}
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if v, ok := s.Get(k); ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// AtLeast reports whether version have is at least want (both parsed by go-version, so "v1.34.4",
// "1.34.4" and "1.34" compare as versions, not strings).
func AtLeast(have, want string) (bool, error) {
	h, err := goversion.NewVersion(have)
	if err != nil {
		return false, fmt.Errorf("version %q: %w", have, err)
	}
	w, err := goversion.NewVersion(want)
	if err != nil {
		return false, fmt.Errorf("version %q: %w", want, err)
	}
	return h.GreaterThanOrEqual(w), nil
}

// SameRelease reports whether two versions have equal major, minor and patch, ignoring a "v"
// prefix and build metadata ("v3.28.5" and "3.28.5+abc" are the same release).
func SameRelease(a, b string) (bool, error) {
	va, err := goversion.NewVersion(a)
	if err != nil {
		return false, fmt.Errorf("version %q: %w", a, err)
	}
	vb, err := goversion.NewVersion(b)
	if err != nil {
		return false, fmt.Errorf("version %q: %w", b, err)
	}
	return va.Core().Equal(vb.Core()), nil
}
