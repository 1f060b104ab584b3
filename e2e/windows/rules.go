package windows

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/calico-conformance/e2e/e2e/findings"
)

// Finding IDs of the Windows rules.
const (
	IDMgmtIPMismatch        = "hns-mgmt-ip-mismatch"
	IDMgmtIPAPIPA           = "hns-mgmt-ip-apipa"
	IDRemoteRouteMissing    = "hns-remote-subnet-route-missing"
	IDRemoteRouteProvider   = "hns-remote-subnet-route-wrong-provider"
	IDOutboundNATException  = "hns-outbound-nat-exception-missing"
	IDVXLANFirewall         = "windows-firewall-vxlan-port-closed"
	IDPodDNSServer          = "pod-dns-server-wrong"
	IDPodDNSSuffix          = "pod-dns-suffix-missing"
	IDVNIMismatch           = "vxlan-vni-mismatch"
	IDIPIPWithWindows       = "ipip-pool-with-windows-nodes"
	IDImageBuildMismatch    = "windows-image-build-mismatch"
	IDKnownBadBuild         = "windows-build-known-bad"
	IDLoadBalancerPortsUsed = "kube-proxy-lb-port-exhaustion"
	IDDNSTimeout            = "dns-query-timeout"
	IDBGPPeerDown           = "windows-bgp-peer-down"
	IDHNSAdapterNotFound    = "hns-adapter-not-found"
)

// Node names the Windows node the evidence came from and its Kubernetes InternalIP.
type Node struct {
	Name       string
	InternalIP string
}

func (n Node) nodes() []string {
	if n.Name == "" {
		return nil
	}
	return []string{n.Name}
}

// ref points at one line of a file; line 0 (unknown) gives no line.
func ref(file string, line int, excerpt string) findings.Ref {
	r := findings.Ref{File: file, Excerpt: excerpt}
	if line > 0 {
		r.Lines = []int{line}
	}
	return r
}

// k8sNetworkType reports whether an HNS network type is one Kubernetes pod networking uses
// (Calico VXLAN: Overlay; Calico BGP and flannel host-gw: L2Bridge).
func k8sNetworkType(t string) bool {
	return strings.EqualFold(t, "Overlay") || strings.EqualFold(t, "L2Bridge")
}

var apipa = netip.MustParsePrefix("169.254.0.0/16")

func isAPIPA(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && apipa.Contains(a)
}

func sameIP(a, b string) bool {
	x, err1 := netip.ParseAddr(strings.TrimSpace(a))
	y, err2 := netip.ParseAddr(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	return x == y
}

const vxlanAdapterFix = "set the VXLAN adapter to the interface that holds %s (operator install: Installation spec.windowsNodes.vxlanAdapter; manual install: VXLAN_ADAPTER in config.ps1), then drain the node and remove its Calico and External HNS networks so Calico recreates them on that adapter"

// ManagementIPMismatch finds HNS pod networks (Overlay, L2Bridge) whose ManagementIP, the
// address HNS uses as this node's VXLAN provider address, is not the node's InternalIP: HNS
// took the vSwitch from another adapter (a NAT or second NIC), and overlay traffic between this
// node and the others fails. APIPA addresses are left to ManagementIPAPIPA.
func ManagementIPMismatch(node Node, file string, nets []Network) []findings.Finding {
	var fs []findings.Finding
	for _, n := range nets {
		if !k8sNetworkType(n.Type) || n.ManagementIP == "" || node.InternalIP == "" || isAPIPA(n.ManagementIP) || sameIP(n.ManagementIP, node.InternalIP) {
			continue
		}
		adapter := ""
		if n.NetworkAdapterName != "" {
			adapter = fmt.Sprintf(" (adapter %q)", n.NetworkAdapterName)
		}
		fs = append(fs, findings.Finding{
			ID:    IDMgmtIPMismatch,
			Nodes: node.nodes(),
			Cause: fmt.Sprintf("HNS network %s (%s) has ManagementIP %s%s, not the node's InternalIP %s, so VXLAN traffic uses the wrong adapter and pod traffic between nodes is lost",
				n.Name, n.Type, n.ManagementIP, adapter, node.InternalIP),
			Evidence: []findings.Ref{ref(file, n.Lines["ManagementIP"], "ManagementIP : "+n.ManagementIP)},
			Fix:      fmt.Sprintf(vxlanAdapterFix, node.InternalIP),
		})
	}
	return fs
}

// ManagementIPAPIPA finds HNS pod networks whose ManagementIP is an APIPA address
// (169.254.0.0/16): the adapter had no address when the vSwitch was created (DHCP not done,
// or a static address not carried over to the vEthernet adapter).
func ManagementIPAPIPA(node Node, file string, nets []Network) []findings.Finding {
	var fs []findings.Finding
	for _, n := range nets {
		if !k8sNetworkType(n.Type) || !isAPIPA(n.ManagementIP) {
			continue
		}
		want := node.InternalIP
		if want == "" {
			want = "the node's InternalIP"
		}
		fs = append(fs, findings.Finding{
			ID:    IDMgmtIPAPIPA,
			Nodes: node.nodes(),
			Cause: fmt.Sprintf("HNS network %s (%s) has the APIPA ManagementIP %s: its adapter had no address when the vSwitch was created, so VXLAN traffic to this node has no valid provider address",
				n.Name, n.Type, n.ManagementIP),
			Evidence: []findings.Ref{ref(file, n.Lines["ManagementIP"], "ManagementIP : "+n.ManagementIP)},
			Fix: fmt.Sprintf("make the adapter hold %s before Calico starts (check ipconfig /all for its vEthernet adapter; Calico's startup waits STARTUP_VALID_IP_TIMEOUT seconds for a non-169.254 address), then drain the node and remove its Calico and External HNS networks so Calico recreates them",
				want),
		})
	}
	return fs
}

// RemoteBlock is a pod IPAM block of another node that this node must route to.
type RemoteBlock struct {
	CIDR string
	// Node and NodeIP name the block's node; NodeIP is the address VXLAN packets for the block
	// must go to (the RemoteSubnetRoute ProviderAddress). Empty NodeIP skips that check.
	Node, NodeIP string
}

// RemoteSubnetRouteMissing checks that the pod network (Calico's overlay network) has a
// RemoteSubnetRoute for every remote pod block, pointing at the block's node. Without the
// route, pods here cannot reach pods in that block. A network whose Policies list was cut by
// the list layout cannot prove a route absent; no finding is made for missing routes then.
func RemoteSubnetRouteMissing(node Node, file string, net Network, remote []RemoteBlock) []findings.Finding {
	routes := map[netip.Prefix]Policy{}
	for _, p := range net.RemoteSubnetRoutes() {
		if pf, err := netip.ParsePrefix(p.Get("DestinationPrefix")); err == nil {
			routes[pf.Masked()] = p
		}
	}
	policiesRef := ref(file, net.Lines["Policies"], "")
	var missing []string
	var fs []findings.Finding
	for _, b := range remote {
		pf, err := netip.ParsePrefix(b.CIDR)
		if err != nil {
			continue
		}
		p, ok := routes[pf.Masked()]
		if !ok {
			if !net.PoliciesTruncated {
				missing = append(missing, describeBlock(b))
			}
			continue
		}
		if pa := p.Get("ProviderAddress"); b.NodeIP != "" && pa != "" && !sameIP(pa, b.NodeIP) {
			fs = append(fs, findings.Finding{
				ID:    IDRemoteRouteProvider,
				Nodes: node.nodes(),
				Cause: fmt.Sprintf("HNS network %s routes remote pod block %s to provider address %s, but its node %s has IP %s, so VXLAN packets for those pods go to the wrong host",
					net.Name, b.CIDR, pa, b.Node, b.NodeIP),
				Evidence: []findings.Ref{ref(file, net.Lines["Policies"], fmt.Sprintf("DestinationPrefix=%s; ProviderAddress=%s", b.CIDR, pa))},
				Fix: fmt.Sprintf("make Calico on node %s detect %s as its address (Installation spec.calicoNetwork.nodeAddressAutodetectionV4, e.g. kubernetes: NodeInternalIP; or IP_AUTODETECTION_METHOD), then restart calico-node there so this node's routes are reprogrammed",
					b.Node, b.NodeIP),
			})
		}
	}
	if len(missing) > 0 {
		fs = append([]findings.Finding{{
			ID:    IDRemoteRouteMissing,
			Nodes: node.nodes(),
			Cause: fmt.Sprintf("HNS network %s has no RemoteSubnetRoute for %s %s, so pods on this node cannot reach pods there",
				net.Name, plural(len(missing), "remote pod block", "remote pod blocks"), strings.Join(missing, ", ")),
			Evidence: []findings.Ref{policiesRef},
			Fix:      "Calico (Felix on this node) programs one RemoteSubnetRoute per remote block with a VXLAN tunnel address; check the calico-node-windows Felix log for HNS errors and that the remote nodes have a VXLAN tunnel address (ipv4VXLANTunnelAddr), then restart calico-node-windows on this node to resync",
		}}, fs...)
	}
	return fs
}

func describeBlock(b RemoteBlock) string {
	var who []string
	if b.Node != "" {
		who = append(who, "node "+b.Node)
	}
	if b.NodeIP != "" {
		who = append(who, b.NodeIP)
	}
	if len(who) == 0 {
		return b.CIDR
	}
	return fmt.Sprintf("%s (%s)", b.CIDR, strings.Join(who, ", "))
}

// OutboundNATExceptionMissing checks that every local pod endpoint's OutBoundNAT policy
// excepts the IP pool CIDRs and the service CIDR. Traffic to an address outside the
// ExceptionList is source-NATed to the node IP, so pod-to-pod traffic to a pool missing from
// it arrives from the node instead of the pod (breaking policy and replies), and service
// traffic is NATed before the load balancer. Endpoints whose ExceptionList was printed
// collapsed (System.Object[]) are not judged.
func OutboundNATExceptionMissing(node Node, file string, eps []Endpoint, poolCIDRs []string, serviceCIDR string) []findings.Finding {
	type want struct {
		what string
		pf   netip.Prefix
	}
	var wants []want
	for _, c := range poolCIDRs {
		if pf, err := netip.ParsePrefix(c); err == nil {
			wants = append(wants, want{"IP pool " + c, pf})
		}
	}
	if pf, err := netip.ParsePrefix(serviceCIDR); err == nil {
		wants = append(wants, want{"service CIDR " + serviceCIDR, pf})
	}
	byMissing := map[string][]Endpoint{}
	for _, e := range eps {
		if e.IsRemoteEndpoint {
			continue
		}
		for _, p := range e.PoliciesOf("OutBoundNAT") {
			exc, known := p.List("ExceptionList")
			if !known {
				continue
			}
			var miss []string
			for _, w := range wants {
				if !coveredBy(w.pf, exc) {
					miss = append(miss, w.what)
				}
			}
			if len(miss) > 0 {
				k := strings.Join(miss, " and ")
				byMissing[k] = append(byMissing[k], e)
			}
		}
	}
	keys := make([]string, 0, len(byMissing))
	for k := range byMissing {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var fs []findings.Finding
	for _, k := range keys {
		eps := byMissing[k]
		var ips []string
		var refs []findings.Ref
		for i, e := range eps {
			ips = append(ips, e.IPAddress)
			if i < 3 {
				refs = append(refs, ref(file, e.Lines["Policies"], "OutBoundNAT ExceptionList of "+e.IPAddress))
			}
		}
		fs = append(fs, findings.Finding{
			ID:    IDOutboundNATException,
			Nodes: node.nodes(),
			Cause: fmt.Sprintf("the OutBoundNAT ExceptionList of %s (%s) lacks the %s, so that traffic is source-NATed to the node IP",
				plural(len(eps), "pod endpoint", "pod endpoints"), strings.Join(ips, ", "), k),
			Evidence: refs,
			Fix:      "Calico for Windows builds the ExceptionList from the IP pools and the service CIDR (operator install: Installation spec.serviceCIDRs; manual install: K8S_SERVICE_CIDR in config.ps1); correct them, restart calico-node-windows and recreate the pods (existing endpoints keep their old policy)",
		})
	}
	return fs
}

// coveredBy reports whether some exception prefix (or address) contains all of pf.
func coveredBy(pf netip.Prefix, exceptions []string) bool {
	for _, e := range exceptions {
		ep, err := netip.ParsePrefix(strings.TrimSpace(e))
		if err != nil {
			a, err := netip.ParseAddr(strings.TrimSpace(e))
			if err != nil {
				continue
			}
			ep = netip.PrefixFrom(a, a.BitLen())
		}
		if ep.Bits() <= pf.Bits() && ep.Contains(pf.Addr()) {
			return true
		}
	}
	return false
}

// VXLANFirewallMissing checks that an enabled inbound firewall rule allows UDP to the VXLAN
// port. Rules read without their port filter count when they carry the name Calico's and
// Microsoft's install scripts give this rule (OverlayTraffic<port>UDP).
func VXLANFirewallMissing(node Node, file string, rules []FirewallRule, port int) []findings.Finding {
	wellKnown := fmt.Sprintf("OverlayTraffic%dUDP", port)
	var disabled []findings.Ref
	for _, r := range rules {
		allows, known := r.allowsUDPPort(port)
		if allows {
			return nil
		}
		named := strings.EqualFold(r.Name, wellKnown)
		if !known && named {
			return nil
		}
		if named {
			disabled = append(disabled, ref(file, r.Line, fmt.Sprintf("%s: Enabled %s, Direction %s, Action %s", r.Name, r.Enabled, r.Direction, r.Action)))
		}
	}
	ev := disabled
	if len(ev) == 0 {
		ev = []findings.Ref{{File: file}}
	}
	return []findings.Finding{{
		ID:       IDVXLANFirewall,
		Nodes:    node.nodes(),
		Cause:    fmt.Sprintf("no enabled inbound firewall rule allows UDP %d, so Windows Firewall can drop VXLAN traffic from other nodes", port),
		Evidence: ev,
		Fix: fmt.Sprintf("New-NetFirewallRule -Name %s -Description \"Overlay network traffic UDP\" -Action Allow -LocalPort %d -Enabled True -DisplayName \"Overlay Traffic %d UDP\" -Protocol UDP (the rule Calico's install creates)",
			wellKnown, port, port),
	}}
}

// DNSWant is the DNS configuration pods must get: the kube-dns Service IP and the cluster
// search suffix ("svc.cluster.local" or "cluster.local"). Empty values are not checked.
type DNSWant struct {
	Server string
	Suffix string
}

const dnsFix = "Calico for Windows writes the pod DNS servers and search list into its CNI config (manual install: DNS_NAME_SERVERS and DNS_SEARCH in config.ps1; check the \"dns\" section of the Calico CNI config on the node, by default C:\\Program Files\\containerd\\cni\\conf\\10-calico.conf); correct it and recreate the pods"

// suffixOK reports whether one of the suffixes is want or a subdomain of it.
func suffixOK(suffixes []string, want string) bool {
	want = strings.Trim(strings.ToLower(want), ".")
	for _, s := range suffixes {
		s = strings.Trim(strings.ToLower(strings.TrimSpace(s)), ".")
		if s == want || strings.HasSuffix(s, "."+want) {
			return true
		}
	}
	return false
}

func containsIP(list []string, ip string) bool {
	for _, s := range list {
		if sameIP(s, ip) {
			return true
		}
	}
	return false
}

// PodEndpoints returns the endpoints of local pods: not kube-proxy's remote endpoints, and not
// the host endpoint kube-proxy uses as source VIP ("<network>_ep", e.g. Calico_ep).
func PodEndpoints(eps []Endpoint) []Endpoint {
	var out []Endpoint
	for _, e := range eps {
		if e.IsRemoteEndpoint || strings.HasSuffix(strings.ToLower(e.Name), "_ep") {
			continue
		}
		out = append(out, e)
	}
	return out
}

// EndpointDNS checks the DNS servers and suffixes HNS gives local pod endpoints. Properties the
// output did not show are not judged.
func EndpointDNS(node Node, file string, eps []Endpoint, want DNSWant) []findings.Finding {
	var fs []findings.Finding
	for _, e := range PodEndpoints(eps) {
		if want.Server != "" && e.Has("DNSServerList") && !containsIP(e.DNSServerList, want.Server) {
			fs = append(fs, findings.Finding{
				ID:       IDPodDNSServer,
				Nodes:    node.nodes(),
				Cause:    fmt.Sprintf("pod endpoint %s has DNS servers %q, not the cluster DNS %s, so cluster names do not resolve", e.IPAddress, strings.Join(e.DNSServerList, ","), want.Server),
				Evidence: []findings.Ref{ref(file, e.Lines["DNSServerList"], "DNSServerList : "+strings.Join(e.DNSServerList, ","))},
				Fix:      dnsFix,
			})
		}
		if want.Suffix != "" && e.Has("DNSSuffix") && !suffixOK(e.DNSSuffix, want.Suffix) {
			fs = append(fs, findings.Finding{
				ID:       IDPodDNSSuffix,
				Nodes:    node.nodes(),
				Cause:    fmt.Sprintf("pod endpoint %s has DNS suffixes %q, none under %s, so short Service names do not resolve", e.IPAddress, strings.Join(e.DNSSuffix, ","), want.Suffix),
				Evidence: []findings.Ref{ref(file, e.Lines["DNSSuffix"], "DNSSuffix : "+strings.Join(e.DNSSuffix, ","))},
				Fix:      dnsFix,
			})
		}
	}
	return fs
}

// PodDNS checks the DNS configuration ipconfig /all shows inside a pod. Failed short-name
// lookups from the same file (nslookup "Non-existent domain") are added as evidence.
func PodDNS(node Node, pod, file string, cfg IPConfig, lookups []NSLookup, want DNSWant) []findings.Finding {
	var fs []findings.Finding
	who := "pod"
	if pod != "" {
		who = "pod " + pod
	}
	for _, a := range cfg.Adapters {
		if strings.Contains(strings.ToLower(a.Name), "loopback") {
			continue
		}
		if want.Suffix != "" && a.Has("Connection-specific DNS Suffix") && !suffixOK(append([]string{a.DNSSuffix}, cfg.SearchList...), want.Suffix) {
			p := a.Props["Connection-specific DNS Suffix"]
			shown := a.DNSSuffix
			if shown == "" {
				shown = "empty"
			} else {
				shown = strconv.Quote(shown)
			}
			ev := []findings.Ref{ref(file, p.Line, "Connection-specific DNS Suffix  . : "+a.DNSSuffix)}
			var short []string
			for _, l := range lookups {
				if l.Query != "" && !strings.Contains(l.Query, ".") && strings.EqualFold(l.Error, "Non-existent domain") {
					short = append(short, l.Query)
					ev = append(ev, ref(file, l.ErrorLine, l.ErrorText))
				}
			}
			cause := fmt.Sprintf("%s's DNS suffix is %s (adapter %s), none under %s, so short Service names do not resolve", who, shown, a.Name, want.Suffix)
			if len(short) > 0 {
				cause += fmt.Sprintf(" (nslookup %s: Non-existent domain)", strings.Join(short, ", "))
			}
			fs = append(fs, findings.Finding{ID: IDPodDNSSuffix, Nodes: node.nodes(), Cause: cause, Evidence: ev, Fix: dnsFix})
		}
		if want.Server != "" && a.Has("DNS Servers") && !containsIP(a.DNSServers, want.Server) {
			p := a.Props["DNS Servers"]
			fs = append(fs, findings.Finding{
				ID:       IDPodDNSServer,
				Nodes:    node.nodes(),
				Cause:    fmt.Sprintf("%s has DNS servers %q (adapter %s), not the cluster DNS %s", who, strings.Join(a.DNSServers, ","), a.Name, want.Server),
				Evidence: []findings.Ref{ref(file, p.Line, "DNS Servers . . . : "+p.Value)},
				Fix:      dnsFix,
			})
		}
	}
	return fs
}

// DNSTimeout finds nslookup runs that got no answer because the server did not respond.
func DNSTimeout(node Node, file string, lookups []NSLookup) []findings.Finding {
	var fs []findings.Finding
	for _, l := range lookups {
		if !l.Failed() || (l.Timeouts == 0 && l.Error != "timed out") {
			continue
		}
		server := l.ServerAddress
		if server == "" {
			server = l.Server
		}
		ev := []findings.Ref{ref(file, l.Line, "nslookup "+l.Query)}
		if l.ErrorLine > 0 {
			ev = append(ev, ref(file, l.ErrorLine, l.ErrorText))
		}
		what := "DNS queries"
		if l.Query != "" {
			what = "DNS queries for " + l.Query
		}
		fs = append(fs, findings.Finding{
			ID:       IDDNSTimeout,
			Nodes:    node.nodes(),
			Cause:    fmt.Sprintf("%s to %s timed out (%d unanswered requests): the server did not answer", what, server, l.Timeouts),
			Evidence: ev,
			Fix:      "check the path to that server: for the cluster DNS, the kube-dns Service load balancer on this node (hnsdiag list loadbalancers) and the CoreDNS pods; for an external server, the node's outbound NAT and any upstream firewall",
		})
	}
	return fs
}

// VNI is one place a VXLAN network ID (HNS IsolationId/VSID) was seen.
type VNI struct {
	Where string
	Value int
	File  string
	Line  int
}

// NetworkVNIs returns the VNIs of a pod network: the IsolationId of each RemoteSubnetRoute
// and, from JSON, the VSID subnet policies. Calico's bootstrap network (External) uses its own
// VSID; pass only the pod network.
func NetworkVNIs(file string, net Network) []VNI {
	var out []VNI
	for _, p := range net.RemoteSubnetRoutes() {
		if v, err := strconv.Atoi(p.Get("IsolationId")); err == nil {
			out = append(out, VNI{Where: fmt.Sprintf("HNS network %s RemoteSubnetRoute %s (IsolationId)", net.Name, p.Get("DestinationPrefix")), Value: v, File: file, Line: net.Lines["Policies"]})
		}
	}
	for _, s := range net.Subnets {
		for _, p := range s.Policies {
			if !strings.EqualFold(p.Type, "VSID") {
				continue
			}
			if v, err := strconv.Atoi(p.Get("VSID")); err == nil {
				out = append(out, VNI{Where: fmt.Sprintf("HNS network %s subnet %s (VSID)", net.Name, s.AddressPrefix), Value: v, File: file, Line: net.Lines["Subnets"]})
			}
		}
	}
	return out
}

// VNIMismatch finds VXLAN network IDs that differ from the one the cluster uses (Calico's
// Windows default is 4096, FelixConfiguration vxlanVNI). Packets with another VNI are dropped
// by the receiving side.
func VNIMismatch(node Node, want int, seen []VNI) []findings.Finding {
	var bad []string
	var refs []findings.Ref
	for _, v := range seen {
		if v.Value == want {
			continue
		}
		bad = append(bad, fmt.Sprintf("%s = %d", v.Where, v.Value))
		refs = append(refs, ref(v.File, v.Line, fmt.Sprintf("%s = %d", v.Where, v.Value)))
	}
	if len(bad) == 0 {
		return nil
	}
	return []findings.Finding{{
		ID:       IDVNIMismatch,
		Nodes:    node.nodes(),
		Cause:    fmt.Sprintf("VXLAN network ID differs from the cluster's %d: %s, so VXLAN packets between this node and the others are dropped", want, strings.Join(bad, "; ")),
		Evidence: refs,
		Fix:      fmt.Sprintf("use VNI %d on every node (FelixConfiguration vxlanVNI); HNS cannot change a network's VNI, so drain the node and remove the Calico HNS network so it is recreated", want),
	}}
}

// IPPool is the part of a Calico IPPool the rules read.
type IPPool struct {
	Name, CIDR string
	// IPIPMode is spec.ipipMode: "Always", "CrossSubnet", "Never" or "".
	IPIPMode string
}

// NodeOS is a node and its operating system ("linux", "windows"), from kubernetes.io/os.
type NodeOS struct {
	Name, OS string
}

// IPIPPoolWithWindowsNodes finds IPIP pools in a cluster with Windows nodes: Calico for
// Windows does not support IP-in-IP, so Windows nodes cannot reach pods of such pools.
func IPIPPoolWithWindowsNodes(pools []IPPool, nodes []NodeOS) []findings.Finding {
	var win []string
	for _, n := range nodes {
		if strings.EqualFold(n.OS, "windows") {
			win = append(win, n.Name)
		}
	}
	if len(win) == 0 {
		return nil
	}
	var fs []findings.Finding
	for _, p := range pools {
		if p.IPIPMode == "" || strings.EqualFold(p.IPIPMode, "Never") {
			continue
		}
		fs = append(fs, findings.Finding{
			ID:    IDIPIPWithWindows,
			Nodes: win,
			Cause: fmt.Sprintf("IP pool %s (%s) uses IP-in-IP (ipipMode %s) but the cluster has Windows nodes, and Calico for Windows does not support IP-in-IP, so Windows pods cannot reach pods of this pool",
				p.Name, p.CIDR, p.IPIPMode),
			Fix: "use VXLAN for the pool (ipipMode: Never, vxlanMode: Always; operator install: Installation spec.calicoNetwork.ipPools[].encapsulation: VXLAN), or no encapsulation with BGP (Calico docs, Windows limitations: 'IP in IP overlay with BGP routing' not supported)",
		})
	}
	return fs
}

// ImageBuildMismatch finds a Windows container image built for another Windows build than the
// node's. Kubernetes runs Windows containers process-isolated, which needs the image's build
// to match the host's; the container then fails to start or its network setup fails. Builds
// that do not parse are not judged.
func ImageBuildMismatch(node Node, nodeBuild, pod, image, imageBuild string) []findings.Finding {
	nb, err1 := ParseBuild(nodeBuild)
	ib, err2 := ParseBuild(imageBuild)
	if err1 != nil || err2 != nil || nb.Number == ib.Number {
		return nil
	}
	who := "image " + image
	if pod != "" {
		who = fmt.Sprintf("pod %s image %s", pod, image)
	}
	return []findings.Finding{{
		ID:    IDImageBuildMismatch,
		Nodes: node.nodes(),
		Cause: fmt.Sprintf("%s is built for Windows %s but the node runs %s; process-isolated containers need the image's build to match the node's",
			who, buildName(ib), buildName(nb)),
		Fix: fmt.Sprintf("use an image (or a multi-platform manifest entry) for %s, and select nodes by the node.kubernetes.io/windows-build=%d.%d.%d label",
			buildName(Build{nb.Major, nb.Minor, nb.Number, -1}), nb.Major, nb.Minor, nb.Number),
	}}
}

// KnownBadBuild finds a node whose Windows build is in KnownBadBuilds.
func KnownBadBuild(node Node, build string) []findings.Finding {
	b, err := ParseBuild(build)
	if err != nil {
		return nil
	}
	var fs []findings.Finding
	for _, bad := range KnownBadBuilds {
		if b.less(bad.From) || !b.less(bad.Before) {
			continue
		}
		fs = append(fs, findings.Finding{
			ID:    IDKnownBadBuild,
			Nodes: node.nodes(),
			Cause: fmt.Sprintf("the node runs Windows %s: %s (%s)", buildName(b), bad.Reason, bad.Source),
			Fix:   bad.Fix,
		})
	}
	return fs
}

// LoadBalancerPortExhaustion finds kube-proxy's "hcnCreateLoadBalancer failed ... The specified
// port already exists": non-DSR HNS load balancers reserve ports from the node's ephemeral
// range, and with many Services (Microsoft: 100+) it runs out, so Services stop working on
// this node. It reads the English message; a localized Windows prints its own text.
func LoadBalancerPortExhaustion(node Node, file, log string) []findings.Finding {
	hits := grepLines(log, "hcnCreateLoadBalancer failed", "The specified port already exists")
	if len(hits) == 0 {
		return nil
	}
	var refs []findings.Ref
	for i, h := range hits {
		if i == 3 {
			break
		}
		refs = append(refs, ref(file, h.Line, h.Text))
	}
	return []findings.Finding{{
		ID:       IDLoadBalancerPortsUsed,
		Nodes:    node.nodes(),
		Cause:    fmt.Sprintf("kube-proxy could not create HNS load balancers (%d× \"The specified port already exists\"): non-DSR load balancers used up the node's ephemeral port range", len(hits)),
		Evidence: refs,
		Fix:      "run kube-proxy with direct server return (--enable-dsr=true --feature-gates=WinDSR=true); as a stopgap widen the dynamic port range (netsh int ipv4 set dynamicportrange TCP <start> <count>, minding services that use fixed ports); see netsh int ipv4 show dynamicport tcp",
	}}
}

// BGPPeerDown finds Windows BGP peers (Calico windows-bgp backend) that are not Connected.
func BGPPeerDown(node Node, file string, peers []BgpPeer) []findings.Finding {
	var down []string
	var refs []findings.Ref
	for _, p := range peers {
		if strings.EqualFold(p.Status, "Connected") {
			continue
		}
		down = append(down, fmt.Sprintf("%s (%s, %s)", p.Name, p.PeerIP, p.Status))
		refs = append(refs, ref(file, p.Line, fmt.Sprintf("%s %s %s", p.Name, p.PeerIP, p.Status)))
	}
	if len(down) == 0 {
		return nil
	}
	return []findings.Finding{{
		ID:       IDBGPPeerDown,
		Nodes:    node.nodes(),
		Cause:    fmt.Sprintf("%d Windows BGP %s not Connected: %s, so routes to those nodes' pod blocks are missing", len(down), plural(len(down), "peer is", "peers are"), strings.Join(down, ", ")),
		Evidence: refs,
		Fix:      "check TCP 179 between the nodes, BIRD on the Linux peers (birdcl show protocols) and the RemoteAccess service on this node (Restart-Service RemoteAccess)",
	}}
}

// HNSAdapterNotFound finds HNS refusing to create a network because the adapter it was asked
// for does not exist (HCN_E_ADAPTER_NOT_FOUND, 0x803B0006), e.g. a VXLAN adapter setting that
// names no adapter of this node. The pod network is then never created.
func HNSAdapterNotFound(node Node, file string, errs []HnsError) []findings.Finding {
	var refs []findings.Ref
	n := 0
	for _, e := range errs {
		if e.Code != hcnAdapterNotFound {
			continue
		}
		n++
		if len(refs) < 3 {
			refs = append(refs, ref(file, e.Line, fmt.Sprintf("%s %s", e.Hex(), e.Message)))
		}
	}
	if n == 0 {
		return nil
	}
	return []findings.Finding{{
		ID:       IDHNSAdapterNotFound,
		Nodes:    node.nodes(),
		Cause:    fmt.Sprintf("HNS could not find the network adapter a network was requested on (HCN_E_ADAPTER_NOT_FOUND, 0x803B0006, %d×), so the network was not created", n),
		Evidence: refs,
		Fix:      "name an adapter that exists on the node (Get-NetAdapter) in the VXLAN adapter setting (Installation spec.windowsNodes.vxlanAdapter; VXLAN_ADAPTER in config.ps1), or leave it empty for the primary NIC; then remove stale HNS networks (hnsdiag list networks) and restart Calico",
	}}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
