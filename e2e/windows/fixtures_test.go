package windows

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The recorded fixtures live outside the repository, in ../shared/reference/windows-fixtures
// relative to the repository root (see that folder's INDEX.md); they are never copied in.
// The suite's own test data in testdata/ is synthetic and says so in its first line.

var fixtureHeaderRE = regexp.MustCompile(`^# (source|os/cluster|notes): `)

// fixtureDir finds the recorded fixtures, or skips the test when they are absent.
func fixtureDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatalf("no go.mod above %s", wd)
		}
		root = parent
	}
	dir := filepath.Join(root, "..", "shared", "reference", "windows-fixtures")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("windows fixtures not found at %s: %v", dir, err)
	}
	return dir
}

// fixture returns the body of a recorded fixture: the file without its leading header lines
// (those matching `^# (source|os/cluster|notes): `). Body lines starting with "#" are kept.
func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir(t), filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	i := 0
	for i < len(lines) && fixtureHeaderRE.MatchString(lines[i]) {
		i++
	}
	return strings.Join(lines[i:], "\n")
}

// syntheticHeader is the first line every file in testdata/ must carry.
const syntheticHeader = "# synthetic: written by calico-conformance tests, not recorded output"

// synthetic returns the body of a testdata file after checking its first line says it was
// written by this project.
func synthetic(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	first, body, _ := strings.Cut(string(b), "\n")
	if first != syntheticHeader {
		t.Fatalf("testdata/%s: first line %q, want %q", name, first, syntheticHeader)
	}
	return body
}

func TestFixtureHeaderStripping(t *testing.T) {
	// The tshark prompt "# tshark -i any" is a body line and must survive.
	body := fixture(t, "connectivity/knabben-linux-to-windows-pod-syn-timeout.txt")
	if !strings.Contains(body, "# tshark -i any") {
		t.Errorf("body lost its '# tshark' line")
	}
	if strings.Contains(body, "# source: ") || strings.Contains(body, "# notes: ") {
		t.Errorf("header lines left in body")
	}
	if !strings.HasPrefix(body, "vagrant@controlplane:~$ kubectl get pods") {
		t.Errorf("body starts %q", strings.SplitN(body, "\n", 2)[0])
	}
}

func TestTestdataIsMarkedSynthetic(t *testing.T) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata files")
	}
	for _, f := range files {
		synthetic(t, filepath.Base(f))
	}
}
