package findings

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func load(t *testing.T, name string) Bundle {
	t.Helper()
	b, err := LoadBundle(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const worker = "e2e-findings-1122-042521-11a3a0-worker"

// worker1206 is the broken worker of the recordings made on 2026-12-06.
const worker1206 = "e2e-findings-1206-034614-abe00d-worker"

// Each recorded fault yields exactly its finding, on the broken node, with evidence that
// points at real lines.
func TestRecordedFaults(t *testing.T) {
	type want struct{ id, excerpt string }
	cases := []struct {
		dir, node string
		want      []want // in the order Analyze gives them
	}{
		{"vxlan-dropped", worker, []want{{"vxlan-dropped", "udp dport 4789 counter packets"}}},
		{"ip-forward-disabled", worker, []want{{"ip-forward-disabled", "net.ipv4.ip_forward = 0"}}},
		{"route-shadows-block", worker, []want{{"route-shadows-block", "blackhole 192.168.101.192/27"}}},
		{"policy-selects-probes", "", []want{{"policy-selects-probes", "e2e-fault-deny-probes"}}},
		{"dns-no-endpoints", "", []want{{"dns-no-endpoints", "ready endpoints: 0"}}},
		{"service-vip-not-advertised", "", []want{{"service-vip-not-advertised", "198.18.10.200; BGPConfiguration default spec.serviceExternalIPs: none"}}},
		{"peer-next-hop-self", "", []want{{"peer-next-hop-self", "BGPPeer e2e-router peerIP 172.18.0.5 asNumber 65001 keepOriginalNextHop false"}}},
		// kube-proxy kept off the worker: no pod there, and no rule for the fixture's ClusterIPs
		{"kube-proxy-missing", worker1206, []want{{"kube-proxy-missing", "no kube-proxy pod on " + worker1206},
			{"service-rules-missing", "no KUBE-SERVICES rule for 10.96."}}},
		{"remote-block-missing", worker1206, []want{{"remote-block-missing", "ip route show table all"}}},
		{"vxlan-peer-missing", "e2e-vxlan-1206-041918-cca512-worker", []want{{"vxlan-peer-missing", "192.168.90.192/26 via 192.168.90.192 dev vxlan.calico onlink"}}},
		// BIRD reloaded without the router's peer, then bird.cfg put back without a reload
		{"bird-config-stale", "e2e-stale1-worker", []want{{"bird-config-stale", "protocol bgp Global_172_18_0_5 from bgp_template {"}}},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			b := load(t, c.dir)
			fs := Analyze(b, LinuxRules)
			var ids []string
			for _, f := range fs {
				ids = append(ids, f.ID)
			}
			if len(fs) != len(c.want) {
				t.Fatalf("findings %v, want exactly %v", ids, c.want)
			}
			for i, f := range fs {
				w := c.want[i]
				if f.ID != w.id {
					t.Fatalf("findings %v, want %v", ids, c.want)
				}
				checkRecorded(t, c.dir, c.node, w.excerpt, f)
			}
		})
	}
}

// checkRecorded: a finding of a recording names the node, has a cause, a fix and evidence whose
// excerpt holds the wanted text, and every evidence line it cites is in the recorded file.
func checkRecorded(t *testing.T, dir, node, excerpt string, f Finding) {
	t.Helper()
	if node != "" && !slices.Equal(f.Nodes, []string{node}) {
		t.Errorf("%s: nodes %v, want %s", f.ID, f.Nodes, node)
	}
	if f.Cause == "" || f.Fix == "" || len(f.Evidence) == 0 || !strings.Contains(f.Evidence[0].Excerpt, excerpt) {
		t.Errorf("finding %+v: want cause, fix and evidence with %q", f, excerpt)
	}
	for _, r := range f.Evidence {
		for _, l := range r.Lines {
			text, err := os.ReadFile(filepath.Join("testdata", dir, r.File))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(text), "\n")
			if l < 1 || l > len(lines) || !strings.Contains(r.Excerpt, strings.TrimSpace(lines[l-1])) {
				t.Errorf("evidence %s:%d is %q, not part of the excerpt %q", r.File, l, lines[l-1], r.Excerpt)
			}
		}
	}
	t.Log(f.String())
}

// The healthy parts of the recordings stay silent: the fault-free nodes of a recording give no
// node finding, and the cluster state of a recording whose fault was on a node gives none.
func TestHealthyRecordingsAreSilent(t *testing.T) {
	b := load(t, "vxlan-dropped")
	var healthy []NodeFile
	for _, nf := range b.Nodes {
		if nf.Node != worker {
			healthy = append(healthy, nf)
		}
	}
	b.Nodes = healthy
	// the nodes left out have no evidence file: the node rules judge only the files they read
	if fs := Analyze(b, []Rule{VXLANDropped, IPForwardDisabled, RouteShadowsBlock, VXLANPeerMissing, BGPSessionDown, MTUExceedsUnderlay, ServiceRulesMissing}); len(fs) != 0 {
		t.Errorf("healthy nodes: %v", fs)
	}
	if fs := Analyze(load(t, "route-shadows-block"), []Rule{CalicoNodeNotReady, KubeProxyMissing, DNSNoEndpoints, PolicySelectsProbes, RemoteBlockMissing}); len(fs) != 0 {
		t.Errorf("healthy cluster state: %v", fs)
	}
}

// dropLines removes the lines starting with prefix from a section of a node's recorded evidence
// (there must be some).
func dropLines(t *testing.T, b Bundle, node, section, prefix string) {
	t.Helper()
	for i, nf := range b.Nodes {
		if nf.Node != node {
			continue
		}
		s := nf.Sections[section]
		var kept []string
		for _, l := range s.Lines {
			if !strings.HasPrefix(l, prefix) {
				kept = append(kept, l)
			}
		}
		if len(kept) == len(s.Lines) {
			t.Fatalf("the recording's %s of %s has no line %q", section, node, prefix)
		}
		s.Lines = kept
		b.Nodes[i].Sections[section] = s
		return
	}
	t.Fatalf("the recording has no node %s", node)
}

// States no recording has, made by changing a recorded bundle here.
func TestModifiedRecordings(t *testing.T) {
	t.Run("BIRD still runs a peer bird.cfg no longer defines", func(t *testing.T) {
		b := load(t, "bird-config-stale")
		const healthy = "e2e-stale1-control-plane"
		dropLines(t, b, healthy, "bird-config", "protocol bgp Global_172_18_0_5 ")
		var mine []Finding
		for _, f := range BIRDConfigStale(b) {
			if f.Nodes[0] == healthy {
				mine = append(mine, f)
			}
		}
		if len(mine) != 1 || !strings.Contains(mine[0].Cause, "no longer defines Global_172_18_0_5, which BIRD still runs") {
			t.Errorf("findings on %s: %v", healthy, mine)
		}
	})
	t.Run("VTEP neighbour entry deleted", func(t *testing.T) {
		b := load(t, "ip-forward-disabled")
		dropLines(t, b, worker, "neighbours", "192.168.12.192 dev vxlan.calico")
		fs := VXLANPeerMissing(b)
		if len(fs) != 1 || fs[0].Nodes[0] != worker || !strings.Contains(fs[0].Cause, "192.168.12.192/26") || !strings.Contains(fs[0].Cause, "goes to VTEP 192.168.12.192, which has no neighbour entry") {
			t.Errorf("findings %v", fs)
		}
	})
	t.Run("calico-node and kube-proxy not ready", func(t *testing.T) {
		b := load(t, "dns-no-endpoints")
		for i, p := range b.Cluster.Pods {
			if p.Node == worker && (p.App == "calico-node" || p.App == "kube-proxy") {
				b.Cluster.Pods[i].Ready, b.Cluster.Pods[i].State = false, "CrashLoopBackOff"
			}
		}
		if fs := CalicoNodeNotReady(b); len(fs) != 1 || fs[0].Nodes[0] != worker || !strings.Contains(fs[0].Cause, "CrashLoopBackOff") {
			t.Errorf("calico-node: %v", fs)
		}
		if fs := KubeProxyMissing(b); len(fs) != 1 || fs[0].Nodes[0] != worker {
			t.Errorf("kube-proxy: %v", fs)
		}
	})
	t.Run("VXLAN MTU over the underlay", func(t *testing.T) {
		b := load(t, "vxlan-dropped")
		for i, nf := range b.Nodes {
			s := nf.Sections["addresses"]
			for j, l := range s.Lines {
				if strings.Contains(l, ": vxlan.calico:") {
					s.Lines[j] = mtuOf.ReplaceAllStringFunc(l, func(m string) string { return strings.Replace(m, "mtu 1450", "mtu 1500", 1) })
				}
			}
			b.Nodes[i].Sections["addresses"] = s
		}
		fs := MTUExceedsUnderlay(b)
		if len(fs) != 3 || !strings.Contains(fs[0].Cause, "MTU 1500 but eth0 carries 1500") {
			t.Errorf("findings %v", fs)
		}
	})
}

// A BGP session that is not Established, from BIRD 1.6 output recorded by infra/router's tests
// (real BIRD in network namespaces; see infra/router/testdata).
func TestBGPSessionDown(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "infra", "router", "testdata", "netns-bgp-show-protocols-all.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := "### bird-protocols: birdcl show protocols all\n" + stripRecordedHeader(string(raw))
	b := Bundle{Nodes: []NodeFile{ParseNodeFile("n1", "node-n1.txt", text)}}
	fs := BGPSessionDown(b)
	if len(fs) != 1 || !strings.Contains(fs[0].Cause, "No route to host") {
		t.Fatalf("findings %v", fs)
	}
	t.Log(fs[0].String())
}

func stripRecordedHeader(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "# ") && len(out) == 0 {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// The recorded VIP bundle with the range restored (as on the healthy runs) names nothing; nor
// does VXLAN mode, where the router's static routes do not depend on the BGPConfiguration.
func TestServiceVIPAdvertisedIsSilent(t *testing.T) {
	b := load(t, "service-vip-not-advertised")
	if len(b.Cluster.VIPs) == 0 {
		t.Fatal("the recording has no VIPs")
	}
	b.Cluster.Advertised["serviceExternalIPs"] = []string{"198.18.10.0/24"}
	if fs := ServiceVIPNotAdvertised(b); len(fs) != 0 {
		t.Errorf("range restored: %v", fs)
	}
	b.Cluster.Advertised["serviceExternalIPs"] = nil
	b.Cluster.Mode = "vxlan"
	if fs := ServiceVIPNotAdvertised(b); len(fs) != 0 {
		t.Errorf("vxlan: %v", fs)
	}
}

func TestPeerKeepingNextHopIsSilent(t *testing.T) {
	b := load(t, "peer-next-hop-self")
	b.Cluster.Peers[0].KeepOriginalNextHop = true
	if fs := PeerNextHopSelf(b); len(fs) != 0 {
		t.Errorf("keepOriginalNextHop restored: %v", fs)
	}
	b.Cluster.Peers[0].KeepOriginalNextHop = false
	off := false
	b.Cluster.MeshEnabled = &off
	if fs := PeerNextHopSelf(b); len(fs) != 0 {
		t.Errorf("no mesh (route reflectors): %v", fs)
	}
}

// Recorded: veth_mtu set to 1500 in calico-config on a VXLAN cluster (underlay 1500), calico-node
// restarted, then the MTU cell ran with new pods: every node has pods whose MTU (1500) exceeds
// vxlan.calico's (1450), and that is all the rules find.
func TestRecordedPodMTUOverTunnel(t *testing.T) {
	b := load(t, "pod-mtu-exceeds-tunnel")
	fs := Analyze(b, LinuxRules)
	if len(fs) != len(b.Nodes) {
		t.Fatalf("findings %v, want one per node (%d)", fs, len(b.Nodes))
	}
	for _, f := range fs {
		if f.ID != "pod-mtu-exceeds-tunnel" || !strings.Contains(f.Cause, "MTU up to 1500 but vxlan.calico carries 1450") {
			t.Errorf("finding %v", f)
		}
		if len(f.Evidence) != 1 || !strings.Contains(f.Evidence[0].Excerpt, "vxlan.calico") {
			t.Errorf("evidence %v should quote vxlan.calico's line", f.Evidence)
		}
	}
	healthy := load(t, "vxlan-dropped") // pods at Calico's detected 1450
	if fs := PodMTUExceedsTunnel(healthy); len(fs) != 0 {
		t.Errorf("healthy MTUs: %v", fs)
	}
}
