package images

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fakeCheckout writes the smallest tree ReadCalicoSource accepts as a Calico checkout.
func fakeCheckout(t *testing.T, dir string) string {
	t.Helper()
	write(t, dir, "go.mod", "module github.com/projectcalico/calico\n\ngo 1.22\n")
	write(t, dir, "node/cmd/calico-node/main.go", "package main\n\nfunc main() {}\n")
	return dir
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readSource(t *testing.T, dir string) CalicoSource {
	t.Helper()
	cs, err := ReadCalicoSource(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestCalicoSourceRejectsWhatIsNotACheckout(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	write(t, tmp, "a-file", "x")
	other := filepath.Join(tmp, "other")
	write(t, other, "go.mod", "module example.com/other\n")
	nonode := filepath.Join(tmp, "nonode")
	write(t, nonode, "go.mod", "module github.com/projectcalico/calico\n")
	cases := []struct{ dir, want string }{
		{"", "CALICO_SRC is empty: give the directory of a Calico checkout"},
		{filepath.Join(tmp, "nope"), "does not exist: give the directory of a Calico checkout"},
		{file, "is a file, not a directory"},
		{t.TempDir(), "is not a Calico checkout: it has no go.mod"},
		{other, `is not a Calico checkout: its go.mod is module "example.com/other", not github.com/projectcalico/calico`},
		{nonode, "has no node/cmd/calico-node"},
	}
	for _, c := range cases {
		_, err := ReadCalicoSource(context.Background(), c.dir)
		var se *SourceError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ReadCalicoSource(%q) = %v, want one SourceError line containing %q", c.dir, err, c.want)
		}
	}
}

// A tree that is not a git checkout is known by its content: the same content is the same
// identity wherever it lies; any change to a file, a new file or an exec bit is another.
func TestCalicoSourceContentIdentity(t *testing.T) {
	a := fakeCheckout(t, t.TempDir())
	b := fakeCheckout(t, t.TempDir())
	sa, sb := readSource(t, a), readSource(t, b)
	if sa.Commit != "" || sa.Content == "" || sa.Identity() != sb.Identity() || sa.ID() != sb.ID() {
		t.Fatalf("same content, identities %q (%s) and %q (%s)", sa.Identity(), sa.ID(), sb.Identity(), sb.ID())
	}
	if !regexp.MustCompile(`^tree-[0-9a-f]{12}$`).MatchString(sa.ID()) || !strings.Contains(sa.String(), a+" (not a git checkout; content sha256:") {
		t.Errorf("ID %q, String %q", sa.ID(), sa.String())
	}
	seen := map[string]string{sa.Identity(): "original"}
	for _, change := range []struct {
		name string
		do   func()
	}{
		{"edit", func() { write(t, a, "node/cmd/calico-node/main.go", "package main\n\nfunc main() { println(1) }\n") }},
		{"new file", func() { write(t, a, "felix/new.go", "package felix\n") }},
		{"exec bit", func() {
			if err := os.Chmod(filepath.Join(a, "felix/new.go"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		change.do()
		id := readSource(t, a).Identity()
		if prev, dup := seen[id]; dup {
			t.Errorf("%s: identity %q is the same as after %s", change.name, id, prev)
		}
		seen[id] = change.name
	}
	if again := readSource(t, a).Identity(); seen[again] != "exec bit" {
		t.Errorf("reading an unchanged tree again gave identity %q, want the last one", again)
	}
	// a .git folder of a tree that is not the top of a work tree is not content
	write(t, b, ".git/stray", "x")
	if readSource(t, b).Identity() != sb.Identity() {
		t.Error("a .git folder changed the content identity")
	}
}

func gitOrSkip(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
}

func runGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// A git checkout is known by its commit, and when dirty by its uncommitted changes: each edit
// is a new identity, undoing it is the clean one again, and ignored files do not count.
func TestCalicoSourceGitIdentity(t *testing.T) {
	gitOrSkip(t)
	dir := fakeCheckout(t, t.TempDir())
	write(t, dir, ".gitignore", ".go-pkg-cache/\n")
	runGit(t, dir, "init", "-q")
	runGit(t, dir, "add", ".")
	runGit(t, dir, "commit", "-q", "-m", "init")
	clean := readSource(t, dir)
	if len(clean.Commit) != 40 || clean.Dirty || clean.Content != "" {
		t.Fatalf("clean checkout = %+v", clean)
	}
	if clean.ID() != clean.Commit[:12] || clean.Identity() != "git "+clean.Commit || clean.String() != dir+"@"+clean.Commit[:12]+" (clean)" {
		t.Errorf("clean: ID %q, Identity %q, String %q", clean.ID(), clean.Identity(), clean.String())
	}

	write(t, dir, ".go-pkg-cache/x.a", "build output")
	if got := readSource(t, dir); got.Identity() != clean.Identity() {
		t.Errorf("an ignored file made the checkout %q", got.Identity())
	}

	main := "node/cmd/calico-node/main.go"
	write(t, dir, main, "package main\n\nfunc main() { println(1) }\n")
	edit1 := readSource(t, dir)
	if !edit1.Dirty || edit1.Commit != clean.Commit || !regexp.MustCompile(`^[0-9a-f]{12}-dirty-[0-9a-f]{8}$`).MatchString(edit1.ID()) {
		t.Fatalf("after an edit: %+v, ID %q", edit1, edit1.ID())
	}
	if !strings.HasPrefix(edit1.String(), dir+"@"+clean.Commit[:12]+" (dirty, changes sha256:") {
		t.Errorf("String %q", edit1.String())
	}
	write(t, dir, main, "package main\n\nfunc main() { println(2) }\n")
	edit2 := readSource(t, dir)
	if edit2.Identity() == edit1.Identity() || edit2.ID() == edit1.ID() {
		t.Errorf("two different edits share identity %q", edit2.Identity())
	}
	runGit(t, dir, "add", main) // staged or not, the change is the same
	if staged := readSource(t, dir); staged.Identity() != edit2.Identity() {
		t.Errorf("staging the edit changed the identity: %q, was %q", staged.Identity(), edit2.Identity())
	}
	runGit(t, dir, "checkout", "HEAD", "--", main)
	write(t, dir, "felix/new.go", "package felix\n")
	untracked := readSource(t, dir)
	if !untracked.Dirty || untracked.Identity() == clean.Identity() {
		t.Errorf("an untracked file: %+v", untracked)
	}
	write(t, dir, "felix/new.go", "package felix // changed\n")
	if readSource(t, dir).Identity() == untracked.Identity() {
		t.Error("editing an untracked file kept the identity")
	}
	if err := os.Remove(filepath.Join(dir, "felix/new.go")); err != nil {
		t.Fatal(err)
	}
	if back := readSource(t, dir); back.Identity() != clean.Identity() {
		t.Errorf("back to the commit: %q, want %q", back.Identity(), clean.Identity())
	}
	runGit(t, dir, "commit", "-q", "--allow-empty", "-m", "next")
	if next := readSource(t, dir); next.Commit == clean.Commit || next.Dirty {
		t.Errorf("after a commit: %+v", next)
	}

	// a Calico tree inside another repository's work tree is not that repository's commit
	sub := fakeCheckout(t, filepath.Join(dir, "vendor-copy"))
	if s := readSource(t, sub); s.Commit != "" || !strings.HasPrefix(s.ID(), "tree-") {
		t.Errorf("a tree below a work tree's top = %+v", s)
	}
}

func TestParseCalicoImages(t *testing.T) {
	ci, err := ParseCalicoImages(" node=myreg/node:dev, cni=localhost:5000/calico/cni:v3.28.5-fix ,kube-controllers=kc:1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"myreg/node:dev", "localhost:5000/calico/cni:v3.28.5-fix", "kc:1"}
	if got := ci.Refs(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Refs() = %v, want %v", got, want)
	}
	if ci, err := ParseCalicoImages("node=myreg/node:dev"); err != nil || len(ci) != 1 || ci["node"] != "myreg/node:dev" {
		t.Errorf("one component: %v %v", ci, err)
	}
	if ci, err := ParseCalicoImages(""); err != nil || ci != nil {
		t.Errorf("empty: %v %v", ci, err)
	}
	bad := []struct{ in, want string }{
		{"node=a:1,,cni=b:1", "has an empty entry: use component=image pairs"},
		{"myreg/node:dev", `entry "myreg/node:dev" is not component=image: use e.g. node=myreg/node:dev,cni=myreg/cni:dev,kube-controllers=myreg/kube-controllers:dev`},
		{"node=", `entry "node=" is not component=image`},
		{"typha=myreg/typha:dev", `names component "typha": the components are node, cni, kube-controllers`},
		{"node=a:1,node=b:1", "names node twice (a:1 and b:1): name each component once"},
		{"node=myreg/node", "node=myreg/node has no tag: name the image with its tag, e.g. node=myreg/node:dev"},
		{"cni=localhost:5000/cni", "cni=localhost:5000/cni has no tag"},
		{"node=myreg/node@sha256:" + strings.Repeat("a", 64), "has a digest: name the image by repository and tag"},
		{"node=MyReg/Node:dev", "is not an image reference: use [registry[:port]/]repository:tag"},
		{"node=myreg/node:dev tag", "is not an image reference"},
	}
	for _, b := range bad {
		_, err := ParseCalicoImages(b.in)
		if err == nil || !strings.Contains(err.Error(), b.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseCalicoImages(%q) = %v, want one line containing %q", b.in, err, b.want)
		}
	}
}
