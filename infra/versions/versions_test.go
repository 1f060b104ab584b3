package versions

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestPinnedParsesAndValidates(t *testing.T) {
	s, err := Pinned()
	if err != nil {
		t.Fatal(err)
	}
	if s.Kubernetes == "" || s.Calico == "" || s.Debian == "" {
		t.Fatalf("pinned set incomplete: %+v", s)
	}
	if got := len(s.Env()); got != len(Keys()) {
		t.Fatalf("Env() has %d entries, want one per key (%d)", got, len(Keys()))
	}
}

// The kind version pinned for the node image must be the kind Go API this module builds against.
func TestKindMatchesGoModule(t *testing.T) {
	s, err := Pinned()
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*sigs\.k8s\.io/kind (v\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod does not require sigs.k8s.io/kind")
	}
	if same, err := SameRelease(string(m[1]), s.Kind); err != nil || !same {
		t.Fatalf("versions.yaml pins kind %s but go.mod requires %s (%v)", s.Kind, m[1], err)
	}
}

func TestParseErrors(t *testing.T) {
	good := string(pinned)
	cases := []struct {
		name, doc, want string
	}{
		{"unknown key", good + "\nkubernetse: 1.2.3\n", "unknown field"},
		{"missing key", strings.Replace(good, "\ncalico: 3.28.5", "", 1), "calico is missing"},
		{"not a version", strings.Replace(good, "kubernetes: 1.34.4", "kubernetes: latest", 1), `kubernetes "latest" is not a version`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	cases := []struct {
		have, want string
		atLeast    bool
	}{
		{"v1.34.4", "1.34", true},
		{"1.9.0", "1.10.0", false}, // numeric, not lexical
		{"3.28.5", "3.28.5", true},
		{"v1.33.9", "v1.34.0", false},
	}
	for _, c := range cases {
		got, err := AtLeast(c.have, c.want)
		if err != nil || got != c.atLeast {
			t.Errorf("AtLeast(%q, %q) = %v, %v; want %v", c.have, c.want, got, err, c.atLeast)
		}
	}
	if same, _ := SameRelease("v3.28.5", "3.28.5+a0db560f"); !same {
		t.Error("v3.28.5 and 3.28.5+a0db560f should be the same release")
	}
	if same, _ := SameRelease("v3.28.5", "3.28.4"); same {
		t.Error("3.28.5 and 3.28.4 are different releases")
	}
	if _, err := AtLeast("x", "1"); err == nil {
		t.Error("AtLeast accepted a non-version")
	}
}
