package framework

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/calico-conformance/e2e/e2e/report"
)

func calicoNodePod(node, image, imageID string) corev1.Pod {
	p := corev1.Pod{Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{
		{Name: "calico-node", Image: image}, {Name: "sidecar", Image: "other:1"}}}}
	if imageID != "" {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "calico-node", Image: image, ImageID: imageID}}
	}
	return p
}

// The calico-node image is read from the pods, with the image ID the kubelet reports once
// started: a checkout's build shows its own tag, a node still starting shows its spec.
func TestCalicoNodeImages(t *testing.T) {
	const src = "docker.io/calico/node:v3.28.5-src-a0db560f0520"
	pods := map[string]corev1.Pod{
		"w1": calicoNodePod("w1", src, "sha256:1111"),
		"w2": calicoNodePod("w2", src, "sha256:1111"),
		"cp": calicoNodePod("cp", src, ""),
	}
	got := calicoNodeImages(pods)
	want := []string{src, src + " (sha256:1111)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("calicoNodeImages = %q, want %q", got, want)
	}
	// CALICO_IMAGES with a retag of the pinned image: the runtime names the ID by its first tag
	// (measured on kind: the status said docker.io/calico/node:v3.28.5); the report must say the
	// image the pod asked for
	retag := calicoNodePod("w1", "e2e.local/mycalico/node:dev", "sha256:2222")
	retag.Status.ContainerStatuses[0].Image = "docker.io/calico/node:v3.28.5"
	if got := calicoNodeImages(map[string]corev1.Pod{"w1": retag}); len(got) != 1 || got[0] != "e2e.local/mycalico/node:dev (sha256:2222)" {
		t.Errorf("calicoNodeImages of a retagged image = %q, want the pod's own image name with the ID", got)
	}
	f := Facts{CalicoVersion: "v3.28.5-src-a0db560f0520", CalicoNodeImages: got[1:]}
	if d := f.DescribeCalico(); d != "Calico v3.28.5-src-a0db560f0520 (calico-node image "+src+" (sha256:1111))" {
		t.Errorf("DescribeCalico = %q", d)
	}
	if d := (Facts{CalicoVersion: "v3.28.5"}).DescribeCalico(); d != "Calico v3.28.5" {
		t.Errorf("without images: %q", d)
	}
}

// The report's metadata says which Calico the run installed, from the run record
// (CALICO_UNDER_TEST), next to what calico-node reports in the cluster.
func TestRunMetaNamesTheCalicoUnderTest(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte("apiVersion: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const cut = "v3.28.5 from source /src/calico@a0db560f0520 (dirty, changes sha256:5f2e1a9c0d1e), images tagged v3.28.5-src-a0db560f0520-dirty-5f2e1a9c"
	e := map[string]string{"KUBECONFIG": kc, "MODE": "vxlan", "IMAGES": "source", "CALICO_UNDER_TEST": cut}
	cfg, err := ConfigFromEnv(func(k string) string { return e[k] })
	if err != nil {
		t.Fatal(err)
	}
	f := Facts{KubernetesVersion: "v1.34.4", CalicoVersion: "v3.28.5-src-a0db560f0520-dirty-5f2e1a9c",
		CalicoNodeImages: []string{"docker.io/calico/node:v3.28.5-src-a0db560f0520-dirty-5f2e1a9c (sha256:1111)"}, Nodes: []Node{{Name: "n"}}}
	meta := runMeta(cfg, "suite", &f)
	if meta["calico"] != cut || !strings.Contains(meta["detected"], "Calico v3.28.5-src-a0db560f0520-dirty-5f2e1a9c (calico-node image docker.io/calico/node:v3.28.5-src-") {
		t.Errorf("meta = %v", meta)
	}
	md := report.Markdown(nil, meta)
	if !strings.Contains(md, "| calico | "+cut+" |") {
		t.Errorf("matrix.md has no calico row:\n%s", md)
	}
	delete(e, "CALICO_UNDER_TEST") // PROVIDER=existing: the suite installed nothing
	cfg, _ = ConfigFromEnv(func(k string) string { return e[k] })
	if _, ok := runMeta(cfg, "suite", nil)["calico"]; ok {
		t.Error("a run that installed no Calico has a calico row")
	}
}
