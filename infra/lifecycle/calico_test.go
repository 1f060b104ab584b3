package lifecycle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/versions"
)

// calicoCheckout writes the smallest tree accepted as a Calico checkout.
func calicoCheckout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range map[string]string{
		"go.mod":                       "module github.com/projectcalico/calico\n\ngo 1.22\n",
		"node/cmd/calico-node/main.go": "package main\n\nfunc main() {}\n",
	} {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCalicoKnobs(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	src := calicoCheckout(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notCalico := t.TempDir()
	if err := os.WriteFile(filepath.Join(notCalico, "go.mod"), []byte("module example.com/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	images3 := "node=myreg/node:dev,cni=myreg/cni:dev,kube-controllers=myreg/kube-controllers:dev"

	o, err := ParseOptions(env(map[string]string{"MODE": "vxlan", "IMAGES": "source", "CALICO_SRC": src}), now)
	if err != nil || o.CalicoSrc == nil || o.CalicoSrc.Dir != src || o.CalicoImages != nil {
		t.Fatalf("CALICO_SRC: %+v, %v", o.CalicoSrc, err)
	}
	o, err = ParseOptions(env(map[string]string{"MODE": "vxlan", "IMAGES": "source", "CALICO_SRC": src, "PRELOAD": "0"}), now)
	if err != nil || o.Preload || o.CalicoSrc == nil {
		t.Fatalf("CALICO_SRC with PRELOAD=0: %v", err)
	}
	for _, imgs := range []string{"source", "release"} {
		o, err = ParseOptions(env(map[string]string{"MODE": "vxlan", "IMAGES": imgs, "CALICO_IMAGES": images3}), now)
		if err != nil || o.CalicoImages["kube-controllers"] != "myreg/kube-controllers:dev" || o.CalicoSrc != nil {
			t.Fatalf("CALICO_IMAGES with IMAGES=%s: %+v, %v", imgs, o.CalicoImages, err)
		}
	}

	bad := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"IMAGES": "source", "CALICO_SRC": filepath.Join(src, "missing")}, "missing does not exist: give the directory of a Calico checkout"},
		{map[string]string{"IMAGES": "source", "CALICO_SRC": filepath.Join(src, "go.mod")}, "is a file, not a directory"},
		{map[string]string{"IMAGES": "source", "CALICO_SRC": notCalico}, `is not a Calico checkout: its go.mod is module "example.com/x"`},
		{map[string]string{"IMAGES": "source", "CALICO_SRC": src, "CALICO_IMAGES": images3}, "CALICO_SRC and CALICO_IMAGES are both set"},
		{map[string]string{"CALICO_SRC": src}, "CALICO_SRC builds the Calico images here, which needs IMAGES=source (IMAGES=release runs the published Calico images): add IMAGES=source"},
		{map[string]string{"IMAGES": "release", "CALICO_SRC": src}, "needs IMAGES=source"},
		{map[string]string{"IMAGES": "source", "CALICO_SRC": src, "PROVIDER": "existing", "KUBECONFIG": kubeconfig}, "CALICO_SRC needs a cluster the suite installs Calico on from its manifest and can load local images into (PROVIDER=kind); PROVIDER=existing does not"},
		{map[string]string{"CALICO_IMAGES": images3, "PROVIDER": "existing", "KUBECONFIG": kubeconfig}, "CALICO_IMAGES needs a cluster the suite installs Calico on"},
		{map[string]string{"CALICO_IMAGES": images3, "PROVIDER": "vagrant"}, "PROVIDER=vagrant does not: unset CALICO_IMAGES, or use PROVIDER=kind"},
		{map[string]string{"CALICO_IMAGES": "node=myreg/node"}, "node=myreg/node has no tag"},
		{map[string]string{"CALICO_IMAGES": "felix=myreg/felix:dev"}, `names component "felix"`},
	}
	for _, b := range bad {
		b.env["MODE"] = "vxlan"
		_, err := ParseOptions(env(b.env), now)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseOptions(%v) = %v, want %q", b.env, err, b.want)
			continue
		}
		if ExitCode(err) != ExitBadInput || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseOptions(%v): exit %d, want one bad-input line: %v", b.env, ExitCode(err), err)
		}
	}
}

// The images a checkout's run installs carry its tag; the manifest's release images are
// replaced by them; the description names the checkout and its commit or content.
func TestCalicoUnderTest(t *testing.T) {
	ctx := context.Background()
	v, err := versions.Pinned()
	if err != nil {
		t.Fatal(err)
	}
	noDocker := func(context.Context, string) (string, error) { return "", errors.New("docker must not be asked") }

	cs, err := images.ReadCalicoSource(ctx, calicoCheckout(t))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Images: images.FromSource, CalicoSrc: &cs}
	names := o.imageKnobs().Names(v)
	cut, err := calicoUnderTest(ctx, o, v, names, noDocker)
	if err != nil {
		t.Fatal(err)
	}
	tag := "v" + v.Calico + "-src-" + cs.ID()
	if got := cut.Replace["docker.io/calico/node:v"+v.Calico]; got != "docker.io/calico/node:"+tag || len(cut.Replace) != 3 || len(cut.Load) != 0 {
		t.Errorf("Replace %v, Load %v", cut.Replace, cut.Load)
	}
	if want := "v" + v.Calico + " from source " + cs.Dir + " (not a git checkout; content sha256:" + cs.Content[:12] + "), images tagged " + tag; cut.Describe != want {
		t.Errorf("Describe = %q\nwant       %q", cut.Describe, want)
	}

	ids := map[string]string{"myreg/node:dev": "sha256:" + strings.Repeat("1", 64), "myreg/kc:dev": "sha256:" + strings.Repeat("2", 64)}
	imageID := func(_ context.Context, ref string) (string, error) {
		if id, ok := ids[ref]; ok {
			return id, nil
		}
		return "", errors.New("no such image: " + ref)
	}
	ci, err := images.ParseCalicoImages("node=myreg/node:dev,kube-controllers=myreg/kc:dev")
	if err != nil {
		t.Fatal(err)
	}
	o = Options{Images: images.Release, CalicoImages: ci}
	cut, err = calicoUnderTest(ctx, o, v, o.imageKnobs().Names(v), imageID)
	if err != nil {
		t.Fatal(err)
	}
	want := "images node=myreg/node:dev@sha256:" + strings.Repeat("1", 64) + ", cni=docker.io/calico/cni:v" + v.Calico + " (pinned), kube-controllers=myreg/kc:dev@sha256:" + strings.Repeat("2", 64) + " (manifests of v" + v.Calico + ")"
	if cut.Describe != want {
		t.Errorf("Describe = %q\nwant       %q", cut.Describe, want)
	}
	if strings.Join(cut.Load, " ") != "myreg/node:dev myreg/kc:dev" || cut.Replace["docker.io/calico/kube-controllers:v"+v.Calico] != "myreg/kc:dev" || len(cut.Replace) != 2 {
		t.Errorf("Load %v, Replace %v", cut.Load, cut.Replace)
	}
	ci["cni"] = "myreg/cni:gone"
	if _, err := calicoUnderTest(ctx, o, v, o.imageKnobs().Names(v), imageID); ExitCode(err) != ExitBadInput || !strings.Contains(err.Error(), "CALICO_IMAGES cni=myreg/cni:gone") {
		t.Errorf("an image gone since the check: %v", err)
	}

	for _, c := range []struct {
		src  images.Source
		want string
	}{
		{images.FromSource, "v" + v.Calico + ", pinned (built here from github.com/projectcalico/calico@" + v.CalicoModule + ")"},
		{images.Release, "v" + v.Calico + ", pinned (published images)"},
	} {
		o := Options{Images: c.src}
		cut, err := calicoUnderTest(ctx, o, v, o.imageKnobs().Names(v), noDocker)
		if err != nil || cut.Describe != c.want || len(cut.Replace) != 0 || len(cut.Load) != 0 {
			t.Errorf("IMAGES=%s: %+v %v, want %q", c.src, cut, err, c.want)
		}
	}
}

// A checkout's run needs the node image that preloads its own build, never the pinned one.
func TestCheckoutNamesTheNodeImageOfItsBuild(t *testing.T) {
	v, err := versions.Pinned()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := images.ReadCalicoSource(context.Background(), calicoCheckout(t))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Images: images.FromSource, CalicoSrc: &cs, Preload: true}
	pinned := Options{Images: images.FromSource, Preload: true}
	got, was := nodeImage(o, o.imageKnobs().Names(v)), nodeImage(pinned, pinned.imageKnobs().Names(v))
	if got == was || !strings.Contains(got, "-src-"+cs.ID()) {
		t.Errorf("node image of the checkout's run %s (pinned %s)", got, was)
	}
	o.Preload = false
	for _, img := range o.imageKnobs().Names(v).Workload()[:3] {
		if !strings.Contains(img, ":v"+v.Calico+"-src-"+cs.ID()) {
			t.Errorf("PRELOAD=0 loads %s, want the checkout's tag", img)
		}
	}
}
