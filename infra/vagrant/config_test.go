package vagrant

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/versions"
)

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	v, err := versions.Pinned()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Provider: Libvirt, WindowsNodes: 1, WindowsVersion: "2022", LinuxWorkers: 1,
		LinuxBox: "roboxes/ubuntu2204", WindowsBox: "peru/windows-server-2022-standard-x64-eval",
		PrivateNetwork: netip.MustParsePrefix("192.168.56.0/24"), KubernetesVersion: strings.TrimPrefix(v.Kubernetes, "v"),
		PauseVersion: v.Pause, PodCIDR: "10.244.0.0/16", ServiceCIDR: "10.96.0.0/12",
		Mode: calico.ModeVXLAN, Images: images.Release,
	}
	if c != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
	if c.WindowsBuild() != "10.0.20348" {
		t.Errorf("WindowsBuild = %q", c.WindowsBuild())
	}
}

func TestParseConfigBoxes(t *testing.T) {
	for _, tc := range []struct {
		provider, version, linux, windows string
	}{
		{"hyperv", "2019", "roboxes/ubuntu2204", "gusztavvargadr/windows-server-2019-standard-core"},
		{"hyperv", "2022", "roboxes/ubuntu2204", "gusztavvargadr/windows-server-2022-standard-core"},
		{"libvirt", "2019", "roboxes/ubuntu2204", "peru/windows-server-2019-standard-x64-eval"},
		{"virtualbox", "2019", "roboxes/ubuntu2204", "sig-windows-dev-tools/windows-2019"},
		{"virtualbox", "2022", "roboxes/ubuntu2204", "gusztavvargadr/windows-server-2022-standard-core"},
	} {
		c, err := ParseConfig(envOf(map[string]string{"VAGRANT_PROVIDER": tc.provider, "WINDOWS_VERSION": tc.version}))
		if err != nil {
			t.Fatalf("%s %s: %v", tc.provider, tc.version, err)
		}
		if c.LinuxBox != tc.linux || c.WindowsBox != tc.windows {
			t.Errorf("%s %s: boxes %s, %s; want %s, %s", tc.provider, tc.version, c.LinuxBox, c.WindowsBox, tc.linux, tc.windows)
		}
	}
	c, err := ParseConfig(envOf(map[string]string{"VAGRANT_LINUX_BOX": "me/ubuntu", "VAGRANT_WINDOWS_BOX": "me/win2022"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.LinuxBox != "me/ubuntu" || c.WindowsBox != "me/win2022" {
		t.Errorf("named boxes not kept: %s, %s", c.LinuxBox, c.WindowsBox)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"WINDOWS_NODES": "-1"}, `WINDOWS_NODES="-1" is not a count: want a whole number from 0 to 20`},
		{map[string]string{"WINDOWS_NODES": "two"}, `WINDOWS_NODES="two" is not a count: want a whole number from 0 to 20`},
		{map[string]string{"LINUX_WORKERS": "10"}, `LINUX_WORKERS="10" is not a count: want a whole number from 0 to 9`},
		{map[string]string{"WINDOWS_VERSION": "2025"}, `unknown WINDOWS_VERSION "2025": valid values are 2019, 2022`},
		{map[string]string{"VAGRANT_PROVIDER": "vmware"}, `unknown VAGRANT_PROVIDER "vmware": valid values are hyperv, libvirt, virtualbox`},
		{map[string]string{"VAGRANT_LINUX_BOX": "bad box"}, `VAGRANT_LINUX_BOX "bad box" is not a box name: want publisher/name as ` + "`vagrant box list`" + ` shows it, e.g. roboxes/ubuntu2204`},
		{map[string]string{"VAGRANT_WINDOWS_BOX": `x"; system("id")`}, `VAGRANT_WINDOWS_BOX "x\"; system(\"id\")" is not a box name`},
		{map[string]string{"PRIVATE_NETWORK": "192.168.56.0"}, `PRIVATE_NETWORK "192.168.56.0" is not a CIDR: want an IPv4 /24 or larger, e.g. 192.168.56.0/24`},
		{map[string]string{"PRIVATE_NETWORK": "192.168.56.0/25"}, `PRIVATE_NETWORK "192.168.56.0/25" is not usable: want an IPv4 network from /8 to /24`},
		{map[string]string{"PRIVATE_NETWORK": "fd00::/64"}, `PRIVATE_NETWORK "fd00::/64" is not usable`},
		{map[string]string{"PRIVATE_NETWORK": "192.168.56.7/24"}, `PRIVATE_NETWORK 192.168.56.7/24 has host bits set: want the network address, 192.168.56.0/24`},
		{map[string]string{"PRIVATE_NETWORK": "10.244.8.0/24"}, `pod CIDR 10.244.0.0/16 overlaps PRIVATE_NETWORK 10.244.8.0/24`},
		{map[string]string{"PRIVATE_NETWORK": "10.100.0.0/24"}, `service CIDR 10.96.0.0/12 overlaps PRIVATE_NETWORK 10.100.0.0/24`},
		{map[string]string{"VAGRANT_PROVIDER": "virtualbox", "PRIVATE_NETWORK": "172.16.0.0/24"},
			`PRIVATE_NETWORK 172.16.0.0/24 is outside VirtualBox's host-only range 192.168.56.0/21: use e.g. 192.168.56.0/24, or allow it in /etc/vbox/networks.conf`},
		{map[string]string{"WINDOWS_REGISTRY": "registry.lan:5000/path/"}, `WINDOWS_REGISTRY="registry.lan:5000/path/" is not a registry: the path "path/" has a component ""`},
		{map[string]string{"WINDOWS_REGISTRY": "ftp://registry.lan"}, `WINDOWS_REGISTRY="ftp://registry.lan" is not a registry: the scheme "ftp" is neither http nor https`},
		{map[string]string{"WINDOWS_REGISTRY": "Registry.lan:5000"}, `WINDOWS_REGISTRY="Registry.lan:5000" is not a registry: "Registry.lan" is not a host name`},
		{map[string]string{"MODE": "bgp"}, `unknown MODE "bgp": valid values are vxlan, noencap, ipip`},
		{map[string]string{"IMAGES": "local"}, `unknown IMAGES "local": valid values are source, release`},
	} {
		_, err := ParseConfig(envOf(tc.env))
		if err == nil {
			t.Errorf("%v: no error, want %q", tc.env, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v:\n got %q\nwant %q...", tc.env, err, tc.want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error is not one line: %q", tc.env, err)
		}
	}
}

func TestParseConfigAccepts(t *testing.T) {
	for _, env := range []map[string]string{
		{"MODE": "ipip", "WINDOWS_NODES": "0"},
		{"WINDOWS_NODES": "20", "LINUX_WORKERS": "9", "MODE": "noencap"},
		{"WINDOWS_REGISTRY": "http://10.0.0.5:5000", "IMAGES": "source"},
		{"WINDOWS_REGISTRY": "registry.lan:5000/e2e"},
		{"WINDOWS_REGISTRY": "https://registry.lan/team/e2e"},
		{"VAGRANT_PROVIDER": "virtualbox", "PRIVATE_NETWORK": "192.168.60.0/24"},
		{"PRIVATE_NETWORK": "172.30.0.0/16"},
	} {
		if _, err := ParseConfig(envOf(env)); err != nil {
			t.Errorf("%v: %v", env, err)
		}
	}
}

func TestValidateNeedsNameAndSecrets(t *testing.T) {
	c, err := ParseConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), `cluster name "" is not valid`) {
		t.Errorf("no name: %v", err)
	}
	c.Name = "e2e-x"
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "bootstrap token is missing or malformed") {
		t.Errorf("no secrets: %v", err)
	}
	c.Secrets = Secrets{Token: testSecrets.Token, CACertHash: "sha256:abc"}
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), `CA discovery hash "sha256:abc" is malformed`) {
		t.Errorf("bad hash: %v", err)
	}
	c.Secrets = testSecrets
	if err := c.Validate(); err != nil {
		t.Errorf("complete config: %v", err)
	}
	if _, err := Render(Config{}); err == nil {
		t.Errorf("Render accepts an empty Config")
	}
}

func TestMachines(t *testing.T) {
	c, err := ParseConfig(envOf(map[string]string{"WINDOWS_NODES": "2", "LINUX_WORKERS": "2", "PRIVATE_NETWORK": "10.20.30.0/24"}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range c.Machines() {
		got = append(got, m.Name+" "+m.Role+" "+m.IP.String()+" "+m.MAC+" "+m.MACPlain())
	}
	want := []string{
		"controlplane control-plane 10.20.30.10 02:00:0a:14:1e:0a 02000A141E0A",
		"linux-1 linux-worker 10.20.30.11 02:00:0a:14:1e:0b 02000A141E0B",
		"linux-2 linux-worker 10.20.30.12 02:00:0a:14:1e:0c 02000A141E0C",
		"win-1 windows 10.20.30.20 02:00:0a:14:1e:14 02000A141E14",
		"win-2 windows 10.20.30.21 02:00:0a:14:1e:15 02000A141E15",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("machines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c.HostIP().String() != "10.20.30.1" || c.ControlPlaneIP().String() != "10.20.30.10" {
		t.Errorf("host %s, control plane %s", c.HostIP(), c.ControlPlaneIP())
	}
}
