package windows

import (
	"fmt"
	"path"
	"strings"

	"github.com/calico-conformance/e2e/e2e/findings"
)

// Analyze runs the rules of this package over one Windows node's evidence: the framework calls
// it once per Windows node. Rules whose input is missing (a file not collected, an expected
// value not given) are skipped, and a note says which and why.

// Expect is what a node's evidence is checked against, read from the cluster by the caller.
// A zero value skips the checks that need it; nothing is defaulted.
type Expect struct {
	// PoolCIDRs are the IPv4 pool CIDRs; ServiceCIDR the Service range. Either one enables the
	// OutBoundNAT exception check.
	PoolCIDRs   []string
	ServiceCIDR string
	// RemoteBlocks are the other nodes' pod blocks, for the RemoteSubnetRoute check (VXLAN).
	RemoteBlocks []RemoteBlock
	// DNS is the DNS pods must get (kube-dns Service IP, cluster search suffix).
	DNS DNSWant
	// VNI is the cluster's VXLAN network ID (FelixConfiguration vxlanVNI, 4096 by default);
	// VXLANPort its UDP port (4789). Both 0 without a VXLAN pool.
	VNI, VXLANPort int
}

// LogFile is a log or command output kept in the evidence folder under Name.
type LogFile struct {
	Name, Text string
}

// PodEvidence is what was read inside one Windows pod of the node.
type PodEvidence struct {
	Pod string
	// IPConfig is `ipconfig /all` run in the pod; Lookups nslookup output from the pod (such
	// as a failed DNS probe's output). Either may be empty.
	IPConfig, Lookups LogFile
	// Image is the pod's image and ImageBuild the Windows build it was built for (ImageBuild).
	Image, ImageBuild string
}

// NodeEvidence is one Windows node's evidence.
type NodeEvidence struct {
	Node Node
	// Build is the node's Windows build from its node.kubernetes.io/windows-build label; the
	// os-version output, when present, gives the revision too and is preferred.
	Build string
	// Files maps a Command's File to its output (Texts(SplitEvidence(...))).
	Files map[string]string
	// Dir is put before File in the findings' evidence refs ("node-w1" gives
	// "node-w1/hns-networks.json"); empty leaves the bare file name.
	Dir string
	// CalicoLog and KubeProxyLog are the node's calico-node-windows (Felix) and kube-proxy logs.
	CalicoLog, KubeProxyLog LogFile
	Pods                    []PodEvidence
}

// commandFile returns the File of the Command named name.
func commandFile(name string) string {
	for _, c := range Commands {
		if c.Name == name {
			return c.File
		}
	}
	panic("windows: no command " + name)
}

// Analyze returns the findings over one node's evidence, sorted, and notes on the checks it
// could not make.
func Analyze(ev NodeEvidence, want Expect) ([]findings.Finding, []string) {
	var fs []findings.Finding
	var notes []string
	node := ev.Node
	refName := func(f string) string { return path.Join(ev.Dir, f) }
	note := func(format string, a ...any) { notes = append(notes, fmt.Sprintf(format, a...)) }
	file := func(name string) (string, string, bool) {
		f := commandFile(name)
		t, ok := ev.Files[f]
		if ok && strings.TrimSpace(t) == "" {
			ok = false
		}
		return f, t, ok
	}

	// HNS networks: management IP, remote subnet routes, VNI
	var nets []Network
	netFile, text, ok := file("hns-networks")
	if !ok {
		note("%s not collected: management IP, RemoteSubnetRoute and VNI checks skipped", netFile)
	} else if n, err := ParseHnsNetworks(text); err != nil {
		note("%s: %v: management IP, RemoteSubnetRoute and VNI checks skipped", netFile, err)
	} else {
		nets = n
		if node.InternalIP == "" {
			note("node %s: no InternalIP given: management IP check skipped", node.Name)
		} else {
			fs = append(fs, ManagementIPMismatch(node, refName(netFile), nets)...)
		}
		fs = append(fs, ManagementIPAPIPA(node, refName(netFile), nets)...)
	}

	// HNS endpoints: OutBoundNAT exceptions, DNS
	var eps []Endpoint
	epFile, text, ok := file("hns-endpoints")
	if !ok {
		note("%s not collected: OutBoundNAT and endpoint DNS checks skipped", epFile)
	} else if e, err := ParseHnsEndpoints(text); err != nil {
		note("%s: %v: OutBoundNAT and endpoint DNS checks skipped", epFile, err)
	} else {
		eps = e
		if len(want.PoolCIDRs) > 0 || want.ServiceCIDR != "" {
			fs = append(fs, OutboundNATExceptionMissing(node, refName(epFile), eps, want.PoolCIDRs, want.ServiceCIDR)...)
		} else {
			note("no pool or service CIDR given: OutBoundNAT check skipped")
		}
		if want.DNS != (DNSWant{}) {
			fs = append(fs, EndpointDNS(node, refName(epFile), eps, want.DNS)...)
		}
	}

	// the pod network: remote subnet routes and VNIs (VXLAN only)
	var vnis []VNI
	if nets != nil {
		pods := podOverlayNetworks(nets, eps)
		if len(want.RemoteBlocks) > 0 && len(pods) == 0 && want.VXLANPort > 0 {
			note("%s: no Overlay pod network found: RemoteSubnetRoute check skipped", netFile)
		}
		for _, n := range pods {
			if len(want.RemoteBlocks) > 0 {
				fs = append(fs, RemoteSubnetRouteMissing(node, refName(netFile), n, want.RemoteBlocks)...)
			}
			vnis = append(vnis, NetworkVNIs(refName(netFile), n)...)
		}
	}
	if ev.CalicoLog.Text != "" {
		vnis = append(vnis, CalicoLogVNIs(ev.CalicoLog.Name, ev.CalicoLog.Text)...)
	}
	if want.VNI > 0 {
		fs = append(fs, VNIMismatch(node, want.VNI, vnis)...)
	}

	// firewall
	if want.VXLANPort > 0 {
		fwFile, text, ok := file("firewall-rules")
		if !ok {
			note("%s not collected: VXLAN firewall check skipped", fwFile)
		} else if rules, err := ParseFirewallRules(text); err != nil {
			note("%s: %v: VXLAN firewall check skipped", fwFile, err)
		} else {
			fs = append(fs, VXLANFirewallMissing(node, refName(fwFile), rules, want.VXLANPort)...)
		}
	}

	// Windows build
	build := ev.Build
	if osFile, text, ok := file("os-version"); ok {
		if b, err := ParseOSVersion(text); err != nil {
			note("%s: %v", osFile, err)
		} else {
			build = b.String()
		}
	}
	if build == "" {
		note("node %s: Windows build unknown: build checks skipped", node.Name)
	} else {
		fs = append(fs, KnownBadBuild(node, build)...)
	}

	// BGP (windows-bgp backend): without the RRAS BGP router Get-BgpPeer prints only its error,
	// in which no peer is found
	if bgpFile, text, ok := file("bgp-peers"); ok {
		if peers, err := ParseBgpPeers(text); err != nil {
			note("%s: %v", bgpFile, err)
		} else {
			fs = append(fs, BGPPeerDown(node, refName(bgpFile), peers)...)
		}
	}

	// HNS errors in any output or the Calico log
	for _, c := range Commands {
		if t, ok := ev.Files[c.File]; ok {
			fs = append(fs, HNSAdapterNotFound(node, refName(c.File), ParseHnsErrors(t))...)
		}
	}
	if ev.CalicoLog.Text != "" {
		fs = append(fs, HNSAdapterNotFound(node, ev.CalicoLog.Name, ParseHnsErrors(ev.CalicoLog.Text))...)
	}
	if ev.KubeProxyLog.Text != "" {
		fs = append(fs, LoadBalancerPortExhaustion(node, ev.KubeProxyLog.Name, ev.KubeProxyLog.Text)...)
	}

	// inside the pods
	for _, p := range ev.Pods {
		var lookups []NSLookup
		if p.Lookups.Text != "" {
			lookups = ParseNslookup(p.Lookups.Text)
			fs = append(fs, DNSTimeout(node, p.Lookups.Name, lookups)...)
		}
		if p.IPConfig.Text != "" && want.DNS != (DNSWant{}) {
			fs = append(fs, PodDNS(node, p.Pod, p.IPConfig.Name, ParseIPConfig(p.IPConfig.Text), lookups, want.DNS)...)
		}
		if p.Image != "" && p.ImageBuild != "" && build != "" {
			fs = append(fs, ImageBuildMismatch(node, build, p.Pod, p.Image, p.ImageBuild)...)
		}
	}

	findings.Sort(fs)
	return fs, notes
}

// podOverlayNetworks returns the Overlay (VXLAN) networks pods are attached to: the networks
// named by the pod endpoints' VirtualNetworkName, or, without endpoints, every Overlay network
// but Calico's bootstrap network "External", which holds no pods.
func podOverlayNetworks(nets []Network, eps []Endpoint) []Network {
	used := map[string]bool{}
	for _, e := range PodEndpoints(eps) {
		if e.VirtualNetworkName != "" {
			used[strings.ToLower(e.VirtualNetworkName)] = true
		}
	}
	var out []Network
	for _, n := range nets {
		if !strings.EqualFold(n.Type, "Overlay") {
			continue
		}
		if len(used) > 0 {
			if used[strings.ToLower(n.Name)] {
				out = append(out, n)
			}
			continue
		}
		if !strings.EqualFold(n.Name, "External") {
			out = append(out, n)
		}
	}
	return out
}

// ParseOSVersion reads the os-version collector's JSON (ProductName, DisplayVersion,
// CurrentBuild, UBR from HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion) as a build
// 10.0.<CurrentBuild>.<UBR>.
func ParseOSVersion(out string) (Build, error) {
	doc, err := parseJSONDoc(out)
	if err != nil {
		return Build{}, fmt.Errorf("os-version JSON: %w", err)
	}
	if len(doc.Objects) != 1 {
		return Build{}, fmt.Errorf("os-version JSON: want one object, got %d", len(doc.Objects))
	}
	m := doc.Objects[0]
	cur := jsonField(m, "CurrentBuild")
	if cur == "" {
		return Build{}, fmt.Errorf("os-version JSON has no CurrentBuild")
	}
	s := "10.0." + cur
	if ubr := jsonField(m, "UBR"); ubr != "" {
		s += "." + ubr
	}
	return ParseBuild(s)
}

// AnalyzeNodeFile analyzes one node's evidence as EvidenceScript printed it, kept in the
// evidence folder as file (e.g. node-w1.txt): ev.Files is filled from text (ev.Dir is not
// used), and the findings' refs to command outputs point at lines of file. Commands that failed
// or timed out add a note each.
func AnalyzeNodeFile(ev NodeEvidence, file, text string, want Expect) ([]findings.Finding, []string) {
	outs := SplitEvidence(text, Commands)
	ev.Files, ev.Dir = Texts(outs), ""
	var notes []string
	for _, c := range Commands {
		if o, ok := outs[c.File]; ok && !o.OK() {
			notes = append(notes, fmt.Sprintf("%s:%d: %s: %s", file, o.Line, c.Name, o.Status))
		}
	}
	fs, more := Analyze(ev, want)
	for i := range fs {
		for j, r := range fs[i].Evidence {
			o, ok := outs[r.File]
			if !ok {
				continue
			}
			r.File = file
			lines := make([]int, len(r.Lines))
			for k, l := range r.Lines {
				lines[k] = l + o.Line - 1
			}
			if len(r.Lines) == 0 {
				lines = nil
			}
			r.Lines = lines
			fs[i].Evidence[j] = r
		}
	}
	return fs, append(notes, more...)
}
