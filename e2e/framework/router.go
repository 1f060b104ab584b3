package framework

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/infra/lifecycle"
	"github.com/calico-conformance/e2e/infra/router"
	"github.com/calico-conformance/e2e/internal/msg"
)

// RouterTarget is one destination the external router must reach.
type RouterTarget struct {
	Proto matrix.Proto
	Host  string
	Port  int
	// Want is the responding pod's hostname.
	Want, DstNode, DstDesc string
	// Via, when set, is the node the request is forced through (asymmetric paths).
	Via string
	// Wait is how long the probe waits for an answer, in seconds; 0 is 3 s for TCP and 2 s for
	// UDP. A probe that is expected to be dropped waits dropWait (see expectFromRouter).
	Wait int
}

// wait is the probe's Wait with its protocol's default.
func (t RouterTarget) wait() int {
	switch {
	case t.Wait > 0:
		return t.Wait
	case t.Proto == matrix.UDP:
		return 2
	}
	return 3
}

// RouterResult is the outcome of one router probe.
type RouterResult struct {
	Target   RouterTarget
	Observed string
	Err      error
}

// OK is whether the expected pod answered.
func (r RouterResult) OK() bool { return r.Err == nil && r.Observed == r.Target.Want }

// Line is the result as one failure line with a command to retry it.
func (r RouterResult) Line(routerName string) string {
	got := r.Observed
	if r.Err != nil {
		got = "error: " + msg.OneLine(r.Err.Error())
	}
	if got == "" {
		got = "no answer"
	}
	via := ""
	if r.Target.Via != "" {
		via = " through node " + r.Target.Via
	}
	return fmt.Sprintf("router -> %s (%s:%d/%s)%s: expected %q, got %s; retry: docker exec %s %s",
		r.Target.DstDesc, r.Target.Host, r.Target.Port, r.Target.Proto, via, r.Target.Want, got, routerName, strings.Join(routerCommand(r.Target), " "))
}

// routerCommand asks agnhost netexec for its hostname: HTTP GET /hostname over TCP, or the
// "hostname" command over UDP (netcat from the nettools image: -W 1 ends at the first answer,
// -w gives up after the probe's wait without one; without -W every UDP probe lasted the whole
// wait).
func routerCommand(t RouterTarget) []string {
	if t.Proto == matrix.UDP {
		return []string{"sh", "-c", fmt.Sprintf("echo hostname | nc -u -w %d -W 1 %s %d", t.wait(), t.Host, t.Port)}
	}
	return []string{"curl", "-s", "-m", fmt.Sprint(t.wait()), fmt.Sprintf("http://%s:%d/hostname", t.Host, t.Port)}
}

// ProbeFromRouter runs every target from the router in parallel.
func ProbeFromRouter(ctx context.Context, rt *router.Router, targets []RouterTarget) []RouterResult {
	out := make([]RouterResult, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stdout, _, err := rt.Exec(ctx, routerCommand(t)...)
			out[i] = RouterResult{Target: t, Observed: strings.TrimSpace(stdout), Err: err}
			if err != nil && out[i].Observed == "" && t.Proto == matrix.TCP {
				out[i].Err = fmt.Errorf("no TCP answer within %d s (curl: %v)", t.wait(), err)
			}
		}()
	}
	wg.Wait()
	return out
}

// RouterSessionProblems reads the router's BGP protocols: every node must have an Established
// session; each problem names the node, the state and BIRD's last error.
func RouterSessionProblems(ctx context.Context, rt *router.Router, nodes []Node) ([]string, error) {
	protos, err := rt.Protocols(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]router.Protocol{}
	for _, p := range protos {
		byName[p.Name] = p
	}
	var problems []string
	for _, n := range nodes {
		p, ok := byName[router.ProtocolName(n.Name)]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("node %s (%s): the router has no BGP protocol for it", n.Name, n.IP))
		case !p.Established():
			detail := strings.TrimSpace(p.State + " " + p.Info)
			if p.BGPState != "" {
				detail += ", BGP state " + p.BGPState
			}
			if p.LastError != "" {
				detail += ", last error: " + p.LastError
			}
			problems = append(problems, fmt.Sprintf("node %s (%s): session %s is %s", n.Name, n.IP, p.Name, detail))
		}
	}
	return problems, nil
}

// NextHopProblems checks what the router learned by BGP against Calico's block affinities:
// every block is learned and installed with exactly its owner node as next hop, and nothing is
// learned outside the pools and the advertised Service ranges.
func NextHopProblems(ctx context.Context, rt *router.Router, owners map[string]string, nodes []Node, allowed []string) ([]string, error) {
	routes, err := rt.Routes(ctx)
	if err != nil {
		return nil, err
	}
	kernel, err := rt.KernelRoutes(ctx)
	if err != nil {
		return nil, err
	}
	ipOf := map[string]string{}
	for _, n := range nodes {
		ipOf[n.Name] = n.IP
	}
	var problems []string
	for _, cidr := range sortedKeys(owners) {
		owner := owners[cidr]
		want := ipOf[owner]
		rs, ok := routes[cidr]
		if !ok {
			problems = append(problems, fmt.Sprintf("block %s of node %s: not learned by the router", cidr, owner))
			continue
		}
		hops := map[string]bool{}
		for _, r := range rs {
			if r.Proto == "" || !strings.HasPrefix(r.Proto, "node_") {
				continue
			}
			if nh := r.BGPNextHop(); nh != "" {
				hops[nh] = true
			}
		}
		if len(hops) != 1 || !hops[want] {
			problems = append(problems, fmt.Sprintf("block %s of node %s (%s) is learned with next hops %s: the mesh re-advertises other nodes' blocks with themselves as next hop, so traffic enters through a node that does not own the block; set keepOriginalNextHop: true on the BGPPeer",
				cidr, owner, want, strings.Join(sortedKeys(hops), ", ")))
			continue
		}
		if k, ok := kernel[cidr]; ok {
			var gws []string
			for _, nh := range k.NextHops {
				gws = append(gws, nh.Gateway)
			}
			if len(gws) != 1 || gws[0] != want {
				problems = append(problems, fmt.Sprintf("block %s of node %s is installed in the router's kernel via %s, want %s", cidr, owner, strings.Join(gws, ", "), want))
			}
		} else {
			problems = append(problems, fmt.Sprintf("block %s of node %s: learned but not installed in the router's kernel table", cidr, owner))
		}
	}
	for _, prefix := range sortedKeys(routes) {
		bgp := false
		for _, r := range routes[prefix] {
			bgp = bgp || strings.HasPrefix(r.Proto, "node_")
		}
		if bgp && !insideAny(prefix, allowed) {
			problems = append(problems, fmt.Sprintf("the router learned %s, outside the IP pools and the advertised Service ranges (%s)", prefix, strings.Join(allowed, ", ")))
		}
	}
	return problems, nil
}

func insideAny(prefix string, cidrs []string) bool {
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		return false
	}
	for _, c := range cidrs {
		if q, err := netip.ParsePrefix(c); err == nil && q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// routerEvidence is the router's state for a failed spec: BIRD's protocols and routes, the
// kernel table, interface counters and BIRD's log.
func routerEvidence(ctx context.Context, rt *router.Router) string {
	var b strings.Builder
	for _, c := range [][]string{
		{"birdc", "-s", router.SocketPath, "show", "protocols", "all"},
		{"birdc", "-s", router.SocketPath, "show", "route", "all"},
		{"ip", "route", "show", "table", "all"},
		{"ip", "-s", "link"},
		{"sh", "-c", "nstat -az 2>/dev/null | grep -E 'IpInNoRoutes|IpOutNoRoutes|TcpExtTCPTimeouts|UdpNoPorts|IcmpInDestUnreachs' || cat /proc/net/snmp"},
		{"tail", "-n", "100", router.LogPath},
	} {
		out, errOut, err := rt.Exec(ctx, c...)
		fmt.Fprintf(&b, "### %s\n%s%s", strings.Join(c, " "), out, errOut)
		if err != nil {
			fmt.Fprintf(&b, "(error: %v)\n", err)
		}
	}
	return b.String()
}

// allowedPrefixes is what the router may learn: the pool and the advertised Service ranges.
func allowedPrefixes(f Facts) []string {
	return []string{f.PoolCIDR, lifecycle.ServiceSubnet, lifecycle.ExternalIPRange, lifecycle.LoadBalancerIPRange}
}
