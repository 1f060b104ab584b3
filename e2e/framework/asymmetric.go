package framework

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/calico-conformance/e2e/e2e/matrix"
)

// nodeShell runs a shell command in the host network namespace of a Linux node, through its
// calico-node pod (host network, privileged).
func (s *Suite) nodeShell(ctx context.Context, node, cmd string) (string, error) {
	pods, err := calicoNodePods(ctx, s.Client.Resources())
	if err != nil {
		return "", err
	}
	p, ok := pods[node]
	if !ok {
		return "", fmt.Errorf("node %s has no calico-node pod", node)
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, errOut, err := s.exec(cctx, p.Namespace, p.Name, "calico-node", []string{"sh", "-c", cmd})
	if err != nil {
		return out, fmt.Errorf("on node %s: %s: %w %s", node, cmd, err, strings.TrimSpace(errOut))
	}
	return out, nil
}

// Counters a spec on an asymmetric path watches, read in the node's host network namespace.
const (
	// InvalidDropCmd prints the packet counters of kube-proxy's "ctstate INVALID -j DROP" rules
	// (KUBE-FORWARD), whichever iptables backend holds them.
	InvalidDropCmd = `{ iptables-nft-save -c -t filter 2>/dev/null; iptables-legacy-save -c -t filter 2>/dev/null; } | grep -E 'ctstate INVALID.*-j DROP'`
	// RPFilterDropCmd prints the kernel's TcpExt table (IPReversePathFilter counts packets
	// dropped by reverse-path filtering).
	RPFilterDropCmd = `grep '^TcpExt:' /proc/net/netstat`
)

var counterPrefix = regexp.MustCompile(`^\[(\d+):\d+\]`)

// SumRuleCounters adds up the packet counters of iptables-save -c lines ("[pkts:bytes] -A ...").
func SumRuleCounters(out string) int64 {
	var n int64
	for _, l := range strings.Split(out, "\n") {
		if m := counterPrefix.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			v, _ := strconv.ParseInt(m[1], 10, 64)
			n += v
		}
	}
	return n
}

// NetstatCounter reads one counter of a /proc/net/netstat table (a header line of names and a
// line of values, both starting with the table name); -1 when it is not there.
func NetstatCounter(out, table, name string) int64 {
	var names []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != table+":" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == name && i < len(f) {
				v, err := strconv.ParseInt(f[i], 10, 64)
				if err == nil {
					return v
				}
			}
		}
		return -1
	}
	return -1
}

// asymSites picks the pod's node B and the transit node A among the Linux sites: B the last
// worker, A another node (when only is given, A and B are taken from it in order).
func (s *Suite) asymSites(only []string) (transit, dst Site, ok bool) {
	var cand []Site
	for _, site := range s.Topology.Sites {
		if site.Node.OS != matrix.Linux {
			continue
		}
		if only == nil {
			cand = append(cand, site)
			continue
		}
		for _, n := range only {
			if n == site.Node.Name {
				cand = append(cand, site)
			}
		}
	}
	if len(cand) < 2 {
		return Site{}, Site{}, false
	}
	if only != nil {
		return cand[0], cand[1], true
	}
	return cand[0], cand[len(cand)-1], true
}

// routeViaOnRouter sends the router's traffic for one pod through a node, and undoes it when
// the spec ends.
func (s *Suite) routeViaOnRouter(ctx context.Context, podIP, nodeIP string) {
	_, errOut, err := s.Router.Exec(ctx, "ip", "route", "replace", podIP+"/32", "via", nodeIP)
	gomega.Expect(err).NotTo(gomega.HaveOccurred(), "route %s via %s on the router: %s", podIP, nodeIP, errOut)
	ginkgo.DeferCleanup(func(ctx context.Context) {
		_, _, _ = s.Router.Exec(ctx, "ip", "route", "del", podIP+"/32")
	})
}

// RunAsymmetric checks one asymmetric-path cell: the router's request for a pod on node B goes
// through node A, the reply goes from B straight back.
func RunAsymmetric(ctx context.Context, c matrix.Cell) {
	s := Current()
	exp := matrix.Expect(c, s.Shape())
	if exp.Skip != "" {
		ginkgo.Skip(exp.Skip)
	}
	switch c.Variant {
	case matrix.PathSharedNetwork:
		asymSharedNetwork(ctx, s, c, exp)
	case matrix.PathSecondNetwork:
		asymSecondNetwork(ctx, s, c)
	default:
		ginkgo.Fail("unknown asymmetric path " + c.Variant)
	}
}

func target(c matrix.Cell, dst Site, via string) RouterTarget {
	port := HTTPPort
	if c.Proto == matrix.UDP {
		port = UDPPort
	}
	return RouterTarget{Proto: c.Proto, Host: dst.Server.IP, Port: port, Want: dst.Server.Pod, DstNode: dst.Node.Name,
		DstDesc: fmt.Sprintf("pod %s on %s", dst.Server.Pod, dst.Node.Name), Via: via}
}

// ingressInterface is where a request forwarded by another node arrives at the pod's node: the
// VXLAN device in VXLAN mode, the node's own interface otherwise.
func ingressInterface(mode string) string {
	if mode == "vxlan" {
		return "vxlan.calico"
	}
	return "eth0"
}

// asymSharedNetwork: one network; the router's request goes through node A to the pod on node
// B, the reply from B straight back. Measured on kind (shared/reference/e2e/asym.log and this
// suite's runs):
//   - UDP: without encapsulation B receives the request on eth0, the interface of its reply,
//     and it passes; in VXLAN mode B receives it on vxlan.calico, and strict reverse-path
//     filtering (kind's all=1) drops it (IPReversePathFilter) until the filtering is loose;
//   - TCP: with B's filtering loose, A drops the flow as conntrack INVALID (it sees the SYN
//     and the ACK, never the SYN-ACK), counted by kube-proxy's KUBE-FORWARD rule.
//
// The spec asserts each drop with the counter that moved.
func asymSharedNetwork(ctx context.Context, s *Suite, c matrix.Cell, exp matrix.Expectation) {
	a, b, ok := s.asymSites(nil)
	gomega.Expect(ok).To(gomega.BeTrue(), "two Linux nodes")
	s.routeViaOnRouter(ctx, b.Server.IP, a.Node.IP)
	t := target(c, b, a.Node.Name)
	iface := ingressInterface(string(s.Topology.Facts.Mode))
	if c.Proto == matrix.UDP {
		if iface == "eth0" {
			expectFromRouter(ctx, s, c, []RouterTarget{t}, true)
			return
		}
		assertRPFilter(ctx, s, c, b, iface, t)
		return
	}
	rp := s.rpFilter(ctx, b.Node.Name, iface)
	rp.set(ctx, "1", "2") // loose on the ingress interface: only A's conntrack decides
	before, err := s.nodeShell(ctx, a.Node.Name, InvalidDropCmd)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	expectFromRouter(ctx, s, c, []RouterTarget{t}, exp.Reachable)
	after, err := s.nodeShell(ctx, a.Node.Name, InvalidDropCmd)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	moved := SumRuleCounters(after) - SumRuleCounters(before)
	ginkgo.AddReportEntry("counters", fmt.Sprintf("transit node %s: conntrack INVALID drops +%d", a.Node.Name, moved))
	if !exp.Reachable {
		gomega.Expect(moved).To(gomega.BeNumerically(">", 0),
			"TCP from the router to %s through %s was dropped, but not by the conntrack INVALID rule on %s (its counter did not move): the drop has another cause; see the evidence", b.Server.Pod, a.Node.Name, a.Node.Name)
		ginkgo.GinkgoWriter.Printf("asserted: %s (node %s: INVALID drops +%d)\n", exp.Because, a.Node.Name, moved)
	}
}

// rpFilter reads a node's reverse-path filtering (all and one interface) and restores it when
// the spec ends.
type rpSetting struct {
	s            *Suite
	node, iface  string
	all, ifValue string
}

func (s *Suite) rpFilter(ctx context.Context, node, iface string) *rpSetting {
	out, err := s.nodeShell(ctx, node, fmt.Sprintf("cat %s %s", rpPath("all"), rpPath(iface)))
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	v := strings.Fields(out)
	gomega.Expect(v).To(gomega.HaveLen(2), "rp_filter of all and %s on %s", iface, node)
	r := &rpSetting{s: s, node: node, iface: iface, all: v[0], ifValue: v[1]}
	ginkgo.DeferCleanup(func(ctx context.Context) { r.set(ctx, r.all, r.ifValue) })
	return r
}

func rpPath(iface string) string { return "/proc/sys/net/ipv4/conf/" + iface + "/rp_filter" }

func (r *rpSetting) set(ctx context.Context, all, iface string) {
	_, err := r.s.nodeShell(ctx, r.node, fmt.Sprintf("echo %s > %s && echo %s > %s", all, rpPath("all"), iface, rpPath(r.iface)))
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
}

// assertRPFilter: with strict reverse-path filtering on the pod's node (all=1 and the ingress
// interface 1) the request is dropped and IPReversePathFilter rises; with the interface loose
// (effective max(all=1, 2) = 2) it passes.
func assertRPFilter(ctx context.Context, s *Suite, c matrix.Cell, b Site, iface string, t RouterTarget) {
	rp := s.rpFilter(ctx, b.Node.Name, iface)
	counter := func() int64 {
		out, err := s.nodeShell(ctx, b.Node.Name, RPFilterDropCmd)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		v := NetstatCounter(out, "TcpExt", "IPReversePathFilter")
		gomega.Expect(v).To(gomega.BeNumerically(">=", 0), "TcpExt IPReversePathFilter on %s", b.Node.Name)
		return v
	}
	rp.set(ctx, "1", "1")
	before := counter()
	expectFromRouter(ctx, s, c, []RouterTarget{t}, false)
	moved := counter() - before
	ginkgo.AddReportEntry("counters", fmt.Sprintf("node %s, strict rp_filter (all=1 %s=1): IPReversePathFilter +%d", b.Node.Name, iface, moved))
	gomega.Expect(moved).To(gomega.BeNumerically(">", 0),
		"the request entering %s on %s was dropped under strict reverse-path filtering, but IPReversePathFilter did not move: the drop has another cause", b.Node.Name, iface)
	ginkgo.GinkgoWriter.Printf("asserted: strict rp_filter on %s %s drops the asymmetric request (IPReversePathFilter +%d)\n", b.Node.Name, iface, moved)
	rp.set(ctx, "1", "2")
	expectFromRouter(ctx, s, c, []RouterTarget{t}, true)
	ginkgo.GinkgoWriter.Printf("asserted: loose rp_filter (%s=2) on %s passes\n", iface, b.Node.Name)
}

// asymSecondNetwork: node A forwards the request to B over a second network (a policy route in
// table 100); B receives it on that interface and answers out of eth0. Measured on kind: with
// strict reverse-path filtering (the effective value is the max of all and the interface's)
// the kernel drops the request and IPReversePathFilter rises; loose filtering (2) passes.
func asymSecondNetwork(ctx context.Context, s *Suite, c matrix.Cell) {
	attached, err := networkContainers(ctx, s.Config.SecondNetwork)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	a, b, ok := s.asymSites(attached)
	gomega.Expect(ok).To(gomega.BeTrue(), "two Linux nodes on the second network %s (attached: %v)", s.Config.SecondNetwork, attached)
	bAddr, err := networkAddress(ctx, s.Config.SecondNetwork, b.Node.Name)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	aAddr, err := networkAddress(ctx, s.Config.SecondNetwork, a.Node.Name)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ifOf := func(node, addr string) string {
		out, err := s.nodeShell(ctx, node, fmt.Sprintf("ip -o -4 addr show | awk '$4 ~ /^%s\\// {print $2}'", regexp.QuoteMeta(addr)))
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		name := strings.TrimSpace(out)
		gomega.Expect(name).NotTo(gomega.BeEmpty(), "node %s's interface on %s", node, s.Config.SecondNetwork)
		return name
	}
	ifA, ifB := ifOf(a.Node.Name, aAddr), ifOf(b.Node.Name, bAddr)
	pod, rip := b.Server.IP, s.Router.IP()
	_, err = s.nodeShell(ctx, a.Node.Name, fmt.Sprintf("ip rule add from %s to %s lookup 100 pref 100 && ip route replace %s/32 via %s dev %s table 100", rip, pod, pod, bAddr, ifA))
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ginkgo.DeferCleanup(func(ctx context.Context) {
		_, _ = s.nodeShell(ctx, a.Node.Name, "ip rule del pref 100; ip route flush table 100")
	})
	s.routeViaOnRouter(ctx, pod, a.Node.IP)
	assertRPFilter(ctx, s, c, b, ifB, target(c, b, a.Node.Name+" and "+ifB+" of "+b.Node.Name))
}

// networkContainers lists the containers attached to a Docker network (kind node names).
func networkContainers(ctx context.Context, network string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "docker", "network", "inspect", "--format", "{{range .Containers}}{{.Name}} {{end}}", network).Output()
	if err != nil {
		return nil, fmt.Errorf("docker network inspect %s: %w", network, err)
	}
	names := strings.Fields(string(out))
	sort.Strings(names)
	return names, nil
}

// networkAddress is a container's IPv4 address on a Docker network.
func networkAddress(ctx context.Context, network, container string) (string, error) {
	out, err := exec.CommandContext(ctx, "docker", "inspect", "--format",
		fmt.Sprintf(`{{with index .NetworkSettings.Networks %q}}{{.IPAddress}}{{end}}`, network), container).Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		return "", fmt.Errorf("address of %s on network %s: %v", container, network, err)
	}
	return strings.TrimSpace(string(out)), nil
}
