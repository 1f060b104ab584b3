package kind

import (
	"os"
	"path/filepath"
	"testing"
)

func TestThawNodes(t *testing.T) {
	cgroupRoot = t.TempDir()
	write := func(rel, content string) string {
		p := filepath.Join(cgroupRoot, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pod := "kubelet.slice/kubelet-kubepods.slice/cri-containerd-c70e.scope"
	v1 := write("freezer/docker/aaa/"+pod+"/freezer.state", "FROZEN\n")
	v1ok := write("freezer/docker/aaa/freezer.state", "THAWED\n")
	v2 := write("system.slice/docker-bbb.scope/"+pod+"/cgroup.freeze", "1\n")
	other := write("freezer/docker/ccc/freezer.state", "FROZEN\n") // not a node of the cluster

	if n := thawNodes([]string{"aaa", "bbb"}); n != 2 {
		t.Errorf("thawed %d cgroups, want 2", n)
	}
	for path, want := range map[string]string{v1: "THAWED", v1ok: "THAWED\n", v2: "0", other: "FROZEN\n"} {
		if b, _ := os.ReadFile(path); string(b) != want {
			t.Errorf("%s: %q, want %q", path, b, want)
		}
	}
	if n := thawNodes([]string{"aaa", "bbb"}); n != 0 {
		t.Errorf("second pass thawed %d, want 0", n)
	}
}
