// Package matrix is the static connectivity matrix: scenario × protocol × source OS ×
// destination OS × placement. The spec tree is generated from it before RunSpecs (never from
// cluster data); what the cluster changes is looked up at run time by Expect.
package matrix

import (
	"fmt"
	"github.com/calico-conformance/e2e/infra/calico"
	"strings"

	"github.com/onsi/ginkgo/v2"
)

// OS of an endpoint's node.
type OS string

// Node operating systems. Every cell has a source and a destination OS.
const (
	Linux   OS = "linux"
	Windows OS = "windows"
	// External is the suite's BGP router outside the cluster: a source, never a node.
	External OS = "external"
)

// OSes in matrix order.
var OSes = []OS{Linux, Windows}

// Placement of the destination relative to the source.
type Placement string

// Placements.
const (
	SameNode  Placement = "same-node"
	OtherNode Placement = "other-node"
	// AnyNode is for DNS: the answer comes from CoreDNS wherever it runs.
	AnyNode Placement = "any"
)

// Scenario is what kind of path a cell exercises.
type Scenario string

// Scenarios, in report order.
const (
	PodToPod       Scenario = "pod-to-pod"
	PodToClusterIP Scenario = "pod-to-clusterip"
	PodToNodePort  Scenario = "pod-to-nodeport"
	HostToPod      Scenario = "host-to-pod"
	DNS            Scenario = "dns"
	MTU            Scenario = "mtu"
	// BGPIngress: the external router learns the cluster's routes and reaches pods and Services.
	BGPIngress Scenario = "bgp-ingress"
	// Asymmetric: the router's request enters through one node, the reply leaves through another.
	Asymmetric Scenario = "asymmetric"
)

// Proto is the probe protocol.
type Proto string

// Protocols.
const (
	TCP    Proto = "tcp"
	UDP    Proto = "udp"
	DNSUDP Proto = "dns"
	// BGP is a check of BGP state (sessions, routes), not of traffic.
	BGP Proto = "bgp"
)

// DNS variants.
const (
	DNSFQDN              = "fqdn"
	DNSShortName         = "short"
	DNSHeadless          = "headless"
	DNSKubernetesDefault = "kubernetes-default"
)

// BGP ingress checks (label ingress:).
const (
	IngressSession   = "session"    // every node has an Established session with the router
	IngressNextHop   = "next-hop"   // each block is learned with its owner node as next hop
	IngressPod       = "pod"        // the router reaches a pod on every node
	IngressClusterIP = "cluster-ip" // the router reaches a ClusterIP (advertised, or a static route)
	// IngressExternalIP and IngressLoadBalancerIP: the router reaches a Service's external IP and
	// LoadBalancer IP (BGPConfiguration serviceExternalIPs / serviceLoadBalancerIPs).
	IngressExternalIP     = "external-ip"
	IngressLoadBalancerIP = "load-balancer-ip"
	// IngressLocalPolicy: externalTrafficPolicy: Local, only nodes with endpoints are next hops.
	IngressLocalPolicy = "etp-local"
)

// Asymmetric topologies (label path:).
const (
	// PathSharedNetwork: one network; the request goes router -> node A -> node B -> pod, the
	// reply pod -> B -> router straight.
	PathSharedNetwork = "shared-network"
	// PathSecondNetwork: B receives the request on a second interface and answers out of its first.
	PathSecondNetwork = "second-network"
)

// Cell is one entry of the matrix.
type Cell struct {
	Scenario  Scenario
	Proto     Proto
	Variant   string // DNS record kind; empty otherwise
	Src, Dst  OS
	Placement Placement
}

// Label keys. Values are frozen: validLabels lists every value a key may take.
const (
	KeyScenario  = "scenario"
	KeyProto     = "proto"
	KeySrcOS     = "src-os"
	KeyDstOS     = "dst-os"
	KeyPlacement = "placement"
	KeyDNS       = "dns"
	KeyIngress   = "ingress"
	KeyPath      = "path"
)

// VariantKeys are the label keys of cell variants, one per scenario that has variants.
var VariantKeys = []string{KeyDNS, KeyIngress, KeyPath}

// variantKey is the label key of the cell's variant.
func (c Cell) variantKey() string {
	switch c.Scenario {
	case BGPIngress:
		return KeyIngress
	case Asymmetric:
		return KeyPath
	}
	return KeyDNS
}

var validLabels = map[string][]string{
	KeyScenario: {string(PodToPod), string(PodToClusterIP), string(PodToNodePort), string(HostToPod), string(DNS), string(MTU),
		string(BGPIngress), string(Asymmetric)},
	KeyProto:     {string(TCP), string(UDP), string(DNSUDP), string(BGP)},
	KeySrcOS:     {string(Linux), string(Windows), string(External)},
	KeyDstOS:     {string(Linux), string(Windows)},
	KeyPlacement: {string(SameNode), string(OtherNode), string(AnyNode)},
	KeyDNS:       {DNSFQDN, DNSShortName, DNSHeadless, DNSKubernetesDefault},
	KeyIngress:   {IngressSession, IngressNextHop, IngressPod, IngressClusterIP, IngressExternalIP, IngressLoadBalancerIP, IngressLocalPolicy},
	KeyPath:      {PathSharedNetwork, PathSecondNetwork},
}

// LabelValues lists the values a label key may take, in report order.
func LabelValues(key string) []string { return append([]string(nil), validLabels[key]...) }

// label builds a key:value label and panics on a value outside the frozen registry: a typo in
// the static matrix must stop the suite from building, not silently create a new label.
func label(key, value string) string {
	for _, v := range validLabels[key] {
		if v == value {
			return key + ":" + value
		}
	}
	panic(fmt.Sprintf("label %s:%s is not in the registry", key, value))
}

// Labels are the cell's Ginkgo labels.
func (c Cell) Labels() ginkgo.Labels {
	l := ginkgo.Labels{
		label(KeyScenario, string(c.Scenario)), label(KeyProto, string(c.Proto)),
		label(KeySrcOS, string(c.Src)), label(KeyDstOS, string(c.Dst)), label(KeyPlacement, string(c.Placement)),
	}
	if c.Variant != "" {
		l = append(l, label(c.variantKey(), c.Variant))
	}
	return l
}

// Title reads like "linux -> windows (other node)".
func (c Cell) Title() string {
	where := strings.ReplaceAll(string(c.Placement), "-", " ")
	if c.Placement == AnyNode {
		where = "any node"
	}
	return fmt.Sprintf("%s -> %s (%s)", c.Src, c.Dst, where)
}

// String names the cell in failure lines: "pod-to-pod/udp linux -> linux (other node)".
func (c Cell) String() string {
	kind := string(c.Proto)
	if c.Variant != "" {
		kind = c.Variant
	}
	return fmt.Sprintf("%s/%s %s", c.Scenario, kind, c.Title())
}

// All is the whole matrix in report order.
func All() []Cell {
	var cells []Cell
	pairs := func(s Scenario, p Proto, placements ...Placement) {
		for _, src := range OSes {
			for _, dst := range OSes {
				for _, pl := range placements {
					cells = append(cells, Cell{Scenario: s, Proto: p, Src: src, Dst: dst, Placement: pl})
				}
			}
		}
	}
	for _, p := range []Proto{TCP, UDP} {
		pairs(PodToPod, p, SameNode, OtherNode)
	}
	for _, p := range []Proto{TCP, UDP} {
		pairs(PodToClusterIP, p, SameNode, OtherNode)
	}
	pairs(PodToNodePort, TCP, SameNode, OtherNode)
	pairs(HostToPod, TCP, SameNode, OtherNode)
	// DNS answers come from CoreDNS (Linux): the destination dimension is the server's OS.
	for _, v := range []string{DNSFQDN, DNSShortName, DNSHeadless, DNSKubernetesDefault} {
		for _, src := range OSes {
			cells = append(cells, Cell{Scenario: DNS, Proto: DNSUDP, Variant: v, Src: src, Dst: Linux, Placement: AnyNode})
		}
	}
	pairs(MTU, TCP, SameNode, OtherNode)
	// From the external router to the pods and Services of every node of each OS.
	for _, dst := range OSes {
		for _, v := range []struct {
			variant string
			proto   Proto
		}{{IngressSession, BGP}, {IngressNextHop, BGP}, {IngressPod, TCP}, {IngressPod, UDP}, {IngressClusterIP, TCP},
			{IngressExternalIP, TCP}, {IngressLoadBalancerIP, TCP}, {IngressLocalPolicy, BGP}} {
			cells = append(cells, Cell{Scenario: BGPIngress, Proto: v.proto, Variant: v.variant, Src: External, Dst: dst, Placement: AnyNode})
		}
	}
	// From the router to a pod on node B through node A (other node: A is not B).
	for _, dst := range OSes {
		for _, v := range []struct {
			variant string
			proto   Proto
		}{{PathSharedNetwork, TCP}, {PathSharedNetwork, UDP}, {PathSecondNetwork, UDP}} {
			cells = append(cells, Cell{Scenario: Asymmetric, Proto: v.proto, Variant: v.variant, Src: External, Dst: dst, Placement: OtherNode})
		}
	}
	return cells
}

// ForScenario filters All.
func ForScenario(s Scenario) []Cell {
	var out []Cell
	for _, c := range All() {
		if c.Scenario == s {
			out = append(out, c)
		}
	}
	return out
}

// exclusion is a combination the suite does not test, with the reason reported as the skip.
type exclusion struct {
	match  func(Cell) bool
	reason string
}

// exclusions are declared once, here.
var exclusions = []exclusion{
	{func(c Cell) bool { return c.Scenario == MTU && c.Placement == SameNode },
		"a same-node path has no tunnel and no underlay hop: there is no path MTU to check"},
	{func(c Cell) bool { return c.Placement == SameNode && c.Src != c.Dst },
		"a node runs one OS: a source and a destination of different OSes are never on the same node"},
	{func(c Cell) bool { return c.Scenario == Asymmetric && c.Dst == Windows },
		"the asymmetric topologies re-route and re-wire Linux kind nodes (policy routes, a second network); Windows nodes are VMs the suite cannot re-wire yet"},
}

// Unsupported returns the declared reason a cell is not tested, if any.
func Unsupported(c Cell) (string, bool) {
	for _, e := range exclusions {
		if e.match(c) {
			return e.reason, true
		}
	}
	return "", false
}

// Expectation is the result a cell should have on a cluster.
type Expectation struct {
	Reachable bool
	// Because names the mechanism when the expected result is a drop.
	Because string
	// Skip, when set, is why the cell does not apply to this cluster.
	Skip string
}

// ClusterShape is what Expect needs to know about the cluster under test.
type ClusterShape struct {
	Mode  string     // vxlan, noencap, ipip
	Nodes map[OS]int // node count per OS
	// Router is whether the run has the suite's external router (kind clusters the suite made).
	Router bool
	// SecondNetwork is whether two Linux nodes share a second network with the router.
	SecondNetwork bool
}

// Expect looks up the expected result of a cell on a cluster: what a mode changes is the
// expectation, never the spec tree.
func Expect(c Cell, shape ClusterShape) Expectation {
	if reason, ok := Unsupported(c); ok {
		return Expectation{Skip: reason}
	}
	if c.Src == External && !shape.Router {
		return Expectation{Skip: "the run has no external router: the suite brings one up with the kind clusters it creates (PROVIDER=kind)"}
	}
	for _, os := range []OS{c.Src, c.Dst} {
		if os != External && shape.Nodes[os] == 0 {
			return Expectation{Skip: fmt.Sprintf("the cluster has no %s nodes", os)}
		}
	}
	if c.Placement == OtherNode && c.Src == c.Dst && shape.Nodes[c.Src] < 2 {
		return Expectation{Skip: fmt.Sprintf("other-node needs two %s nodes; the cluster has one", c.Src)}
	}
	if c.Scenario == BGPIngress && c.Proto == BGP && shape.Mode == "vxlan" {
		if c.Variant == IngressLocalPolicy {
			return Expectation{Skip: "MODE=vxlan runs no BGP: the router's static routes cannot follow where a Service's endpoints are (externalTrafficPolicy: Local needs advertised routes)"}
		}
		return Expectation{Skip: "MODE=vxlan runs no BGP: the router reaches pods and Services through static routes instead (the ingress pod, cluster-ip, external-ip and load-balancer-ip cells)"}
	}
	if c.Scenario == Asymmetric {
		if shape.Nodes[c.Dst] < 2 {
			return Expectation{Skip: fmt.Sprintf("an asymmetric path needs two %s nodes (a transit node and the pod's node)", c.Dst)}
		}
		if c.Variant == PathSecondNetwork && !shape.SecondNetwork {
			return Expectation{Skip: "no second network: the suite attaches one to two kind nodes and the router when it creates the cluster"}
		}
		// Measured on kind (shared/reference/e2e/asym.log): TCP through a transit node that sees
		// only the request is dropped there as conntrack INVALID (kube-proxy's KUBE-FORWARD);
		// UDP passes. On the second network, strict reverse-path filtering on the pod's node drops
		// both; the spec sets the filtering it asserts.
		if c.Variant == PathSharedNetwork && c.Proto == TCP {
			return Expectation{Reachable: false, Because: "the transit node drops a TCP flow it sees only one direction of as conntrack INVALID (kube-proxy's KUBE-FORWARD rule)"}
		}
	}
	if ok, why := calico.WindowsPodNetwork(calico.Mode(shape.Mode)); !ok && (c.Src == Windows || c.Dst == Windows) {
		return Expectation{Skip: why}
	}
	return Expectation{Reachable: true}
}
