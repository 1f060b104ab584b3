package report

import "fmt"

// PairResult is the outcome of one probe between two nodes, the input to Diagnose.
type PairResult struct {
	Scenario, Proto, Placement string
	// SrcNode and DstNode are where the traffic starts and should end; DstNode is empty when
	// it is not known (DNS: the answer comes from CoreDNS wherever it runs).
	SrcNode, DstNode string
	OK               bool
}

// evidence is what the rules look at.
type evidence struct {
	all, failed, passed []PairResult
	mode                string
}

// rule returns its diagnosis, or "" when it does not apply.
type rule func(evidence) string

// rules, most specific first.
var rules = []rule{crossNode, commonNode, udpOnly, servicesOnly, dnsOnly, mtuOnly}

// Diagnose names the likely causes of failed probes in short sentences, most specific first.
// mode is the Calico dataplane mode (vxlan, noencap, ipip). It returns nothing when every probe
// passed.
func Diagnose(results []PairResult, mode string) []string {
	e := evidence{all: results, mode: mode}
	for _, r := range results {
		if r.OK {
			e.passed = append(e.passed, r)
		} else {
			e.failed = append(e.failed, r)
		}
	}
	if len(e.failed) == 0 {
		return nil
	}
	var causes []string
	for _, r := range rules {
		if c := r(e); c != "" {
			causes = append(causes, c)
		}
	}
	if len(causes) == 0 {
		causes = append(causes, fmt.Sprintf("%d of %d probes failed with no common pattern: read each failing probe's line and the failed cell's evidence directory (pod logs, calico-node logs, routes)",
			len(e.failed), len(e.all)))
	}
	return causes
}

// crossNode: only other-node traffic fails while same-node traffic passes, and on at least one
// failing node pair nothing passes (were something passing there, such as TCP or small
// packets, the path itself works and a narrower rule applies). A failure whose placement is
// not known (DNS) neither confirms nor contradicts it.
func crossNode(e evidence) string {
	known := filter(e.failed, func(r PairResult) bool { return r.Placement != "any" && r.Placement != "" })
	if len(known) == 0 || !every(known, isPlacement("other-node")) || !some(e.passed, isPlacement("same-node")) {
		return ""
	}
	if !some(known, func(f PairResult) bool {
		return f.DstNode != "" && !some(e.passed, func(p PairResult) bool { return p.SrcNode == f.SrcNode && p.DstNode == f.DstNode })
	}) {
		return ""
	}
	return "only traffic between nodes fails (same-node pairs pass): the cross-node path is broken; check " + crossNodeCheck(e.mode)
}

func crossNodeCheck(mode string) string {
	switch mode {
	case "vxlan":
		return "VXLAN (UDP 4789) between nodes, vxlan.calico routes/FDB"
	case "noencap":
		return "BGP sessions and routes between nodes (birdcl show protocols)"
	case "ipip":
		return "IP-in-IP (IP protocol 4) and tunl0"
	default:
		return "the encapsulation and routes between nodes"
	}
}

// commonNode: one node takes part in every failing pair, and pairs without it pass. A failure
// whose destination is not known (DNS) does not rule a node out.
func commonNode(e evidence) string {
	known := filter(e.failed, func(r PairResult) bool { return r.SrcNode != "" && r.DstNode != "" })
	if len(known) == 0 {
		return ""
	}
	var candidates []string
	for _, n := range []string{known[0].SrcNode, known[0].DstNode} {
		if len(candidates) > 0 && candidates[0] == n {
			continue // a same-node pair names its node once
		}
		if every(e.failed, func(r PairResult) bool { return r.DstNode == "" || involves(r, n) }) {
			candidates = append(candidates, n)
		}
	}
	if len(candidates) != 1 {
		return ""
	}
	n := candidates[0]
	if !some(e.passed, func(r PairResult) bool { return r.SrcNode != "" && r.DstNode != "" && !involves(r, n) }) {
		return ""
	}
	return fmt.Sprintf("every failing pair involves node %s: start with %s (its calico-node, routes, host firewall)", n, n)
}

// udpOnly: UDP fails while TCP passes.
func udpOnly(e evidence) string {
	if !every(e.failed, isProto("udp")) || !some(e.passed, isProto("tcp")) {
		return ""
	}
	return "only UDP fails while TCP passes: UDP-specific; check conntrack (stale UDP entries), kube-proxy's UDP rules, and firewalls dropping UDP"
}

// servicesOnly: Service traffic fails while pod-to-pod passes.
func servicesOnly(e evidence) string {
	service := func(r PairResult) bool { return r.Scenario == scenarioClusterIP || r.Scenario == scenarioNodePort }
	if !every(e.failed, service) || !some(e.passed, isScenario(scenarioPodToPod)) {
		return ""
	}
	return "only Service traffic (ClusterIP/NodePort) fails while pod-to-pod passes: kube-proxy / service NAT; check kube-proxy's logs and rules and the Services' endpoints"
}

// dnsOnly: DNS fails while everything else passes.
func dnsOnly(e evidence) string {
	if !every(e.failed, isScenario(scenarioDNS)) || !some(e.passed, func(r PairResult) bool { return r.Scenario != scenarioDNS }) {
		return ""
	}
	return "only DNS fails while other traffic passes: CoreDNS / the kube-dns Service; check the CoreDNS pods are ready, kube-dns has endpoints, and pods' resolv.conf points at it"
}

// mtuOnly: large payloads fail while small packets cross nodes.
func mtuOnly(e evidence) string {
	crossing := func(r PairResult) bool { return r.Scenario == scenarioPodToPod && r.Placement == "other-node" }
	if !every(e.failed, isScenario(scenarioMTU)) || !some(e.passed, crossing) {
		return ""
	}
	return "only large payloads fail while small packets cross nodes: MTU, large packets are lost; " + mtuCheck(e.mode)
}

func mtuCheck(mode string) string {
	switch mode {
	case "vxlan":
		return "compare the pod interface MTU with the node MTU minus the VXLAN overhead (50 bytes)"
	case "ipip":
		return "compare the pod interface MTU with the node MTU minus the IP-in-IP overhead (20 bytes)"
	case "noencap":
		return "there is no tunnel, so compare the pod interface MTU with the MTU of every node and link on the path"
	default:
		return "compare the pod interface MTU with the node MTU minus the tunnel overhead"
	}
}

func involves(r PairResult, node string) bool { return r.SrcNode == node || r.DstNode == node }

func isPlacement(p string) func(PairResult) bool {
	return func(r PairResult) bool { return r.Placement == p }
}

func isProto(p string) func(PairResult) bool {
	return func(r PairResult) bool { return r.Proto == p }
}

func isScenario(s string) func(PairResult) bool {
	return func(r PairResult) bool { return r.Scenario == s }
}

func every(rs []PairResult, f func(PairResult) bool) bool {
	for _, r := range rs {
		if !f(r) {
			return false
		}
	}
	return true
}

func some(rs []PairResult, f func(PairResult) bool) bool {
	for _, r := range rs {
		if f(r) {
			return true
		}
	}
	return false
}

func filter(rs []PairResult, f func(PairResult) bool) []PairResult {
	var out []PairResult
	for _, r := range rs {
		if f(r) {
			out = append(out, r)
		}
	}
	return out
}
