package images

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// CalicoModule is the module path a Calico checkout's go.mod declares.
const CalicoModule = "github.com/projectcalico/calico"

// CalicoSource is a local Calico checkout the Calico images are built from (CALICO_SRC) instead
// of the pinned module. Its identity is the git commit and the uncommitted changes when Dir is
// the top of a git work tree, else a hash of every file; the build's cache key and the images'
// tag are made from it, so an edit rebuilds and an unchanged checkout is cached.
type CalicoSource struct {
	Dir string // absolute
	// Commit is HEAD when Dir is the top of a git work tree; empty otherwise.
	Commit string
	// Dirty: the work tree differs from HEAD (changed, added, deleted or untracked files that
	// are not ignored).
	Dirty bool
	// Describe is `git describe --tags --always` of HEAD, when git can say it.
	Describe string
	// Content is a sha256 (hex) of the uncommitted changes (git, when Dirty) or of every file
	// (not a git checkout); empty for a clean git checkout.
	Content string
}

// ReadCalicoSource checks that dir is a Calico checkout and reads its identity. A dir that is
// not one is a *SourceError (bad input); a git or read failure is an ordinary error.
func ReadCalicoSource(ctx context.Context, dir string) (CalicoSource, error) {
	if dir == "" {
		return CalicoSource{}, &SourceError{"CALICO_SRC is empty: give the directory of a Calico checkout (a clone of github.com/projectcalico/calico)"}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return CalicoSource{}, err
	}
	if err := checkCalicoTree(abs); err != nil {
		return CalicoSource{}, err
	}
	s := CalicoSource{Dir: abs}
	if top, ok := gitTop(ctx, abs); ok && sameDir(top, abs) {
		return s, s.readGit(ctx)
	}
	s.Content, err = hashTree(abs)
	return s, err
}

// SourceError is a CALICO_SRC that is not a usable Calico checkout.
type SourceError struct{ Msg string }

func (e *SourceError) Error() string { return e.Msg }

// checkCalicoTree: a directory whose go.mod is module github.com/projectcalico/calico and that
// holds the calico-node command the build starts from.
func checkCalicoTree(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &SourceError{fmt.Sprintf("CALICO_SRC=%s does not exist: give the directory of a Calico checkout (git clone https://github.com/projectcalico/calico)", dir)}
	case err != nil:
		return &SourceError{fmt.Sprintf("CALICO_SRC=%s cannot be read (%v): give the directory of a Calico checkout", dir, err)}
	case !st.IsDir():
		return &SourceError{fmt.Sprintf("CALICO_SRC=%s is a file, not a directory: give the directory of a Calico checkout (the one holding go.mod)", dir)}
	}
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return &SourceError{fmt.Sprintf("CALICO_SRC=%s is not a Calico checkout: it has no go.mod (give the top of a clone of github.com/projectcalico/calico)", dir)}
	}
	if m := modulePath(mod); m != CalicoModule {
		return &SourceError{fmt.Sprintf("CALICO_SRC=%s is not a Calico checkout: its go.mod is module %q, not %s (give the top of a clone of github.com/projectcalico/calico)", dir, m, CalicoModule)}
	}
	if st, err := os.Stat(filepath.Join(dir, "node", "cmd", "calico-node")); err != nil || !st.IsDir() {
		return &SourceError{fmt.Sprintf("CALICO_SRC=%s is module %s but has no node/cmd/calico-node: give a checkout of Calico v3.x (the monorepo, release-v3.28 or later)", dir, CalicoModule)}
	}
	return nil
}

func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("git -C %s %s: %w: %s", dir, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// gitTop is the top of the git work tree dir is in, if it is in one.
func gitTop(ctx context.Context, dir string) (string, bool) {
	if _, err := exec.LookPath("git"); err != nil {
		return "", false
	}
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(out)), true
}

func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// readGit reads HEAD and the uncommitted changes: the diff of the work tree against HEAD
// (staged or not) and the untracked files that are not ignored, names and contents.
func (s *CalicoSource) readGit(ctx context.Context) error {
	head, err := git(ctx, s.Dir, "rev-parse", "--verify", "HEAD")
	if err != nil {
		return &SourceError{fmt.Sprintf("CALICO_SRC=%s is a git work tree without a commit (%v): commit, or give a checkout", s.Dir, err)}
	}
	s.Commit = strings.TrimSpace(string(head))
	if d, err := git(ctx, s.Dir, "describe", "--tags", "--always"); err == nil {
		s.Describe = strings.TrimSpace(string(d))
	}
	diff, err := git(ctx, s.Dir, "diff", "--binary", "HEAD", "--")
	if err != nil {
		return err
	}
	untracked, err := git(ctx, s.Dir, "ls-files", "-z", "--others", "--exclude-standard")
	if err != nil {
		return err
	}
	if len(diff) == 0 && len(untracked) == 0 {
		return nil
	}
	s.Dirty = true
	h := sha256.New()
	fmt.Fprintf(h, "diff %d\n", len(diff))
	h.Write(diff)
	names := strings.Split(strings.TrimRight(string(untracked), "\x00"), "\x00")
	sort.Strings(names)
	for _, n := range names {
		if err := hashFile(h, s.Dir, n); err != nil {
			return err
		}
	}
	s.Content = hex.EncodeToString(h.Sum(nil))
	return nil
}

// hashTree hashes every file below dir except .git folders: relative names, file modes
// (executable or not, symlink targets) and contents, in lexical order.
func hashTree(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		return hashFile(h, dir, rel)
	})
	if err != nil {
		return "", fmt.Errorf("hash CALICO_SRC %s: %w", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(h io.Writer, dir, rel string) error {
	p := filepath.Join(dir, rel)
	st, err := os.Lstat(p)
	if err != nil {
		return err
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "link %s %s\n", filepath.ToSlash(rel), target)
		return nil
	case !st.Mode().IsRegular():
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(h, "file %s %o %d\n", filepath.ToSlash(rel), st.Mode().Perm()&0o111, st.Size())
	_, err = io.Copy(h, f)
	return err
}

// Identity is what the image build's cache key holds of the checkout: its commit and
// uncommitted changes, or its content; never its path, so a moved checkout stays cached.
func (s CalicoSource) Identity() string {
	switch {
	case s.Commit == "":
		return "content sha256:" + s.Content
	case s.Dirty:
		return "git " + s.Commit + " dirty sha256:" + s.Content
	}
	return "git " + s.Commit
}

// ID is the short identity in the images' tag: the commit's first 12 hex digits (and, when
// dirty, "-dirty-" and 8 of the changes' hash), or "tree-" and 12 of the content hash.
func (s CalicoSource) ID() string {
	switch {
	case s.Commit == "":
		return "tree-" + short(s.Content, 12)
	case s.Dirty:
		return short(s.Commit, 12) + "-dirty-" + short(s.Content, 8)
	}
	return short(s.Commit, 12)
}

// String says which checkout this is, for the run's metadata: "/src/calico@a0db560f0520
// (dirty, changes sha256:1f2e3d4c5b6a; v3.28.5-12-ga0db560)" or "/tmp/calico (not a git
// checkout; content sha256:...)".
func (s CalicoSource) String() string {
	var b strings.Builder
	b.WriteString(s.Dir)
	switch {
	case s.Commit == "":
		fmt.Fprintf(&b, " (not a git checkout; content sha256:%s)", short(s.Content, 12))
		return b.String()
	case s.Dirty:
		fmt.Fprintf(&b, "@%s (dirty, changes sha256:%s", short(s.Commit, 12), short(s.Content, 12))
	default:
		fmt.Fprintf(&b, "@%s (clean", short(s.Commit, 12))
	}
	if s.Describe != "" && s.Describe != short(s.Commit, len(s.Describe)) {
		fmt.Fprintf(&b, "; git describe %s", s.Describe)
	}
	b.WriteString(")")
	return b.String()
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// CalicoComponents are the Calico images a manifest install runs, by the short name
// CALICO_IMAGES uses (docker.io/calico/<name>).
var CalicoComponents = []string{"node", "cni", "kube-controllers"}

// CalicoImages are Calico images the user already has in the local Docker engine
// (CALICO_IMAGES), by component; components not named keep the pinned images.
type CalicoImages map[string]string

// imageRef is a Docker reference with an explicit tag: [host[:port]/]path:tag. No digest: the
// image is loaded into the nodes by name, and a digest-only reference has none.
var imageRef = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// ParseCalicoImages reads CALICO_IMAGES: comma separated component=image pairs, e.g.
// node=myreg/node:dev,cni=myreg/cni:dev,kube-controllers=myreg/kube-controllers:dev. Every
// error is one line saying what is wrong and what would be right.
func ParseCalicoImages(s string) (CalicoImages, error) {
	const example = "node=myreg/node:dev,cni=myreg/cni:dev,kube-controllers=myreg/kube-controllers:dev"
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := CalicoImages{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		comp, ref, ok := strings.Cut(item, "=")
		comp, ref = strings.TrimSpace(comp), strings.TrimSpace(ref)
		switch {
		case item == "":
			return nil, fmt.Errorf("CALICO_IMAGES=%q has an empty entry: use component=image pairs separated by single commas, e.g. %s", s, example)
		case !ok || comp == "" || ref == "":
			return nil, fmt.Errorf("CALICO_IMAGES entry %q is not component=image: use e.g. %s", item, example)
		case !isComponent(comp):
			return nil, fmt.Errorf("CALICO_IMAGES names component %q: the components are %s", comp, strings.Join(CalicoComponents, ", "))
		case out[comp] != "":
			return nil, fmt.Errorf("CALICO_IMAGES names %s twice (%s and %s): name each component once", comp, out[comp], ref)
		case strings.Contains(ref, "@"):
			return nil, fmt.Errorf("CALICO_IMAGES %s=%s has a digest: name the image by repository and tag, e.g. %s=myreg/%s:dev (it is loaded into the nodes by that name)", comp, ref, comp, comp)
		case !imageRef.MatchString(ref):
			if !strings.Contains(ref[strings.LastIndex(ref, "/")+1:], ":") {
				return nil, fmt.Errorf("CALICO_IMAGES %s=%s has no tag: name the image with its tag, e.g. %s=%s:dev (it is loaded into the nodes by that name)", comp, ref, comp, ref)
			}
			return nil, fmt.Errorf("CALICO_IMAGES %s=%s is not an image reference: use [registry[:port]/]repository:tag, e.g. %s=myreg/%s:dev", comp, ref, comp, comp)
		}
		out[comp] = ref
	}
	return out, nil
}

func isComponent(c string) bool {
	for _, k := range CalicoComponents {
		if k == c {
			return true
		}
	}
	return false
}

// Refs are the images in component order.
func (ci CalicoImages) Refs() []string {
	var out []string
	for _, c := range CalicoComponents {
		if ref, ok := ci[c]; ok {
			out = append(out, ref)
		}
	}
	return out
}

// RequireCalicoImages fails with one line naming every image of CALICO_IMAGES the local Docker
// engine does not have. It never pulls.
func RequireCalicoImages(ctx context.Context, ci CalicoImages) error {
	var missing []string
	for _, c := range CalicoComponents {
		if ref, ok := ci[c]; ok && len(Missing(ctx, ref)) > 0 {
			missing = append(missing, c+"="+ref)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("CALICO_IMAGES names image(s) the local Docker engine does not have: %s; build or tag them there first (docker images lists what it has; the suite never pulls)",
		strings.Join(missing, ", "))
}

// ImageID is the local image's ID (sha256 of its configuration), which names its content exactly.
func ImageID(ctx context.Context, ref string) (string, error) {
	out, err := Docker(ctx, "image", "inspect", "--format", "{{.Id}}", ref)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}
