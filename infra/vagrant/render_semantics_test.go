package vagrant

import (
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// These tests state, per rendered cluster, the properties the golden files are reviewed for, so
// a regenerated golden file cannot silently drop one.

func TestRenderedNodeAddressing(t *testing.T) {
	for _, g := range goldenCases {
		c := g.config(t)
		files := g.render(t)
		vf := string(files[VagrantfileFile])
		for _, m := range c.Machines() {
			args := `"` + m.Name + `", "` + m.IP.String() + `", "` + m.MAC + `"`
			if m.Windows() {
				args = `"-NodeName", "` + m.Name + `", "-NodeIP", "` + m.IP.String() + `", "-NodeMAC", "` + m.MAC + `"`
			}
			if !strings.Contains(vf, args) {
				t.Errorf("%s: %s is not provisioned with its name, IP and MAC (%s)", g.name, m.Name, args)
			}
			switch c.Provider {
			case Libvirt:
				if !strings.Contains(vf, `ip: "`+m.IP.String()+`", netmask: "255.255.255.0", mac: "`+m.MAC+`", auto_config: false`) {
					t.Errorf("%s: %s's private NIC does not carry its IP and MAC", g.name, m.Name)
				}
			case VirtualBox:
				if !strings.Contains(vf, `ip: "`+m.IP.String()+`", netmask: "255.255.255.0", mac: "`+m.MACPlain()+`", auto_config: false`) {
					t.Errorf("%s: %s's private NIC does not carry its IP and MAC", g.name, m.Name)
				}
			case HyperV:
				if !strings.Contains(vf, `"-VMName", "`+c.Name+"-"+m.Name+`", "-MAC", "`+m.MACPlain()+`"`) {
					t.Errorf("%s: the Hyper-V trigger does not attach %s's private NIC", g.name, m.Name)
				}
			}
			if m.Windows() && !regexp.MustCompile(`(?m)config.vm.define "`+m.Name+`" do \|m\|\n.*\n.*\n    m.vm.guest = :windows\n    m.vm.communicator = "winrm"`).MatchString(vf) {
				t.Errorf("%s: %s is not a winrm Windows guest", g.name, m.Name)
			}
		}
		if strings.Contains(vf, "10.0.2.15") {
			t.Errorf("%s: the Vagrantfile names the NAT address", g.name)
		}

		var kubeadm struct {
			LocalAPIEndpoint struct{ AdvertiseAddress string } `json:"localAPIEndpoint"`
			NodeRegistration struct {
				ImagePullPolicy  string `json:"imagePullPolicy"`
				KubeletExtraArgs []arg  `json:"kubeletExtraArgs"`
			} `json:"nodeRegistration"`
			BootstrapTokens []struct{ Token string } `json:"bootstrapTokens"`
		}
		docs := strings.Split(string(files[KubeadmInitFile]), "---\n")
		if err := yaml.Unmarshal([]byte(docs[0]), &kubeadm); err != nil {
			t.Fatal(err)
		}
		cp := c.ControlPlaneIP().String()
		if kubeadm.LocalAPIEndpoint.AdvertiseAddress != cp || len(kubeadm.NodeRegistration.KubeletExtraArgs) != 1 ||
			kubeadm.NodeRegistration.KubeletExtraArgs[0] != (arg{"node-ip", cp}) || kubeadm.BootstrapTokens[0].Token != c.Secrets.Token {
			t.Errorf("%s: kubeadm InitConfiguration %+v", g.name, kubeadm)
		}
		var cluster struct{ Networking networking }
		if err := yaml.Unmarshal([]byte(docs[1]), &cluster); err != nil {
			t.Fatal(err)
		}
		if cluster.Networking.PodSubnet != c.PodCIDR || cluster.Networking.ServiceSubnet != c.ServiceCIDR {
			t.Errorf("%s: kubeadm networking %+v", g.name, cluster.Networking)
		}

		var inst struct {
			Spec struct {
				CalicoNetwork struct {
					NodeAddressAutodetectionV4 struct{ CIDRs []string } `json:"nodeAddressAutodetectionV4"`
					WindowsDataplane           string                   `json:"windowsDataplane"`
				} `json:"calicoNetwork"`
				WindowsNodes *struct{ VXLANAdapter string } `json:"windowsNodes"`
			}
		}
		if err := yaml.Unmarshal([]byte(strings.Split(string(files[InstallationFile]), "---\n")[0]), &inst); err != nil {
			t.Fatal(err)
		}
		if got := inst.Spec.CalicoNetwork.NodeAddressAutodetectionV4.CIDRs; len(got) != 1 || got[0] != c.PrivateNetwork.String() {
			t.Errorf("%s: node addresses autodetected in %v, want [%s]", g.name, got, c.PrivateNetwork)
		}
		win := c.WindowsNodes > 0
		if win != (inst.Spec.WindowsNodes != nil && inst.Spec.WindowsNodes.VXLANAdapter == PrivateAdapter) ||
			win != (inst.Spec.CalicoNetwork.WindowsDataplane == "HNS") {
			t.Errorf("%s: Windows settings of the Installation %+v (Windows nodes: %d)", g.name, inst.Spec, c.WindowsNodes)
		}
		_, hasScript := files[WindowsNodeScript]
		if win != hasScript {
			t.Errorf("%s: windows-node.ps1 rendered %v with %d Windows nodes", g.name, hasScript, c.WindowsNodes)
		}
		if !win {
			continue
		}
		ps := string(files[WindowsNodeScript])
		for _, want := range []string{
			"$CRISocket = 'npipe:////./pipe/containerd-containerd'",
			"join $APIEndpoint --node-name $NodeName --cri-socket $CRISocket --token $Token --discovery-token-ca-cert-hash $CACertHash",
			"$APIEndpoint = '" + cp + ":6443'",
			"' --node-ip=' + $NodeIP",
			"$PrivateAdapter = '" + PrivateAdapter + "'",
			"Rename-NetAdapter -Name $nic.Name -NewName $PrivateAdapter",
			"Install-WindowsFeature -Name $f",
			"'Containers'",
		} {
			if !strings.Contains(ps, want) {
				t.Errorf("%s: windows-node.ps1 lacks %q", g.name, want)
			}
		}
	}
}

func TestRenderedImageSources(t *testing.T) {
	for _, g := range goldenCases {
		c := g.config(t)
		files := g.render(t)
		source := c.Images == "source"
		if got := strings.Contains(string(files[KubeadmInitFile]), "imagePullPolicy: Never"); got != source {
			t.Errorf("%s: kubeadm imagePullPolicy Never = %v under IMAGES=%s", g.name, got, c.Images)
		}
		ps, ok := files[WindowsNodeScript]
		if !ok {
			continue
		}
		mirrored := strings.Count(string(ps), `'server = "`)
		preloadCheck := strings.Contains(string(ps), "IMAGES=source and no WINDOWS_REGISTRY")
		switch {
		case c.WindowsRegistry != "":
			// one hosts.toml for the public registries, one for WINDOWS_REGISTRY's own host
			if mirrored != 2 || !strings.Contains(string(ps), "foreach ($upstream in @('docker.io', 'registry.k8s.io', 'mcr.microsoft.com', 'quay.io', 'ghcr.io'))") || preloadCheck {
				t.Errorf("%s: WINDOWS_REGISTRY set but pulls are not all sent to it (hosts.toml %d, preload check %v)", g.name, mirrored, preloadCheck)
			}
		case source:
			if mirrored != 0 || !preloadCheck {
				t.Errorf("%s: IMAGES=source without a registry must check for preloaded images, not mirror (hosts.toml %d, preload check %v)", g.name, mirrored, preloadCheck)
			}
		default:
			if mirrored != 0 || preloadCheck {
				t.Errorf("%s: IMAGES=release without a registry: hosts.toml %d, preload check %v", g.name, mirrored, preloadCheck)
			}
		}
	}
}

func TestRenderedModeFeatures(t *testing.T) {
	for _, g := range goldenCases {
		c := g.config(t)
		ps, ok := g.render(t)[WindowsNodeScript]
		if !ok {
			continue
		}
		bgp := strings.Contains(string(ps), "Install-RemoteAccess -VpnType RoutingOnly")
		vxlan := strings.Contains(string(ps), "-Protocol UDP -Action Allow -LocalPort 4789")
		if bgp != c.Mode.UsesBGP() || vxlan != (c.Mode == "vxlan") {
			t.Errorf("%s (MODE=%s): Windows BGP router %v, VXLAN port rule %v", g.name, c.Mode, bgp, vxlan)
		}
	}
}
