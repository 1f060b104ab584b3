package windows

import (
	"strings"
	"testing"
)

// wantKnabben is what the knabben node (sig-windows-dev-tools, Calico VXLAN) should have:
// pod pool 100.244.0.0/16, services 10.96.0.0/12, kube-dns 10.96.0.10, VNI 4096 on UDP 4789,
// and the control plane's block routed to 10.20.30.10.
var wantKnabben = Expect{
	PoolCIDRs:    []string{"100.244.0.0/16"},
	ServiceCIDR:  "10.96.0.0/12",
	RemoteBlocks: []RemoteBlock{{CIDR: "100.244.49.64/26", Node: "controlplane", NodeIP: "10.20.30.10"}},
	DNS:          DNSWant{Server: "10.96.0.10", Suffix: "cluster.local"},
	VNI:          4096,
	VXLANPort:    4789,
}

func hasNote(notes []string, subs ...string) bool {
	for _, n := range notes {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(n, s)
		}
		if all {
			return true
		}
	}
	return false
}

func TestAnalyzeNodeFileRecorded(t *testing.T) {
	text := evidenceText(t, recordedNode(t))
	all := strings.Split(text, "\n")
	fs, notes := AnalyzeNodeFile(NodeEvidence{Node: winw1, Build: "10.0.17763.1432"}, "node-winw1.txt", text, wantKnabben)
	expectIDs(t, "vagrant NAT management IP", fs, IDMgmtIPMismatch)
	if len(fs) == 1 {
		r := fs[0].Evidence[0]
		if r.File != "node-winw1.txt" || len(r.Lines) != 1 {
			t.Fatalf("evidence %+v, want one line of node-winw1.txt", r)
		}
		if l := all[r.Lines[0]-1]; !strings.HasPrefix(l, "ManagementIP ") || !strings.Contains(l, "10.0.2.15") {
			t.Errorf("evidence line %d is %q, want the ManagementIP line", r.Lines[0], l)
		}
	}
	for _, want := range [][]string{
		{"node-winw1.txt:", ": vfp-ports: timed out after 30s, stopped"},
		{"node-winw1.txt:", ": bgp-peers: exit code 1"},
	} {
		if !hasNote(notes, want...) {
			t.Errorf("no note %q in %q", want, notes)
		}
	}

	// a remote block without a route, and the node on a build Calico docs call broken
	want := wantKnabben
	want.RemoteBlocks = append(want.RemoteBlocks, RemoteBlock{CIDR: "100.244.12.0/26", Node: "winw2", NodeIP: "10.20.30.12"})
	fs, _ = AnalyzeNodeFile(NodeEvidence{Node: winw1, Build: "10.0.17763.1000"}, "node-winw1.txt", text, want)
	expectIDs(t, "missing route, old build", fs, IDMgmtIPMismatch, IDRemoteRouteMissing, IDKnownBadBuild)
}

func TestAnalyzeHealthy(t *testing.T) {
	files := map[string]string{
		"hns-networks.json":   fixture(t, "hns-network/knabben-calico-overlay-healthy.txt"),
		"hns-endpoints.json":  fixture(t, "hns-endpoint/knabben-endpoint-json-collectlogs-trimmed.txt"),
		"firewall-rules.json": fixture(t, "firewall/sdn-new-netfirewallrule-overlay4789udp.txt"),
		"bgp-peers.json":      fixture(t, "bgp/tigera-get-bgppeer-connected.txt"),
	}
	ev := NodeEvidence{
		Node: winw1, Build: "10.0.17763.1432", Files: files, Dir: "node-winw1",
		CalicoLog:    LogFile{"calico-node-winw1.log", fixture(t, "logs/knabben-calico-node-startup-vxlan-healthy.txt")},
		KubeProxyLog: LogFile{"kube-proxy-winw1.log", fixture(t, "logs/knabben-kube-proxy-winkernel-lb-created.txt")},
		Pods: []PodEvidence{{Pod: "b-1", IPConfig: LogFile{"pod-b-1-ipconfig.txt", fixture(t, "host-net/knabben-pod-ipconfig-via-hcsdiag-calico.txt")},
			Image: "r/agnhost:2.56-windows-amd64-1809", ImageBuild: ImageBuild("r/agnhost:2.56-windows-amd64-1809")}},
	}
	fs, notes := Analyze(ev, wantKnabben)
	expectIDs(t, "healthy node", fs)
	if len(notes) != 0 {
		t.Errorf("notes on a complete node: %q", notes)
	}

	// the same node against other expectations: each rule reached through Analyze fires
	other := wantKnabben
	other.PoolCIDRs = []string{"192.168.0.0/16"}
	other.VNI = 4097
	other.VXLANPort = 4790
	ev.Pods[0].Image, ev.Pods[0].ImageBuild = "r/agnhost:2.56-windows-amd64-ltsc2022", "10.0.20348"
	fs, _ = Analyze(ev, other)
	expectIDs(t, "other expectations", fs, IDOutboundNATException, IDVNIMismatch, IDVXLANFirewall, IDImageBuildMismatch)
	for _, f := range fs {
		for _, r := range f.Evidence {
			if r.File == "hns-endpoints.json" || r.File == "hns-networks.json" {
				t.Errorf("%s: ref %s lacks the node folder", f.ID, r)
			}
		}
	}
}

func TestAnalyzeFaultsFromLogsAndPods(t *testing.T) {
	ev := NodeEvidence{
		Node:         Node{Name: "win-1"},
		CalicoLog:    LogFile{"calico.log", fixture(t, "hns-errors/zuo-invoke-hnsrequest-adapter-not-found-and-network-exists-zh.txt")},
		KubeProxyLog: LogFile{"kube-proxy.log", fixture(t, "logs/msdocs-kube-proxy-hcncreateloadbalancer-port-exists.txt")},
		Pods: []PodEvidence{
			{Pod: "web", IPConfig: LogFile{"pod-web.txt", fixture(t, "dns/plang-ff-pod-ipconfig-and-nslookup-missing-dns-suffix.txt")},
				Lookups: LogFile{"pod-web.txt", fixture(t, "dns/plang-ff-pod-ipconfig-and-nslookup-missing-dns-suffix.txt")}},
			{Pod: "a-1", Lookups: LogFile{"dns-probe-a-1.txt", fixture(t, "dns/msdocs-pr1972-nslookup-timeout-upstream-blocked.txt")}},
		},
	}
	fs, notes := Analyze(ev, Expect{DNS: DNSWant{Server: "10.0.0.10", Suffix: "svc.cluster.local"}})
	expectIDs(t, "logs and pods", fs, IDDNSTimeout, IDHNSAdapterNotFound, IDLoadBalancerPortsUsed, IDPodDNSSuffix)
	for _, want := range []string{
		"hns-networks.json not collected", "hns-endpoints.json not collected", "Windows build unknown",
	} {
		if !hasNote(notes, want) {
			t.Errorf("no note %q in %q", want, notes)
		}
	}
}

func TestAnalyzeNothingCollected(t *testing.T) {
	fs, notes := Analyze(NodeEvidence{Node: Node{Name: "w"}}, Expect{VXLANPort: 4789})
	expectIDs(t, "no evidence", fs)
	for _, want := range []string{"hns-networks.json not collected", "hns-endpoints.json not collected", "firewall-rules.json not collected", "Windows build unknown"} {
		if !hasNote(notes, want) {
			t.Errorf("no note %q in %q", want, notes)
		}
	}
	fs, notes = Analyze(NodeEvidence{Node: Node{Name: "w"}, Files: map[string]string{"hns-networks.json": "[ {"}}, Expect{})
	expectIDs(t, "broken JSON", fs)
	if !hasNote(notes, "hns-networks.json: Get-HnsNetwork JSON") {
		t.Errorf("notes %q", notes)
	}
}

// The os-version and bgp-peers inputs below are synthetic: the corpus has no recording of
// either collector's JSON. They are written in ConvertTo-Json's layout for the collectors'
// Select-Object properties.
const (
	syntheticOSVersion = `{
    "ProductName":  "Windows Server 2019 Datacenter",
    "DisplayVersion":  null,
    "CurrentBuild":  "17763",
    "UBR":  1000
}`
	syntheticBGPPeers = `[
    {
        "PeerName":  "Mesh_10_20_30_10",
        "LocalIPAddress":  "10.20.30.11",
        "PeerIPAddress":  "10.20.30.10",
        "PeerASN":  64512,
        "OperationMode":  "Mixed",
        "ConnectivityStatus":  "Connecting"
    }
]`
)

func TestAnalyzeSyntheticOSVersionAndBGP(t *testing.T) {
	b, err := ParseOSVersion(syntheticOSVersion)
	if err != nil || b.String() != "10.0.17763.1000" {
		t.Errorf("ParseOSVersion = %v, %v", b, err)
	}
	if _, err := ParseOSVersion(`{"ProductName": "x"}`); err == nil {
		t.Errorf("no CurrentBuild accepted")
	}
	ev := NodeEvidence{Node: winw1, Build: "10.0.20348", Files: map[string]string{"os-version.json": syntheticOSVersion, "bgp-peers.json": syntheticBGPPeers}}
	fs, _ := Analyze(ev, Expect{})
	// os-version (with its revision) wins over the label's build
	expectIDs(t, "old 1809 and a peer down", fs, IDBGPPeerDown, IDKnownBadBuild)
}
