package framework

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/infra/lifecycle"
)

// bgpSettle bounds how long BGP state may take to converge (sessions after a restart, routes
// after a pod block appears).
const bgpSettle = 20 * time.Second

// dropWindow is how long a drop from the router is watched, and dropWait how long each probe
// that is expected to be dropped waits for an answer (seconds; a reachable probe waits 3 s for
// TCP, 2 s for UDP). On the kind network an answer takes milliseconds, and every caller that
// expects a drop then asserts the counter of the rule that drops it, so the verdict rests on the
// counter, not on the wait. The 4 s window this replaced ran the same 3 s probe twice.
const (
	dropWindow = time.Second
	dropWait   = 1
)

// RunIngress checks one bgp-ingress cell from the external router: its sessions with every
// node, the next hops of what it learned, and TCP/UDP to a pod and to a ClusterIP on every node
// of the destination OS.
func RunIngress(ctx context.Context, c matrix.Cell) {
	s := Current()
	exp := matrix.Expect(c, s.Shape())
	if exp.Skip != "" {
		ginkgo.Skip(exp.Skip)
	}
	if f, ok := vipFeature(c.Variant); ok && s.Shape().Mode != "vxlan" {
		supported, reason, err := f.Supported(s.Topology.Facts.CalicoVersion)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		if !supported {
			ginkgo.Skip(reason)
		}
	}
	nodes := s.Topology.Facts.NodesOf(c.Dst)
	switch c.Variant {
	case matrix.IngressExternalIP, matrix.IngressLoadBalancerIP:
		runVIPReach(ctx, s, c)
	case matrix.IngressLocalPolicy:
		runLocalPolicy(ctx, s, c)
	case matrix.IngressSession:
		gomega.Eventually(ctx, func() ([]string, error) {
			return RouterSessionProblems(ctx, s.Router, nodes)
		}).WithTimeout(bgpSettle).WithPolling(2*time.Second).Should(gomega.BeEmpty(),
			"BGP sessions between the router %s (AS %d) and the %s nodes (AS %d) that are not Established (birdc show protocols all on the router)",
			s.Router.IP(), lifecycle.RouterAS, c.Dst, lifecycle.ClusterAS)
	case matrix.IngressNextHop:
		gomega.Eventually(ctx, func() ([]string, error) {
			owners, err := lifecycle.BlockOwners(ctx, s.Client.Resources())
			if err != nil {
				return nil, err
			}
			mine := map[string]string{}
			for cidr, n := range owners {
				for _, node := range nodes {
					if node.Name == n {
						mine[cidr] = n
					}
				}
			}
			return NextHopProblems(ctx, s.Router, mine, s.Topology.Facts.Nodes, allowedPrefixes(s.Topology.Facts))
		}).WithTimeout(bgpSettle).WithPolling(2*time.Second).Should(gomega.BeEmpty(),
			"routes of the router that do not match Calico's block affinities (birdc show route all, ip route on the router)")
	case matrix.IngressPod, matrix.IngressClusterIP:
		var targets []RouterTarget
		for _, site := range s.Topology.Sites {
			if site.Node.OS != c.Dst {
				continue
			}
			port := HTTPPort
			if c.Proto == matrix.UDP {
				port = UDPPort
			}
			t := RouterTarget{Proto: c.Proto, Host: site.Server.IP, Port: port, Want: site.Server.Pod, DstNode: site.Node.Name,
				DstDesc: fmt.Sprintf("pod %s on %s", site.Server.Pod, site.Node.Name)}
			if c.Variant == matrix.IngressClusterIP {
				t.Host, t.DstDesc = site.ClusterIP, fmt.Sprintf("ClusterIP of %s (backend %s on %s)", site.Service, site.Server.Pod, site.Node.Name)
			}
			targets = append(targets, t)
		}
		gomega.Expect(targets).NotTo(gomega.BeEmpty(), "no %s pods to reach", c.Dst)
		expectFromRouter(ctx, s, c, targets, true)
	default:
		ginkgo.Fail("unknown ingress check " + c.Variant)
	}
}

// expectFromRouter probes every target from the router until all answer (reachable) or, when a
// drop is expected, checks for dropWindow that none does. It fails with one line per target
// that did not behave as expected.
func expectFromRouter(ctx context.Context, s *Suite, c matrix.Cell, targets []RouterTarget, reachable bool) []RouterResult {
	var results []RouterResult
	if !reachable {
		targets = append([]RouterTarget(nil), targets...)
		for i := range targets {
			targets[i].Wait = dropWait
		}
	}
	attempt := func() error {
		results = ProbeFromRouter(ctx, s.Router, targets)
		bad := 0
		for _, r := range results {
			if r.OK() != reachable {
				bad++
			}
		}
		if bad > 0 {
			return fmt.Errorf("%d of %d probes not as expected", bad, len(results))
		}
		return nil
	}
	var err error
	if reachable {
		err = gomega.InterceptGomegaFailure(func() {
			gomega.Eventually(ctx, attempt).WithTimeout(s.Config.CellTimeout).WithPolling(time.Second).Should(gomega.Succeed())
		})
	} else {
		err = gomega.InterceptGomegaFailure(func() {
			gomega.Consistently(ctx, attempt).WithTimeout(dropWindow).WithPolling(time.Second).Should(gomega.Succeed())
		})
	}
	if err == nil {
		return results
	}
	var lines []string
	for _, r := range results {
		if r.OK() != reachable {
			lines = append(lines, "  "+r.Line(s.Router.Name()))
		}
	}
	want := map[bool]string{true: "reachable", false: "dropped"}[reachable]
	ginkgo.Fail(fmt.Sprintf("%s: %d of %d probes from the router not %s:\n%s\nevidence: %s (router.txt: its BGP state and routes)",
		c, len(lines), len(results), want, strings.Join(lines, "\n"), EvidenceDir(s.Config.Artifacts, ginkgo.CurrentSpecReport())))
	return results
}
