// Package golden compares rendered files with the golden copies a package keeps in
// testdata/golden/<case>/, and rewrites them when the test runs with -update.
package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Check compares files with the golden folder dir: the same file names and the same bytes.
// With update set it first rewrites dir from files. pkg names the package for the hint
// ("run go test ./<pkg> -update").
func Check(t *testing.T, dir string, files map[string][]byte, update bool, pkg string) {
	t.Helper()
	hint := fmt.Sprintf("run go test ./%s -update and review the diff", pkg)
	if update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%v (%s)", err, hint)
	}
	var onDisk, rendered []string
	for _, e := range entries {
		onDisk = append(onDisk, e.Name())
	}
	for name := range files {
		rendered = append(rendered, name)
	}
	sort.Strings(rendered)
	if strings.Join(onDisk, " ") != strings.Join(rendered, " ") {
		t.Errorf("files: golden has %v, the render gives %v (%s)", onDisk, rendered, hint)
	}
	for name, got := range files {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue // reported above
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from %s (%s):\n%s", name, filepath.Join(dir, name), hint, FirstDiff(string(want), string(got)))
		}
	}
}

// FirstDiff shows the first line where want and got differ.
func FirstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  golden:   %q\n  rendered: %q", i+1, wl, gl)
		}
	}
	return "(no line differs)"
}
