package windows

import (
	"strings"
	"testing"

	"github.com/calico-conformance/e2e/e2e/findings"
)

// winw1 is the Windows node of the knabben fixtures (sig-windows-dev-tools Vagrant env).
var winw1 = Node{Name: "winw1", InternalIP: "10.20.30.11"}

func networks(t *testing.T, body string) []Network {
	t.Helper()
	nets, err := ParseHnsNetworks(body)
	if err != nil {
		t.Fatal(err)
	}
	return nets
}

func endpoints(t *testing.T, body string) []Endpoint {
	t.Helper()
	eps, err := ParseHnsEndpoints(body)
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

// expectIDs checks that fs holds exactly the given IDs, in order.
func expectIDs(t *testing.T, what string, fs []findings.Finding, ids ...string) {
	t.Helper()
	var got []string
	for _, f := range fs {
		got = append(got, f.ID)
		if f.Cause == "" || f.Fix == "" {
			t.Errorf("%s: finding without cause or fix: %+v", what, f)
		}
	}
	if strings.Join(got, " ") != strings.Join(ids, " ") {
		t.Errorf("%s: findings %q, want %q:\n%s", what, got, ids, findingLines(fs))
	}
}

func findingLines(fs []findings.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}

func TestManagementIPMismatch(t *testing.T) {
	const file = "hns-networks.txt"
	faulty := networks(t, fixture(t, "hns-network/knabben-calico-overlay-mgmtip-vagrant-nat.txt"))
	fs := ManagementIPMismatch(winw1, file, faulty)
	expectIDs(t, "vagrant NAT management IP", fs, IDMgmtIPMismatch)
	if len(fs) == 1 {
		s := fs[0].String()
		for _, want := range []string{"[hns-mgmt-ip-mismatch] node winw1:", "10.0.2.15", "10.20.30.11", "vxlanAdapter", "VXLAN_ADAPTER", "evidence: hns-networks.txt:16"} {
			if !strings.Contains(s, want) {
				t.Errorf("finding %q lacks %q", s, want)
			}
		}
	}
	expectIDs(t, "healthy", ManagementIPMismatch(winw1, file, networks(t, fixture(t, "hns-network/knabben-calico-overlay-healthy.txt"))))
	expectIDs(t, "bootstrap External network",
		ManagementIPMismatch(Node{Name: "k8swinworker2", InternalIP: "10.0.0.6"}, file, networks(t, fixture(t, "hns-network/sdn-get-hnsnetwork-external-overlay-bootstrap.txt"))))
	expectIDs(t, "synthetic JSON", ManagementIPMismatch(winw1, file, networks(t, synthetic(t, "get-hnsnetwork-calico-two-remote-routes.json.txt"))))
}

func TestManagementIPAPIPA(t *testing.T) {
	for _, f := range []string{
		"hns-network/knabben-calico-overlay-mgmtip-vagrant-nat.txt",
		"hns-network/knabben-calico-overlay-healthy.txt",
		"hns-network/sdn-get-hnsnetwork-external-overlay-bootstrap.txt",
	} {
		expectIDs(t, f, ManagementIPAPIPA(winw1, f, networks(t, fixture(t, f))))
	}
	// No recording has an APIPA management IP: take the healthy network and give it one.
	nets := networks(t, fixture(t, "hns-network/knabben-calico-overlay-healthy.txt"))
	nets[0].ManagementIP = "169.254.23.7"
	fs := ManagementIPAPIPA(winw1, "hns-networks.txt", nets)
	expectIDs(t, "APIPA", fs, IDMgmtIPAPIPA)
	expectIDs(t, "APIPA is not also a mismatch", ManagementIPMismatch(winw1, "hns-networks.txt", nets))
	if len(fs) == 1 && !strings.Contains(fs[0].Cause, "169.254.23.7") {
		t.Errorf("cause %q", fs[0].Cause)
	}
}

func TestRemoteSubnetRouteMissing(t *testing.T) {
	const file = "hns-networks.txt"
	net := networks(t, fixture(t, "hns-network/knabben-calico-overlay-healthy.txt"))[0]
	cp := RemoteBlock{CIDR: "100.244.49.64/26", Node: "controlplane", NodeIP: "10.20.30.10"}
	expectIDs(t, "healthy", RemoteSubnetRouteMissing(winw1, file, net, []RemoteBlock{cp}))

	w2 := RemoteBlock{CIDR: "100.244.12.0/26", Node: "winw2", NodeIP: "10.20.30.12"}
	fs := RemoteSubnetRouteMissing(winw1, file, net, []RemoteBlock{cp, w2})
	expectIDs(t, "block of winw2 not routed", fs, IDRemoteRouteMissing)
	if len(fs) == 1 && (!strings.Contains(fs[0].Cause, "100.244.12.0/26 (node winw2, 10.20.30.12)") || strings.Contains(fs[0].Cause, cp.CIDR)) {
		t.Errorf("cause %q", fs[0].Cause)
	}

	moved := cp
	moved.NodeIP = "10.20.30.20"
	expectIDs(t, "route to the wrong host", RemoteSubnetRouteMissing(winw1, file, net, []RemoteBlock{moved}), IDRemoteRouteProvider)

	cut := net
	cut.PoliciesTruncated = true
	expectIDs(t, "truncated policies prove nothing", RemoteSubnetRouteMissing(winw1, file, cut, []RemoteBlock{cp, w2}))

	calico, ok := FindNetwork(networks(t, synthetic(t, "get-hnsnetwork-calico-two-remote-routes.json.txt")), "Calico")
	if !ok {
		t.Fatal("no Calico network in synthetic JSON")
	}
	blocks := []RemoteBlock{{"192.168.12.0/26", "linux-1", "10.20.30.10"}, {"192.168.77.64/26", "win-2", "10.20.30.12"}}
	expectIDs(t, "synthetic JSON, all routed", RemoteSubnetRouteMissing(winw1, file, calico, blocks))
	fs = RemoteSubnetRouteMissing(winw1, file, calico, append(blocks, RemoteBlock{"192.168.3.192/26", "linux-2", "10.20.30.13"}))
	expectIDs(t, "synthetic JSON, one block missing", fs, IDRemoteRouteMissing)
	if len(fs) == 1 && fs[0].Evidence[0].Lines[0] != 32 {
		t.Errorf("evidence %+v, want the Policies line 32", fs[0].Evidence)
	}
}

func TestOutboundNATExceptionMissing(t *testing.T) {
	const file = "hns-endpoints.json"
	trimmed := endpoints(t, fixture(t, "hns-endpoint/knabben-endpoint-json-collectlogs-trimmed.txt"))
	expectIDs(t, "healthy", OutboundNATExceptionMissing(winw1, file, trimmed, []string{"100.244.0.0/16"}, "10.96.0.0/12"))
	// a /16 service range inside the excepted /12 is covered
	expectIDs(t, "covered by a wider exception", OutboundNATExceptionMissing(winw1, file, trimmed, []string{"100.244.0.0/16"}, "10.96.0.0/16"))

	fs := OutboundNATExceptionMissing(winw1, file, trimmed, []string{"192.168.0.0/16"}, "10.96.0.0/12")
	expectIDs(t, "pool not excepted", fs, IDOutboundNATException)
	if len(fs) == 1 && (!strings.Contains(fs[0].Cause, "IP pool 192.168.0.0/16") || !strings.Contains(fs[0].Cause, "100.244.206.67")) {
		t.Errorf("cause %q", fs[0].Cause)
	}

	// System.Object[] hides the list: not judged, whatever is expected.
	rke2 := endpoints(t, fixture(t, "hns-endpoint/rke2windows-get-hnsendpoint-list.txt"))
	expectIDs(t, "collapsed ExceptionList", OutboundNATExceptionMissing(winw1, file, rke2, []string{"192.168.0.0/16"}, "10.96.0.0/16"))

	syn := endpoints(t, synthetic(t, "get-hnsendpoint-pod-missing-svc-exception-and-suffix.json.txt"))
	fs = OutboundNATExceptionMissing(winw1, file, syn, []string{"192.168.0.0/16"}, "10.96.0.0/16")
	expectIDs(t, "synthetic: service CIDR not excepted", fs, IDOutboundNATException)
	if len(fs) == 1 && (!strings.Contains(fs[0].Cause, "service CIDR 10.96.0.0/16") || !strings.Contains(fs[0].Cause, "192.168.40.134")) {
		t.Errorf("cause %q", fs[0].Cause)
	}
}

func TestVXLANFirewallMissing(t *testing.T) {
	rules, err := ParseFirewallRules(fixture(t, "firewall/sdn-new-netfirewallrule-overlay4789udp.txt"))
	if err != nil {
		t.Fatal(err)
	}
	expectIDs(t, "OverlayTraffic4789UDP present", VXLANFirewallMissing(winw1, "fw.txt", rules, 4789))
	expectIDs(t, "no rules", VXLANFirewallMissing(winw1, "fw.txt", nil, 4789), IDVXLANFirewall)

	syn, err := ParseFirewallRules(synthetic(t, "firewall-rules-vxlan-disabled.json.txt"))
	if err != nil {
		t.Fatal(err)
	}
	fs := VXLANFirewallMissing(winw1, "firewall-rules.json", syn, 4789)
	expectIDs(t, "rule disabled", fs, IDVXLANFirewall)
	if len(fs) == 1 && (fs[0].Evidence[0].Lines[0] != 3 || !strings.Contains(fs[0].Fix, "-LocalPort 4789")) {
		t.Errorf("finding %s", fs[0])
	}
	syn[0].Enabled = "True"
	expectIDs(t, "rule enabled", VXLANFirewallMissing(winw1, "firewall-rules.json", syn, 4789))
	expectIDs(t, "other port", VXLANFirewallMissing(winw1, "firewall-rules.json", syn, 4790), IDVXLANFirewall)
}

func TestEndpointDNS(t *testing.T) {
	rke2 := endpoints(t, fixture(t, "hns-endpoint/rke2windows-get-hnsendpoint-list.txt"))
	expectIDs(t, "rke2 healthy", EndpointDNS(winw1, "ep.txt", rke2, DNSWant{Server: "10.43.0.10", Suffix: "svc.cluster.local"}))
	expectIDs(t, "rke2 other DNS", EndpointDNS(winw1, "ep.txt", rke2, DNSWant{Server: "10.43.0.11", Suffix: "cluster.local"}), IDPodDNSServer)

	trimmed := endpoints(t, fixture(t, "hns-endpoint/knabben-endpoint-json-collectlogs-trimmed.txt"))
	expectIDs(t, "trimmed JSON healthy", EndpointDNS(winw1, "ep.json", trimmed, DNSWant{Server: "10.96.0.10", Suffix: "cluster.local"}))

	// DNS properties were not shown for these endpoints: nothing to judge.
	partial := endpoints(t, fixture(t, "hns-endpoint/knabben-get-hnsendpoint-overlay-with-remote-vip.txt"))
	expectIDs(t, "properties not shown", EndpointDNS(winw1, "ep.txt", partial, DNSWant{Server: "10.96.0.10", Suffix: "cluster.local"}))

	syn := endpoints(t, synthetic(t, "get-hnsendpoint-pod-missing-svc-exception-and-suffix.json.txt"))
	fs := EndpointDNS(winw1, "hns-endpoints.json", syn, DNSWant{Server: "10.96.0.10", Suffix: "svc.cluster.local"})
	expectIDs(t, "synthetic empty suffix", fs, IDPodDNSSuffix)
	if len(fs) == 1 && (fs[0].Evidence[0].Lines[0] != 4 || !strings.Contains(fs[0].Cause, "192.168.40.134")) {
		t.Errorf("finding %s", fs[0])
	}
}

func TestPodDNS(t *testing.T) {
	body := fixture(t, "dns/plang-ff-pod-ipconfig-and-nslookup-missing-dns-suffix.txt")
	fs := PodDNS(Node{Name: "acs-win-1"}, "web", "pod-web-dns.txt", ParseIPConfig(body), ParseNslookup(body), DNSWant{Server: "10.0.0.10", Suffix: "svc.cluster.local"})
	expectIDs(t, "empty suffix", fs, IDPodDNSSuffix)
	if len(fs) == 1 {
		s := fs[0].String()
		for _, want := range []string{"DNS suffix is empty", "nslookup db: Non-existent domain", "pod-web-dns.txt:3", "pod-web-dns.txt:19"} {
			if !strings.Contains(s, want) {
				t.Errorf("finding %q lacks %q", s, want)
			}
		}
	}
	expectIDs(t, "other cluster DNS", PodDNS(Node{Name: "acs-win-1"}, "web", "f", ParseIPConfig(body), nil, DNSWant{Server: "10.96.0.10"}), IDPodDNSServer)

	healthy := fixture(t, "host-net/knabben-pod-ipconfig-via-hcsdiag-calico.txt")
	expectIDs(t, "healthy pod", PodDNS(Node{Name: "win-2022"}, "", "f", ParseIPConfig(healthy), nil, DNSWant{Server: "10.96.0.10", Suffix: "cluster.local"}))
}

func TestDNSTimeout(t *testing.T) {
	const f = "dns/msdocs-pr1972-nslookup-timeout-upstream-blocked.txt"
	fs := DNSTimeout(Node{}, "nslookup.txt", ParseNslookup(fixture(t, f)))
	expectIDs(t, "upstream blocked", fs, IDDNSTimeout)
	if len(fs) == 1 && (!strings.Contains(fs[0].Cause, "bing.com to 8.8.8.8") || !strings.Contains(fs[0].Cause, "5 unanswered")) {
		t.Errorf("cause %q", fs[0].Cause)
	}
	expectIDs(t, "NXDOMAIN is not a timeout", DNSTimeout(Node{}, "f", ParseNslookup(fixture(t, "dns/plang-ff-pod-ipconfig-and-nslookup-missing-dns-suffix.txt"))))
}

func TestVNIMismatch(t *testing.T) {
	net := networks(t, fixture(t, "hns-network/knabben-calico-overlay-healthy.txt"))[0]
	seen := append(NetworkVNIs("hns-networks.txt", net), CalicoLogVNIs("calico-node.log", fixture(t, "logs/knabben-calico-node-startup-vxlan-healthy.txt"))...)
	if len(seen) != 2 {
		t.Fatalf("VNIs %+v", seen)
	}
	expectIDs(t, "healthy", VNIMismatch(winw1, 4096, seen))

	calico, _ := FindNetwork(networks(t, synthetic(t, "get-hnsnetwork-calico-two-remote-routes.json.txt")), "Calico")
	synSeen := NetworkVNIs("hns-networks.json", calico)
	if len(synSeen) != 3 {
		t.Fatalf("VNIs %+v, want 2 routes and 1 subnet VSID", synSeen)
	}
	expectIDs(t, "synthetic JSON healthy", VNIMismatch(winw1, 4096, synSeen))

	// the cluster runs another VNI than this node's network
	fs := VNIMismatch(winw1, 4097, seen)
	expectIDs(t, "cluster VNI 4097", fs, IDVNIMismatch)
	if len(fs) == 1 && len(fs[0].Evidence) != 2 {
		t.Errorf("evidence %+v", fs[0].Evidence)
	}
}

func TestIPIPPoolWithWindowsNodes(t *testing.T) {
	nodes := []NodeOS{{"cp", "linux"}, {"w1", "windows"}}
	ipip := []IPPool{{Name: "default-ipv4-ippool", CIDR: "192.168.0.0/16", IPIPMode: "Always"}}
	fs := IPIPPoolWithWindowsNodes(ipip, nodes)
	expectIDs(t, "IPIP with Windows", fs, IDIPIPWithWindows)
	if len(fs) == 1 && (len(fs[0].Nodes) != 1 || fs[0].Nodes[0] != "w1") {
		t.Errorf("nodes %q", fs[0].Nodes)
	}
	expectIDs(t, "IPIP, Linux only", IPIPPoolWithWindowsNodes(ipip, nodes[:1]))
	expectIDs(t, "VXLAN with Windows", IPIPPoolWithWindowsNodes([]IPPool{{Name: "p", CIDR: "192.168.0.0/16", IPIPMode: "Never"}}, nodes))
	expectIDs(t, "CrossSubnet", IPIPPoolWithWindowsNodes([]IPPool{{Name: "p", CIDR: "192.168.0.0/16", IPIPMode: "CrossSubnet"}}, nodes), IDIPIPWithWindows)
}

func TestImageBuildMismatch(t *testing.T) {
	fs := ImageBuildMismatch(winw1, "10.0.17763.2114", "iis", "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022", "10.0.20348.2340")
	expectIDs(t, "2022 image on 2019 node", fs, IDImageBuildMismatch)
	if len(fs) == 1 && (!strings.Contains(fs[0].Cause, "10.0.20348.2340, Windows Server 2022") || !strings.Contains(fs[0].Fix, "node.kubernetes.io/windows-build=10.0.17763")) {
		t.Errorf("finding %s", fs[0])
	}
	expectIDs(t, "same build, other revision", ImageBuildMismatch(winw1, "10.0.20348.169", "p", "i", "10.0.20348.2340"))
	expectIDs(t, "unparsable", ImageBuildMismatch(winw1, "10.0.20348", "p", "i", "ltsc2022"))
}

func TestKnownBadBuild(t *testing.T) {
	for build, want := range map[string]int{
		"10.0.14393.0":    1, // Windows Server 2016: no Calico VXLAN
		"10.0.17763.1000": 1, // 1809 before the August 2020 update
		"10.0.17763.1432": 0,
		"10.0.17763":      1, // no revision: counted as .0
		"10.0.20348.169":  0,
		"junk":            0,
	} {
		fs := KnownBadBuild(winw1, build)
		if len(fs) != want {
			t.Errorf("%s: %d findings, want %d:\n%s", build, len(fs), want, findingLines(fs))
		}
		for _, f := range fs {
			if f.ID != IDKnownBadBuild || !strings.Contains(f.Cause, "Calico docs") {
				t.Errorf("%s: %s", build, f)
			}
		}
	}
	for _, b := range KnownBadBuilds {
		if b.Reason == "" || b.Source == "" || b.Fix == "" || !b.From.less(b.Before) {
			t.Errorf("incomplete table entry %+v", b)
		}
	}
}

func TestLoadBalancerPortExhaustion(t *testing.T) {
	fs := LoadBalancerPortExhaustion(winw1, "kube-proxy.log", fixture(t, "logs/msdocs-kube-proxy-hcncreateloadbalancer-port-exists.txt"))
	expectIDs(t, "port exists", fs, IDLoadBalancerPortsUsed)
	if len(fs) == 1 && (fs[0].Evidence[0].Lines[0] != 1 || !strings.Contains(fs[0].Fix, "--enable-dsr")) {
		t.Errorf("finding %s", fs[0])
	}
	expectIDs(t, "LB created", LoadBalancerPortExhaustion(winw1, "kube-proxy.log", fixture(t, "logs/knabben-kube-proxy-winkernel-lb-created.txt")))
}

func TestBGPPeerDown(t *testing.T) {
	peers, err := ParseBgpPeers(fixture(t, "bgp/tigera-get-bgppeer-connected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	expectIDs(t, "all connected", BGPPeerDown(winw1, "bgp-peers.txt", peers))
	peers[2].Status = "Connecting"
	fs := BGPPeerDown(winw1, "bgp-peers.txt", peers)
	expectIDs(t, "one connecting", fs, IDBGPPeerDown)
	if len(fs) == 1 && !strings.Contains(fs[0].Cause, "Mesh_172_20_54_3 (172.20.54.3, Connecting)") {
		t.Errorf("cause %q", fs[0].Cause)
	}
}

func TestHNSAdapterNotFound(t *testing.T) {
	body := fixture(t, "hns-errors/zuo-invoke-hnsrequest-adapter-not-found-and-network-exists-zh.txt")
	fs := HNSAdapterNotFound(Node{Name: "win-zh"}, "calico-install.log", ParseHnsErrors(body))
	expectIDs(t, "adapter not found (zh-CN)", fs, IDHNSAdapterNotFound)
	if len(fs) == 1 && (len(fs[0].Evidence) != 1 || fs[0].Evidence[0].Lines[0] != 4) {
		t.Errorf("evidence %+v", fs[0].Evidence)
	}
	expectIDs(t, "no errors", HNSAdapterNotFound(winw1, "f", ParseHnsErrors(fixture(t, "hns-network/knabben-calico-overlay-healthy.txt"))))
}
