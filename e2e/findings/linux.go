package findings

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/calico-conformance/e2e/infra/router"
)

// Rule is one known problem: a plain function over parsed evidence, returning a finding per
// place it applies (none on a healthy cluster).
type Rule func(Bundle) []Finding

// LinuxRules are the rules over Linux nodes' evidence, most specific first.
var LinuxRules = []Rule{
	VXLANDropped, IPForwardDisabled, RouteShadowsBlock, RemoteBlockMissing, VXLANPeerMissing, BIRDConfigStale, BGPSessionDown,
	MTUExceedsUnderlay, PodMTUExceedsTunnel, CalicoNodeNotReady, KubeProxyMissing, ServiceRulesMissing, DNSNoEndpoints, PolicySelectsProbes,
	ServiceVIPNotAdvertised, PeerNextHopSelf,
}

// Analyze runs every rule over the bundle and returns the findings, sorted.
func Analyze(b Bundle, rules []Rule) []Finding {
	var out []Finding
	for _, r := range rules {
		out = append(out, r(b)...)
	}
	Sort(out)
	return out
}

func ref(nf NodeFile, s Section, idx ...int) Ref {
	r := Ref{File: nf.File}
	var ex []string
	for _, i := range idx {
		r.Lines = append(r.Lines, s.Line(i))
		ex = append(ex, strings.TrimSpace(s.Lines[i]))
	}
	r.Excerpt = strings.Join(ex, " | ")
	return r
}

// absent cites a section for what its output lacks: the section's header line, which names the
// command whose output has no such line.
func absent(nf NodeFile, s Section, what string) Ref {
	return Ref{File: nf.File, Lines: []int{s.Start - 1}, Excerpt: what + ", in the output of " + s.Header}
}

var (
	nftCounter   = regexp.MustCompile(`counter packets (\d+)`)
	iptCounter   = regexp.MustCompile(`^\[(\d+):\d+\]`)
	vxlanPortRef = regexp.MustCompile(`(dport|dports) 4789\b|--dport 4789\b|--dports [0-9,]*\b4789\b`)
)

// VXLANDropped: a firewall rule on the node drops VXLAN (UDP 4789) and has dropped packets.
func VXLANDropped(b Bundle) []Finding {
	var out []Finding
	for _, nf := range b.Nodes {
		var refs []Ref
		var n int64
		for _, name := range []string{"nftables", "iptables"} {
			s, ok := nf.Sections[name]
			if !ok {
				continue
			}
			for i, l := range s.Lines {
				if !vxlanPortRef.MatchString(l) || !(strings.Contains(l, " drop") || strings.Contains(l, "-j DROP")) {
					continue
				}
				var c int64
				if m := nftCounter.FindStringSubmatch(l); m != nil {
					c, _ = strconv.ParseInt(m[1], 10, 64)
				} else if m := iptCounter.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
					c, _ = strconv.ParseInt(m[1], 10, 64)
				}
				if c > 0 {
					n += c
					refs = append(refs, ref(nf, s, i))
				}
			}
		}
		if len(refs) > 0 {
			out = append(out, Finding{ID: "vxlan-dropped", Nodes: []string{nf.Node}, Evidence: refs,
				Cause: fmt.Sprintf("a firewall rule on the node drops VXLAN (UDP 4789): %d packets dropped, so nothing from other nodes' pods is decapsulated there", n),
				Fix:   "remove the rule, or allow UDP 4789 between the nodes' addresses (Calico's VXLAN port)"})
		}
	}
	return out
}

// IPForwardDisabled: net.ipv4.ip_forward is 0: the node does not route pod traffic.
func IPForwardDisabled(b Bundle) []Finding {
	var out []Finding
	for _, nf := range b.Nodes {
		s := nf.Sections["sysctl"]
		for i, l := range s.Lines {
			k, v, ok := strings.Cut(l, "=")
			if ok && strings.TrimSpace(k) == "net.ipv4.ip_forward" && strings.TrimSpace(v) == "0" {
				out = append(out, Finding{ID: "ip-forward-disabled", Nodes: []string{nf.Node}, Evidence: []Ref{ref(nf, s, i)},
					Cause: "IP forwarding is disabled on the node (net.ipv4.ip_forward = 0): it drops every packet it should route to or from its pods",
					Fix:   "sysctl -w net.ipv4.ip_forward=1 on the node (and find what turned it off: a sysctl.d file, a security baseline)"})
			}
		}
	}
	return out
}

// route is one line of `ip route show table all`, as far as the rules need it.
type route struct {
	typ, dst, via, dev, table string
	idx                       int
}

func parseRoutes(s Section) []route {
	var out []route
	for i, l := range s.Lines {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			continue
		}
		r := route{idx: i, table: "main"}
		switch f[0] {
		case "blackhole", "unreachable", "prohibit", "local", "broadcast", "multicast", "throw":
			r.typ, f = f[0], f[1:]
		default:
			r.typ = "unicast"
		}
		if len(f) == 0 {
			continue
		}
		r.dst = f[0]
		for j := 1; j+1 < len(f); j++ {
			switch f[j] {
			case "via":
				r.via = f[j+1]
			case "dev":
				r.dev = f[j+1]
			case "table":
				r.table = f[j+1]
			}
		}
		out = append(out, r)
	}
	return out
}

func prefixOf(dst string) (netip.Prefix, bool) {
	if dst == "default" {
		return netip.Prefix{}, false
	}
	if !strings.Contains(dst, "/") {
		dst += "/32"
	}
	p, err := netip.ParsePrefix(dst)
	return p, err == nil && p.Addr().Is4()
}

func sortedBlocks(blocks map[string]string) []string {
	var out []string
	for b := range blocks {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

// RouteShadowsBlock: a blackhole/unreachable/prohibit route, or a more specific route not via
// the owner, covers a pod block that another node owns.
func RouteShadowsBlock(b Bundle) []Finding {
	var out []Finding
	for _, nf := range b.Nodes {
		s := nf.Sections["routes"]
		for _, r := range parseRoutes(s) {
			if r.table != "main" {
				continue
			}
			p, ok := prefixOf(r.dst)
			if !ok {
				continue
			}
			for _, blk := range sortedBlocks(b.Cluster.Blocks) {
				owner := b.Cluster.Blocks[blk]
				bp, err := netip.ParsePrefix(blk)
				if err != nil || owner == nf.Node || !bp.Overlaps(p) {
					continue
				}
				switch {
				case r.typ == "blackhole" || r.typ == "unreachable" || r.typ == "prohibit":
				case r.typ == "unicast" && p.Bits() > bp.Bits() && r.via != b.Cluster.Nodes[owner] && r.dev != "vxlan.calico":
				default:
					continue
				}
				out = append(out, Finding{ID: "route-shadows-block", Nodes: []string{nf.Node}, Evidence: []Ref{ref(nf, s, r.idx)},
					Cause: fmt.Sprintf("the route %q covers pod block %s of node %s, so traffic from this node to that node's pods never reaches it", strings.TrimSpace(s.Lines[r.idx]), blk, owner),
					Fix:   fmt.Sprintf("delete the route (ip route del %s) and find what added it (a static route, another CNI, a VPN)", r.dst)})
			}
		}
	}
	return out
}

// RemoteBlockMissing: a node has no route for a pod block of another node.
func RemoteBlockMissing(b Bundle) []Finding {
	var out []Finding
	for _, nf := range b.Nodes {
		s, ok := nf.Sections["routes"]
		if !ok {
			continue
		}
		have := map[string]bool{}
		for _, r := range parseRoutes(s) {
			if r.table == "main" && r.typ == "unicast" {
				have[r.dst] = true
			}
		}
		var missing []string
		for _, blk := range sortedBlocks(b.Cluster.Blocks) {
			if owner := b.Cluster.Blocks[blk]; owner != nf.Node && !have[blk] {
				missing = append(missing, fmt.Sprintf("%s (node %s)", blk, owner))
			}
		}
		if len(missing) > 0 {
			how := "Felix programs these routes (vxlan.calico) from the block affinities"
			if b.Cluster.Mode != "vxlan" {
				how = "BIRD learns these routes from the other nodes over BGP"
			}
			out = append(out, Finding{ID: "remote-block-missing", Nodes: []string{nf.Node}, Evidence: []Ref{absent(nf, s, "no route to "+strings.Join(missing, ", "))},
				Cause: fmt.Sprintf("the node has no route to %s: %s, and they are missing", strings.Join(missing, ", "), how),
				Fix:   "check calico-node on this node (its log, Felix/BIRD readiness) and that the route was not deleted by hand or by another agent"})
		}
	}
	return out
}

// VXLANPeerMissing: a node routes another node's pod block into vxlan.calico towards that node's
// VTEP address, but lacks what Felix programs with the route: the permanent neighbour entry (the
// VTEP's MAC) or the FDB entry that sends that MAC to the node's IP. The kernel then has no
// outer destination for the block's packets.
func VXLANPeerMissing(b Bundle) []Finding {
	var out []Finding
	for _, nf := range b.Nodes {
		rs, ok1 := nf.Sections["routes"]
		ns, ok2 := nf.Sections["neighbours"]
		fs, ok3 := nf.Sections["vxlan-fdb"]
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		macOf := map[string]string{} // VTEP address -> MAC, from "A dev vxlan.calico lladdr M PERMANENT"
		for _, l := range ns.Lines {
			f := strings.Fields(l)
			if len(f) >= 5 && f[1] == "dev" && f[2] == "vxlan.calico" && f[3] == "lladdr" {
				macOf[f[0]] = f[4]
			}
		}
		fdb := map[string]bool{} // MACs with a destination, from "M dst IP self permanent"
		for _, l := range fs.Lines {
			if f := strings.Fields(l); len(f) >= 3 && f[1] == "dst" {
				fdb[f[0]] = true
			}
		}
		var missing []string
		var refs []Ref
		for _, r := range parseRoutes(rs) {
			owner, isBlock := b.Cluster.Blocks[r.dst]
			if !isBlock || owner == nf.Node || r.dev != "vxlan.calico" || r.via == "" || r.table != "main" {
				continue
			}
			mac, ok := macOf[r.via]
			switch {
			case !ok:
				missing = append(missing, fmt.Sprintf("block %s (node %s) goes to VTEP %s, which has no neighbour entry", r.dst, owner, r.via))
				refs = append(refs, ref(nf, rs, r.idx), absent(nf, ns, "no entry for "+r.via))
			case !fdb[mac]:
				missing = append(missing, fmt.Sprintf("block %s (node %s) goes to VTEP %s (MAC %s), which has no FDB entry", r.dst, owner, r.via, mac))
				refs = append(refs, ref(nf, rs, r.idx), absent(nf, fs, "no entry for "+mac))
			}
		}
		if len(missing) > 0 {
			out = append(out, Finding{ID: "vxlan-peer-missing", Nodes: []string{nf.Node}, Evidence: refs,
				Cause: strings.Join(missing, "; ") + ": the node cannot address the outer VXLAN packet, so that traffic is dropped",
				Fix:   "Felix programs these entries with the routes: check calico-node's log on this node, and that nothing else flushes vxlan.calico's neighbours or FDB (restarting calico-node reprograms them)"})
		}
	}
	return out
}

var birdConfigProtocol = regexp.MustCompile(`^protocol bgp (\S+)`)

// BIRDConfigStale: the BGP protocols BIRD runs on a node are not the ones its bird.cfg defines:
// confd rewrote the file and BIRD did not load it. Seen in this suite's own CI: BIRD 1.6 clears
// its reload flag after reading its configuration, so a SIGHUP that arrives while it reads (two
// BGP resources changed within milliseconds) is lost, and the node never peers with the new
// peer. Reported when BIRD answered (a bird-protocols section it could parse) and bird.cfg
// defines BGP protocols.
func BIRDConfigStale(b Bundle) []Finding {
	var out []Finding
	for _, nf := range b.Nodes {
		cfg, ok1 := nf.Sections["bird-config"]
		run, ok2 := nf.Sections["bird-protocols"]
		if !ok1 || !ok2 {
			continue
		}
		defined := map[string]int{}
		for i, l := range cfg.Lines {
			if m := birdConfigProtocol.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
				defined[m[1]] = i
			}
		}
		protos, err := router.ParseProtocols(strings.Join(run.Lines, "\n"))
		if err != nil || len(defined) == 0 || len(protos) == 0 {
			continue
		}
		running := map[string]bool{}
		var extra []string
		for _, p := range protos {
			if p.Proto != "BGP" {
				continue
			}
			running[p.Name] = true
			if _, ok := defined[p.Name]; !ok {
				extra = append(extra, p.Name)
			}
		}
		var missing []string
		var idx []int
		for name, i := range defined {
			if !running[name] {
				missing = append(missing, name)
				idx = append(idx, i)
			}
		}
		if len(missing) == 0 && len(extra) == 0 {
			continue
		}
		sort.Strings(missing)
		sort.Ints(idx)
		sort.Strings(extra)
		var refs []Ref
		var what []string
		if len(missing) > 0 {
			refs = append(refs, ref(nf, cfg, idx...), absent(nf, run, "no protocol "+strings.Join(missing, ", ")))
			what = append(what, "defines "+strings.Join(missing, ", ")+", which BIRD does not run")
		}
		if len(extra) > 0 {
			refs = append(refs, absent(nf, cfg, "no protocol "+strings.Join(extra, ", ")))
			what = append(what, "no longer defines "+strings.Join(extra, ", ")+", which BIRD still runs")
		}
		out = append(out, Finding{ID: "bird-config-stale", Nodes: []string{nf.Node}, Evidence: refs,
			Cause: "BIRD runs an older configuration than its bird.cfg: the file " + strings.Join(what, " and ") +
				". confd rewrote it and BIRD did not reload (BIRD 1.6 loses a SIGHUP that arrives while it reads its configuration, e.g. when BGP resources change together)",
			Fix: "reload BIRD on that node: kubectl exec <its calico-node pod> -c calico-node -- birdcl -s /var/run/calico/bird.ctl configure (or delete the pod)"})
	}
	return out
}

// BGPSessionDown: a node's BIRD has a BGP session that is not Established.
func BGPSessionDown(b Bundle) []Finding {
	var out []Finding
	for _, nf := range b.Nodes {
		s, ok := nf.Sections["bird-protocols"]
		if !ok {
			continue
		}
		protos, err := router.ParseProtocols(strings.Join(s.Lines, "\n"))
		if err != nil {
			continue
		}
		for _, p := range protos {
			if p.Proto != "BGP" || p.Established() {
				continue
			}
			idx := 0
			for i, l := range s.Lines {
				if strings.HasPrefix(l, p.Name+" ") {
					idx = i
					break
				}
			}
			detail := strings.TrimSpace(p.State + " " + p.Info)
			if p.LastError != "" {
				detail += ", last error: " + p.LastError
			}
			peer := p.NeighborAddress
			if peer == "" {
				peer = p.Name
			}
			out = append(out, Finding{ID: "bgp-session-down", Nodes: []string{nf.Node}, Evidence: []Ref{ref(nf, s, idx)},
				Cause: fmt.Sprintf("BGP session %s to %s is not Established (%s): routes to that peer's pod blocks are not exchanged", p.Name, peer, detail),
				Fix:   "check TCP 179 between the two addresses, the AS numbers (BGPConfiguration, BGPPeer) and calico-node's BIRD log on both ends"})
		}
	}
	return out
}

var mtuOf = regexp.MustCompile(`^\d+: ([^:@]+)[:@].* mtu (\d+)`)

// MTUExceedsUnderlay: the VXLAN device's MTU leaves no room for the 50-byte VXLAN header on
// the node's interface, so full-size packets cannot be carried without fragmentation.
func MTUExceedsUnderlay(b Bundle) []Finding {
	var out []Finding
	for _, nf := range b.Nodes {
		s := nf.Sections["addresses"]
		mtu := map[string]int{}
		idx := map[string]int{}
		for i, l := range s.Lines {
			if m := mtuOf.FindStringSubmatch(l); m != nil {
				v, _ := strconv.Atoi(m[2])
				mtu[m[1]], idx[m[1]] = v, i
			}
		}
		under, vx := mtu["eth0"], mtu["vxlan.calico"]
		if under == 0 || vx == 0 || vx+50 <= under {
			continue
		}
		out = append(out, Finding{ID: "mtu-exceeds-underlay", Nodes: []string{nf.Node}, Evidence: []Ref{ref(nf, s, idx["vxlan.calico"], idx["eth0"])},
			Cause: fmt.Sprintf("vxlan.calico has MTU %d but eth0 carries %d: a full-size packet plus the 50-byte VXLAN header does not fit, so large packets between nodes are fragmented or dropped", vx, under),
			Fix:   fmt.Sprintf("set the VXLAN MTU to at most %d (FelixConfiguration vxlanMTU, or the veth_mtu of calico-config) or leave it to Calico's auto-detection", under-50)})
	}
	return out
}

// PodMTUExceedsTunnel: pods' interfaces (seen on the node as the host ends of their cali*
// veths, which Calico's CNI plugin gives the pod's MTU) are larger than the tunnel they leave
// through: vxlan.calico or tunl0, or eth0 when there is no tunnel. A full-size packet from such
// a pod cannot enter the tunnel: with don't-fragment set it is refused ("Frag needed"), else it
// is fragmented. Typical cause: a veth_mtu (CNI) set without room for the encapsulation.
func PodMTUExceedsTunnel(b Bundle) []Finding {
	var out []Finding
	for _, nf := range b.Nodes {
		s := nf.Sections["addresses"]
		mtu, idx := map[string]int{}, map[string]int{}
		var over []int // indexes of oversized veth lines
		for i, l := range s.Lines {
			if m := mtuOf.FindStringSubmatch(l); m != nil {
				v, _ := strconv.Atoi(m[2])
				mtu[m[1]], idx[m[1]] = v, i
			}
		}
		tunnel := ""
		for _, t := range []string{"vxlan.calico", "tunl0", "eth0"} {
			if mtu[t] > 0 && (t != "tunl0" || b.Cluster.Mode == "ipip") {
				tunnel = t
				break
			}
		}
		if tunnel == "" {
			continue
		}
		largest := 0
		for i, l := range s.Lines {
			if m := mtuOf.FindStringSubmatch(l); m != nil && strings.HasPrefix(m[1], "cali") {
				if v, _ := strconv.Atoi(m[2]); v > mtu[tunnel] {
					over = append(over, i)
					largest = max(largest, v)
				}
			}
		}
		if len(over) == 0 {
			continue
		}
		lines := append([]int{idx[tunnel]}, over[:min(len(over), 3)]...)
		out = append(out, Finding{ID: "pod-mtu-exceeds-tunnel", Nodes: []string{nf.Node}, Evidence: []Ref{ref(nf, s, lines...)},
			Cause: fmt.Sprintf("%d pod interface(s) have MTU up to %d but %s carries %d: full-size packets from those pods cannot enter the tunnel (refused with don't-fragment, fragmented otherwise)",
				len(over), largest, tunnel, mtu[tunnel]),
			Fix: fmt.Sprintf("set veth_mtu in the calico-config ConfigMap to %d or less (0: Calico detects it), restart calico-node, then recreate the pods", mtu[tunnel])})
	}
	return out
}

func podsOf(b Bundle, app string) map[string]Pod {
	out := map[string]Pod{}
	for _, p := range b.Cluster.Pods {
		if p.App == app {
			out[p.Node] = p
		}
	}
	return out
}

func clusterRef(what string) []Ref { return []Ref{{File: ClusterFile, Excerpt: what}} }

// CalicoNodeNotReady: calico-node is missing or not ready on a node.
func CalicoNodeNotReady(b Bundle) []Finding {
	pods := podsOf(b, "calico-node")
	var out []Finding
	for _, n := range sortedNodes(b) {
		p, ok := pods[n]
		switch {
		case !ok:
			out = append(out, Finding{ID: "calico-node-not-ready", Nodes: []string{n}, Evidence: clusterRef("pods: no calico-node on " + n),
				Cause: "no calico-node pod runs on the node: nothing programs its routes and policies",
				Fix:   "check the calico-node DaemonSet (node selector, tolerations) and the node's taints"})
		case !p.Ready:
			out = append(out, Finding{ID: "calico-node-not-ready", Nodes: []string{n}, Evidence: clusterRef(fmt.Sprintf("pods: %s/%s ready=false state=%s restarts=%d", p.Namespace, p.Name, p.State, p.Restarts)),
				Cause: fmt.Sprintf("calico-node %s is not ready on the node (%s, %d restarts): Felix or BIRD is not running or not in sync", p.Name, p.State, p.Restarts),
				Fix:   fmt.Sprintf("kubectl -n %s logs %s -c calico-node; kubectl -n %s describe pod %s (readiness: felix-ready, bird-ready)", p.Namespace, p.Name, p.Namespace, p.Name)})
		}
	}
	return out
}

// KubeProxyMissing: kube-proxy is missing or not ready on a node (Services break there).
func KubeProxyMissing(b Bundle) []Finding {
	pods := podsOf(b, "kube-proxy")
	if len(pods) == 0 {
		return nil // a cluster without kube-proxy (eBPF dataplane, other proxies): not judged here
	}
	var out []Finding
	for _, n := range sortedNodes(b) {
		p, ok := pods[n]
		if ok && p.Ready {
			continue
		}
		state := "no kube-proxy pod"
		if ok {
			state = fmt.Sprintf("%s ready=false state=%s", p.Name, p.State)
		}
		out = append(out, Finding{ID: "kube-proxy-missing", Nodes: []string{n}, Evidence: clusterRef("pods: " + state + " on " + n),
			Cause: "kube-proxy does not run on the node (" + state + "): its Service rules are not kept up to date",
			Fix:   "check the kube-proxy DaemonSet on this node (kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide)"})
	}
	return out
}

// ServiceRulesMissing: the node's iptables have no KUBE-SERVICES rule for the fixture's
// ClusterIPs (kube-proxy's rules are missing or flushed there).
func ServiceRulesMissing(b Bundle) []Finding {
	if len(b.Cluster.FixtureClusterIPs) == 0 || len(podsOf(b, "kube-proxy")) == 0 {
		return nil
	}
	var out []Finding
	for _, nf := range b.Nodes {
		s, ok := nf.Sections["service-rules"]
		if !ok {
			continue
		}
		text := strings.Join(s.Lines, "\n")
		var missing []string
		for _, ip := range b.Cluster.FixtureClusterIPs {
			if !strings.Contains(text, "-d "+ip+"/32") {
				missing = append(missing, ip)
			}
		}
		if len(missing) == len(b.Cluster.FixtureClusterIPs) {
			out = append(out, Finding{ID: "service-rules-missing", Nodes: []string{nf.Node}, Evidence: []Ref{absent(nf, s, "no KUBE-SERVICES rule for "+strings.Join(missing, ", "))},
				Cause: "the node's iptables have no rule for any of the fixture's ClusterIPs: Service traffic from this node is not translated",
				Fix:   "restart kube-proxy on the node and check its log (iptables backend mismatch, crash loop)"})
		}
	}
	return out
}

// DNSNoEndpoints: the kube-dns Service has no ready endpoint.
func DNSNoEndpoints(b Bundle) []Finding {
	if b.Cluster.DNSReadyEndpoints > 0 {
		return nil
	}
	var states []string
	for _, p := range b.Cluster.Pods {
		if p.App == "coredns" {
			states = append(states, fmt.Sprintf("%s on %s: ready=%v %s", p.Name, p.Node, p.Ready, p.State))
		}
	}
	if len(states) == 0 {
		states = []string{"no CoreDNS pods"}
	}
	return []Finding{{ID: "dns-no-endpoints", Evidence: clusterRef("kube-system/kube-dns ready endpoints: 0; " + strings.Join(states, "; ")),
		Cause: "the kube-dns Service has no ready endpoint (" + strings.Join(states, "; ") + "): every DNS query in the cluster fails",
		Fix:   "kubectl -n kube-system get deploy coredns; scale it up or look at why its pods are not ready (kubectl -n kube-system describe pods -l k8s-app=kube-dns)"}}
}

// PolicySelectsProbes: a network policy applies to the suite's probe pods.
func PolicySelectsProbes(b Bundle) []Finding {
	var out []Finding
	for _, p := range b.Cluster.Policies {
		where := p.Kind + " " + p.Name
		if p.Namespace != "" {
			where = p.Kind + " " + p.Namespace + "/" + p.Name
		}
		out = append(out, Finding{ID: "policy-selects-probes", Evidence: clusterRef(fmt.Sprintf("%s selector %q types %v", where, p.Selector, p.Types)),
			Cause: fmt.Sprintf("%s (selector %q, %s) applies to the probe pods: traffic it does not allow is dropped", where, p.Selector, strings.Join(p.Types, "+")),
			Fix:   "exempt the suite's namespace (label e2e.calico-conformance.io/run) from the policy, or run the suite where no such policy applies"})
	}
	return out
}

// sortedNodes are the Linux nodes (the rules of this file read Linux evidence and Linux
// DaemonSets; Windows nodes run calico-node-windows and have rules of their own).
func sortedNodes(b Bundle) []string {
	var out []string
	for n := range b.Cluster.Nodes {
		if _, win := b.Cluster.WindowsNodes[n]; !win {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// ServiceVIPNotAdvertised: in a mode with BGP, a Service's external or LoadBalancer IP lies
// outside the ranges the BGPConfiguration lets Calico advertise. Calico then never advertises
// it (calico-node logs "Cannot advertise External IP - not in allow list" for Local-policy
// Services; Cluster-policy ones are covered only by the range itself), so routers outside the
// cluster have no route to it.
func ServiceVIPNotAdvertised(b Bundle) []Finding {
	if b.Cluster.Mode == "vxlan" || len(b.Cluster.VIPs) == 0 {
		return nil
	}
	var out []Finding
	for _, v := range b.Cluster.VIPs {
		ranges := b.Cluster.Advertised[v.Field]
		if containsIP(ranges, v.IP) {
			continue
		}
		have := "none"
		if len(ranges) > 0 {
			have = strings.Join(ranges, ", ")
		}
		out = append(out, Finding{ID: "service-vip-not-advertised",
			Evidence: clusterRef(fmt.Sprintf("Service %s %s %s; BGPConfiguration default spec.%s: %s", v.Service, v.Field, v.IP, v.Field, have)),
			Cause: fmt.Sprintf("%s of Service %s is outside BGPConfiguration spec.%s (%s): Calico does not advertise it, so no router outside the cluster learns a route to it",
				v.IP, v.Service, v.Field, have),
			Fix: fmt.Sprintf("add a CIDR that contains %s to spec.%s of the default BGPConfiguration", v.IP, v.Field)})
	}
	return out
}

func containsIP(cidrs []string, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}

// PeerNextHopSelf: a global eBGP peer without keepOriginalNextHop while the node-to-node mesh
// is on. Every node then re-advertises what it learned from the mesh with itself as next hop
// (measured: each block arrives with every node as next hop), so the router sends traffic for a
// block, or for an externalTrafficPolicy: Local VIP, through nodes that do not own it.
func PeerNextHopSelf(b Bundle) []Finding {
	if b.Cluster.Mode == "vxlan" || (b.Cluster.MeshEnabled != nil && !*b.Cluster.MeshEnabled) {
		return nil
	}
	var out []Finding
	for _, p := range b.Cluster.Peers {
		if p.Node != "" || p.NodeSelector != "" || p.KeepOriginalNextHop || p.PeerIP == "" {
			continue
		}
		out = append(out, Finding{ID: "peer-next-hop-self",
			Evidence: clusterRef(fmt.Sprintf("BGPPeer %s peerIP %s asNumber %d keepOriginalNextHop false; node-to-node mesh on", p.Name, p.PeerIP, p.ASNumber)),
			Cause:    fmt.Sprintf("BGPPeer %s (%s, global) lacks keepOriginalNextHop while the node-to-node mesh is on: every node advertises the other nodes' blocks and Local-policy Service IPs with itself as next hop, so the router sends traffic through nodes that do not own the destination", p.Name, p.PeerIP),
			Fix:      fmt.Sprintf("kubectl patch bgppeers.crd.projectcalico.org %s --type merge -p '{\"spec\":{\"keepOriginalNextHop\":true}}' (Calico >= v3.17 for global peers)", p.Name)})
	}
	return out
}
