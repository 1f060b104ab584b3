package framework

import (
	"testing"

	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/e2e/probe"
)

func testTopology() Topology {
	t := Topology{Namespace: "ns", KubernetesIP: "10.96.0.1", HostPort: 23456}
	for i, n := range []Node{{Name: "cp", IP: "172.18.0.2", OS: matrix.Linux}, {Name: "w1", IP: "172.18.0.3", OS: matrix.Linux},
		{Name: "w2", IP: "172.18.0.4", OS: matrix.Linux}, {Name: "win1", IP: "172.18.0.9", OS: matrix.Windows}} {
		s := Site{Node: n, Service: siteName("svc-b", i), ClusterIP: "10.96.1." + string(rune('0'+i)), NodePort: 30000 + i, UDPNodePrt: 31000 + i,
			Client: probe.Endpoint{Namespace: "ns", Pod: siteName("a", i), IP: "192.168.0." + string(rune('0'+i)), Node: n.Name, OS: n.OS, NetexecPort: HTTPPort},
			Server: probe.Endpoint{Namespace: "ns", Pod: siteName("b", i), IP: "192.168.1." + string(rune('0'+i)), Node: n.Name, OS: n.OS, NetexecPort: HTTPPort}}
		s.Host = &probe.Endpoint{Namespace: "ns", Pod: siteName("host", i), IP: n.IP, Node: n.Name, OS: n.OS, NetexecPort: 23456,
			HostProcess: n.OS == matrix.Windows}
		t.Sites = append(t.Sites, s)
		t.Facts.Nodes = append(t.Facts.Nodes, n)
	}
	return t
}

func TestProbesFollowPlacementAndOS(t *testing.T) {
	topo := testTopology()
	cfg := Config{ClusterDomain: "cluster.local"}
	cases := []struct {
		cell matrix.Cell
		n    int
	}{
		{matrix.Cell{Scenario: matrix.PodToPod, Proto: matrix.TCP, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.SameNode}, 3},
		{matrix.Cell{Scenario: matrix.PodToPod, Proto: matrix.UDP, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.OtherNode}, 6},
		{matrix.Cell{Scenario: matrix.PodToPod, Proto: matrix.TCP, Src: matrix.Linux, Dst: matrix.Windows, Placement: matrix.OtherNode}, 3},
		{matrix.Cell{Scenario: matrix.PodToPod, Proto: matrix.TCP, Src: matrix.Windows, Dst: matrix.Windows, Placement: matrix.OtherNode}, 0},
		{matrix.Cell{Scenario: matrix.HostToPod, Proto: matrix.TCP, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.OtherNode}, 6},
		{matrix.Cell{Scenario: matrix.DNS, Proto: matrix.DNSUDP, Variant: matrix.DNSHeadless, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.AnyNode}, 3},
	}
	for _, c := range cases {
		ps := topo.Probes(c.cell, cfg)
		if len(ps) != c.n {
			t.Errorf("%s: %d probes, want %d", c.cell, len(ps), c.n)
		}
		for _, p := range ps {
			if p.Src.OS != c.cell.Src {
				t.Errorf("%s: probe from a %s endpoint", c.cell, p.Src.OS)
			}
			same := p.Src.Node == p.DstNode
			if c.cell.Placement == matrix.SameNode && !same || c.cell.Placement == matrix.OtherNode && same {
				t.Errorf("%s: probe %s -> node %s breaks the placement", c.cell, p.Src.Node, p.DstNode)
			}
		}
	}
}

func TestProbeTargets(t *testing.T) {
	topo := testTopology()
	cfg := Config{ClusterDomain: "cluster.local"}
	np := topo.Probes(matrix.Cell{Scenario: matrix.PodToNodePort, Proto: matrix.TCP, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.SameNode}, cfg)[1]
	if np.Host != "172.18.0.3" || np.Port != 30001 || np.Want != "b-1" {
		t.Errorf("NodePort probe = %s:%d want %s; expected w1's IP, svc-b-1's node port and b-1", np.Host, np.Port, np.Want)
	}
	cip := topo.Probes(matrix.Cell{Scenario: matrix.PodToClusterIP, Proto: matrix.UDP, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.SameNode}, cfg)[0]
	if cip.Host != topo.Sites[0].ClusterIP || cip.Port != UDPPort || cip.Want != "b-0" {
		t.Errorf("ClusterIP probe = %+v", cip)
	}
	h2p := topo.Probes(matrix.Cell{Scenario: matrix.HostToPod, Proto: matrix.TCP, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.SameNode}, cfg)[0]
	if h2p.Src.Pod != "host-0" || h2p.Src.NetexecPort != 23456 {
		t.Errorf("host-to-pod source = %+v, want host-0 on the host port", h2p.Src)
	}
	hl := topo.Probes(matrix.Cell{Scenario: matrix.DNS, Proto: matrix.DNSUDP, Variant: matrix.DNSHeadless, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.AnyNode}, cfg)[0]
	if hl.Host != "b-all.ns.svc.cluster.local." || hl.Want != "192.168.1.0,192.168.1.1,192.168.1.2,192.168.1.3" {
		t.Errorf("headless probe = %s want %s", hl.Host, hl.Want)
	}
	kd := topo.Probes(matrix.Cell{Scenario: matrix.DNS, Proto: matrix.DNSUDP, Variant: matrix.DNSKubernetesDefault, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.AnyNode}, cfg)[0]
	if kd.Host != "kubernetes.default" || kd.Want != "10.96.0.1" {
		t.Errorf("kubernetes.default probe = %+v", kd)
	}
}

func TestModeOf(t *testing.T) {
	cases := []struct{ ipip, vxlan, backend, want string }{
		{"Never", "Always", "vxlan", "vxlan"},
		{"Never", "CrossSubnet", "bird", "vxlan"},
		{"Always", "Never", "bird", "ipip"},
		{"Never", "Never", "bird", "noencap"},
		{"Never", "Never", "vxlan", ""},
		{"Always", "Always", "bird", ""},
	}
	for _, c := range cases {
		if got := ModeOf(c.ipip, c.vxlan, c.backend); string(got) != c.want {
			t.Errorf("ModeOf(%s, %s, %s) = %q, want %q", c.ipip, c.vxlan, c.backend, got, c.want)
		}
	}
	f := Facts{PoolName: "default-ipv4-ippool", PoolCIDR: "192.168.0.0/16", IPIPMode: "Always", VXLANMode: "Never", Backend: "bird", Mode: "ipip"}
	if err := f.CheckMode("vxlan"); err == nil {
		t.Fatal("CheckMode accepted vxlan on an ipip cluster")
	}
	if err := f.CheckMode("ipip"); err != nil {
		t.Fatal(err)
	}
}

func TestCaptureFilter(t *testing.T) {
	topo := testTopology()
	cfg := Config{ClusterDomain: "cluster.local"}
	pod := topo.Probes(matrix.Cell{Scenario: matrix.PodToPod, Proto: matrix.UDP, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.OtherNode}, cfg)[0]
	if got, want := CaptureFilter(pod), "udp port 4789 or host 192.168.0.0 or host 192.168.1.1"; got != want {
		t.Errorf("pod probe filter = %q, want %q", got, want)
	}
	dns := topo.Probes(matrix.Cell{Scenario: matrix.DNS, Proto: matrix.DNSUDP, Variant: matrix.DNSShortName, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.AnyNode}, cfg)[0]
	if got, want := CaptureFilter(dns), "udp port 4789 or host 192.168.0.0"; got != want {
		t.Errorf("DNS probe filter = %q, want %q (a name is not a host filter)", got, want)
	}
}
