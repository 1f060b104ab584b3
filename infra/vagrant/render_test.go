package vagrant

import (
	"flag"
	"github.com/calico-conformance/e2e/internal/golden"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current renderer")

// testSecrets stand in for NewSecrets in rendered files: a fixed token and hash, so the golden
// files do not change from run to run. They open nothing.
var testSecrets = Secrets{
	Token:      "abcdef.0123456789abcdef",
	CACertHash: "sha256:" + strings.Repeat("0123456789abcdef", 4),
}

// goldenCase is one rendered cluster: its name is its folder under testdata/golden.
type goldenCase struct {
	name string
	env  map[string]string
}

var goldenCases = []goldenCase{
	{"libvirt-2022-1win-1linux", map[string]string{
		"VAGRANT_PROVIDER": "libvirt", "WINDOWS_VERSION": "2022", "WINDOWS_NODES": "1", "LINUX_WORKERS": "1", "MODE": "vxlan",
	}},
	{"hyperv-2019-2win-0linux", map[string]string{
		"VAGRANT_PROVIDER": "hyperv", "WINDOWS_VERSION": "2019", "WINDOWS_NODES": "2", "LINUX_WORKERS": "0", "MODE": "noencap",
		"IMAGES": "source", "WINDOWS_REGISTRY": "registry.lan:5000",
	}},
	{"libvirt-2019-registry-path", map[string]string{
		"VAGRANT_PROVIDER": "libvirt", "WINDOWS_VERSION": "2019", "WINDOWS_NODES": "1", "LINUX_WORKERS": "0", "MODE": "vxlan",
		"WINDOWS_REGISTRY": "http://registry.lan:5000/e2e",
	}},
	{"virtualbox-2022", map[string]string{
		"VAGRANT_PROVIDER": "virtualbox", "WINDOWS_VERSION": "2022", "IMAGES": "source", "PRIVATE_NETWORK": "192.168.57.0/24",
	}},
	{"libvirt-linux-only", map[string]string{
		"VAGRANT_PROVIDER": "libvirt", "WINDOWS_NODES": "0", "LINUX_WORKERS": "2", "MODE": "ipip",
	}},
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func (g goldenCase) config(t *testing.T) Config {
	t.Helper()
	c, err := ParseConfig(envOf(g.env))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	c.Name = "e2e-" + g.name
	c.Secrets = testSecrets
	return c
}

func (g goldenCase) render(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := Render(g.config(t))
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return files
}

func TestRenderGolden(t *testing.T) {
	for _, g := range goldenCases {
		t.Run(g.name, func(t *testing.T) {
			golden.Check(t, filepath.Join("testdata", "golden", g.name), g.render(t), *update, "infra/vagrant")
		})
	}
}
