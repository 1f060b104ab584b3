package router_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/calico-conformance/e2e/infra/router"
)

// recorded returns a testdata file without its first line, which must say where the output was
// recorded.
func recorded(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	first, rest, _ := strings.Cut(string(b), "\n")
	if !strings.HasPrefix(first, "# recorded: ") {
		t.Fatalf("%s: first line %q does not say where it was recorded (# recorded: ...)", name, first)
	}
	return rest
}

func protocolsByName(t *testing.T, ps []router.Protocol) map[string]router.Protocol {
	t.Helper()
	m := map[string]router.Protocol{}
	for _, p := range ps {
		m[p.Name] = p
	}
	return m
}

// The router of the real kind cluster: `show protocols` (the summary) with three Established
// sessions.
func TestParseProtocolsBGPIngress(t *testing.T) {
	ps, err := router.ParseProtocols(recorded(t, "bgp-ingress-show-protocols.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var names, established []string
	for _, p := range ps {
		names = append(names, p.Name)
		if p.Established() {
			established = append(established, p.Name)
		}
	}
	if want := []string{"device1", "direct1", "kernel1", "node_172_18_0_4", "node_172_18_0_2", "node_172_18_0_3"}; !reflect.DeepEqual(names, want) {
		t.Errorf("protocols %v, want %v", names, want)
	}
	if want := []string{"node_172_18_0_4", "node_172_18_0_2", "node_172_18_0_3"}; !reflect.DeepEqual(established, want) {
		t.Errorf("established %v, want %v", established, want)
	}
	want := router.Protocol{Name: "node_172_18_0_2", Proto: "BGP", Table: "master", State: "up", Since: "18:08:08", Info: "Established"}
	if got := protocolsByName(t, ps)["node_172_18_0_2"]; got != want {
		t.Errorf("node_172_18_0_2 = %+v, want %+v", got, want)
	}
	if got := protocolsByName(t, ps)["kernel1"]; got.Proto != "Kernel" || got.State != "up" || got.Info != "" || got.Established() {
		t.Errorf("kernel1 = %+v, want an up Kernel protocol without info, not a BGP session", got)
	}
}

// `show protocols all` of Render's configuration: a session with an MD5 password Established,
// and a peer that does not exist, with its last error.
func TestParseProtocolsAll(t *testing.T) {
	ps, err := router.ParseProtocols(recorded(t, "netns-bgp-show-protocols-all.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Fatalf("%d protocols %+v, want device1, node_rec_worker2, node_rec_gone", len(ps), ps)
	}
	byName := protocolsByName(t, ps)
	for name, want := range map[string]router.Protocol{
		"device1": {Name: "device1", Proto: "Device", Table: "master", State: "up", Since: "03:36:16"},
		"node_rec_worker2": {Name: "node_rec_worker2", Proto: "BGP", Table: "master", State: "up", Since: "03:36:20",
			Info: "Established", Imported: 3, BGPState: "Established", NeighborAddress: "172.18.0.3", NeighborAS: 64512,
			NeighborID: "172.18.0.3"},
		"node_rec_gone": {Name: "node_rec_gone", Proto: "BGP", Table: "master", State: "start", Since: "03:36:16",
			Info: "Active Socket: No route to host", BGPState: "Active", NeighborAddress: "172.18.0.9", NeighborAS: 64512,
			LastError: "Socket: No route to host"},
	} {
		if got := byName[name]; got != want {
			t.Errorf("%s =\n  %+v\nwant\n  %+v", name, got, want)
		}
	}
	if !byName["node_rec_worker2"].Established() || byName["node_rec_gone"].Established() {
		t.Errorf("Established(): worker2 %v, gone %v; want true, false",
			byName["node_rec_worker2"].Established(), byName["node_rec_gone"].Established())
	}
}

func TestParseProtocolsErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory\n",
		"BIRD 1.6.8 ready.\nname     proto    table    state  since       info\nnode_x BGP master\n",
	} {
		if ps, err := router.ParseProtocols(in); err == nil {
			t.Errorf("ParseProtocols(%q) = %+v, nil; want an error", in, ps)
		}
	}
}

// bgpNextHops lists the BGP.next_hop of every candidate route.
func bgpNextHops(rs []router.Route) []string {
	var hops []string
	for _, r := range rs {
		hops = append(hops, r.BGPNextHop())
	}
	return hops
}

// The real cluster's router before keepOriginalNextHop: every node advertises every pod block
// with itself as next hop (the recording was filtered by grep, so the alternatives have no route
// line: only their attributes).
func TestParseRoutesBGPIngressFiltered(t *testing.T) {
	routes, err := router.ParseRoutes(recorded(t, "bgp-ingress-show-route-all-grep.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) != 2 {
		t.Fatalf("%d prefixes %v, want the pod block and the direct route", len(routes), routes)
	}
	block := routes["192.168.95.128/26"]
	if got, want := bgpNextHops(block), []string{"172.18.0.2", "172.18.0.3", "172.18.0.4"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("BGP next hops of 192.168.95.128/26 = %v, want %v (one candidate per node)", got, want)
	}
	primary := block[0]
	if !primary.Primary || primary.Proto != "node_172_18_0_2" || primary.Pref != 100 || primary.Info != "[AS64512i]" ||
		!reflect.DeepEqual(primary.NextHops, []router.NextHop{{Gateway: "172.18.0.2", Dev: "eth0"}}) || primary.ASPath() != "64512" {
		t.Errorf("primary route = %+v, want via 172.18.0.2 on eth0 from node_172_18_0_2, pref 100, AS path 64512", primary)
	}
	for i, r := range block[1:] {
		if r.Primary || r.Proto != "" || r.ASPath() != "64512" {
			t.Errorf("candidate %d = %+v, want a non-primary route known by its attributes only", i+1, r)
		}
	}
	direct := routes["172.18.0.0/16"]
	if len(direct) != 1 || direct[0].Proto != "direct1" || !direct[0].Primary || direct[0].Pref != 240 ||
		!reflect.DeepEqual(direct[0].NextHops, []router.NextHop{{Dev: "eth0"}}) {
		t.Errorf("172.18.0.0/16 = %+v, want one primary direct1 route on eth0, pref 240", direct)
	}
}

// Unfiltered `show route all` of Render's configuration: the alternatives of a prefix are the
// indented route lines, each with its own attributes.
func TestParseRoutesAllECMP(t *testing.T) {
	routes, err := router.ParseRoutes(recorded(t, "netns-bgp-show-route-all.txt"))
	if err != nil {
		t.Fatal(err)
	}
	block := routes["192.168.95.128/26"]
	if len(block) != 3 {
		t.Fatalf("192.168.95.128/26 has %d candidates %+v, want 3", len(block), block)
	}
	want := []struct{ proto, via string }{
		{"node_rec_worker", "172.18.0.2"}, {"node_rec_control_plane", "172.18.0.4"}, {"node_rec_worker2", "172.18.0.3"}}
	for i, r := range block {
		if r.Proto != want[i].proto || r.Primary != (i == 0) || r.Pref != 100 || r.Info != "[AS64512i]" ||
			!reflect.DeepEqual(r.NextHops, []router.NextHop{{Gateway: want[i].via, Dev: "eth0"}}) {
			t.Errorf("candidate %d = %+v, want via %s on eth0 from %s (primary: %v)", i, r, want[i].via, want[i].proto, i == 0)
		}
		if r.BGPNextHop() != want[i].via || r.ASPath() != "64512" || r.Attrs["Type"] != "BGP unicast univ" || r.Attrs["BGP.local_pref"] != "100" {
			t.Errorf("candidate %d attributes = %v, want BGP.next_hop %s, as_path 64512, Type BGP unicast univ, local_pref 100", i, r.Attrs, want[i].via)
		}
	}
	if d := routes["172.18.0.0/16"]; len(d) != 1 || d[0].Attrs["Type"] != "device unicast univ" || d[0].Since != "03:36:16" {
		t.Errorf("172.18.0.0/16 = %+v, want one device route since 03:36:16", d)
	}
}

// Static routes of Render's VXLAN configuration: single next hops and one multipath route.
func TestParseRoutesStaticMultipath(t *testing.T) {
	routes, err := router.ParseRoutes(recorded(t, "netns-static-show-route-all.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) != 5 {
		t.Errorf("%d prefixes, want 5: %v", len(routes), routes)
	}
	svc := routes["10.96.0.0/16"]
	wantHops := []router.NextHop{{"172.18.0.2", "eth0", 1}, {"172.18.0.3", "eth0", 1}, {"172.18.0.4", "eth0", 1}}
	if len(svc) != 1 || svc[0].Proto != "static_routes" || !svc[0].Primary || svc[0].Pref != 200 ||
		!reflect.DeepEqual(svc[0].NextHops, wantHops) || svc[0].Attrs["Type"] != "static unicast univ" {
		t.Errorf("10.96.0.0/16 = %+v, want one static_routes multipath route over %v", svc, wantHops)
	}
	for prefix, via := range map[string]string{"192.168.95.128/26": "172.18.0.2", "192.168.146.64/26": "172.18.0.3", "192.168.240.128/26": "172.18.0.4"} {
		r := routes[prefix]
		if len(r) != 1 || !reflect.DeepEqual(r[0].NextHops, []router.NextHop{{Gateway: via, Dev: "eth0"}}) {
			t.Errorf("%s = %+v, want one route via %s", prefix, r, via)
		}
	}
}

func TestParseRoutesSpecialAndErrors(t *testing.T) {
	routes, err := router.ParseRoutes("192.168.0.0/16     unreachable [static1 2024-05-01] * (200)\n10.1.0.0/24        blackhole [static1 12:00:01] (200)\n")
	if err != nil {
		t.Fatal(err)
	}
	if r := routes["192.168.0.0/16"]; len(r) != 1 || r[0].Special != "unreachable" || r[0].Since != "2024-05-01" || !r[0].Primary {
		t.Errorf("192.168.0.0/16 = %+v, want a primary unreachable route", r)
	}
	if r := routes["10.1.0.0/24"]; len(r) != 1 || r[0].Special != "blackhole" || r[0].Primary {
		t.Errorf("10.1.0.0/24 = %+v, want a non-primary blackhole route", r)
	}
	routes, err = router.ParseRoutes("10.2.0.0/24        via 172.18.0.2 on eth0 [node_a 12:00:01] * (100/0) [AS64512i]\n" +
		"\tBGP.community: (64512,1) (64512,2)\n\t\t(64512,3)\n\tBGP.cluster_list:\n")
	if err != nil {
		t.Fatal(err)
	}
	if r := routes["10.2.0.0/24"]; len(r) != 1 || r[0].Pref != 100 ||
		!reflect.DeepEqual(r[0].Attrs, map[string]string{"BGP.community": "(64512,1) (64512,2) (64512,3)", "BGP.cluster_list": ""}) {
		t.Errorf("10.2.0.0/24 = %+v, want one route, pref 100, a community list continued on a second line and an empty cluster list", r)
	}
	for _, in := range []string{
		"Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory\n",
		"\tBGP.next_hop: 172.18.0.2\n",
		"10.2.0.0/24 via 172.18.0.2 on eth0 [node_a 12:00:01] (100)\n\tgarbage\n",
		"                   via 172.18.0.4 on eth0 [node_x 03:36:21] (100)\n",
		"10.0.0.0/8 via 172.18.0.2 on eth0 (100)\n",
	} {
		if rs, err := router.ParseRoutes(in); err == nil {
			t.Errorf("ParseRoutes(%q) = %v, nil; want an error", in, rs)
		}
	}
}

func TestParseIPRoute(t *testing.T) {
	ecmp := []router.NextHop{{"172.18.0.2", "eth0", 1}, {"172.18.0.3", "eth0", 1}, {"172.18.0.4", "eth0", 1}}
	connected := router.KernelRoute{Proto: "kernel", NextHops: []router.NextHop{{Dev: "eth0"}}}
	for _, c := range []struct {
		file string
		want map[string]router.KernelRoute
	}{
		// the real cluster's router: BIRD merged the three nodes' routes into one ECMP route
		{"bgp-ingress-ip-route.txt", map[string]router.KernelRoute{
			"172.18.0.0/16":     connected,
			"192.168.95.128/26": {Proto: "bird", NextHops: ecmp},
		}},
		{"netns-static-ip-route.txt", map[string]router.KernelRoute{
			"10.96.0.0/16":       {Proto: "bird", NextHops: ecmp},
			"172.18.0.0/16":      connected,
			"192.168.95.128/26":  {Proto: "bird", NextHops: []router.NextHop{{Gateway: "172.18.0.2", Dev: "eth0"}}},
			"192.168.146.64/26":  {Proto: "bird", NextHops: []router.NextHop{{Gateway: "172.18.0.3", Dev: "eth0"}}},
			"192.168.240.128/26": {Proto: "bird", NextHops: []router.NextHop{{Gateway: "172.18.0.4", Dev: "eth0"}}},
		}},
	} {
		got, err := router.ParseIPRoute(recorded(t, c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.file, got, c.want)
		}
	}
}

// `ip route get` lines of the asymmetric-path experiment: the router's forced route through
// cal-worker, and cal-worker's policy route into the second network.
func TestParseIPRouteGetAsym(t *testing.T) {
	for i, line := range strings.Split(strings.TrimSpace(recorded(t, "asym-ip-route-get.txt")), "\n") {
		got, err := router.ParseIPRoute(line)
		if err != nil {
			t.Fatal(err)
		}
		want := []router.NextHop{{Gateway: "172.18.0.2", Dev: "eth0"}, {Gateway: "172.30.99.3", Dev: "eth2"}}[i]
		if r, ok := got["192.168.146.68/32"]; !ok || !reflect.DeepEqual(r.NextHops, []router.NextHop{want}) {
			t.Errorf("ip route get line %d: %+v, want 192.168.146.68/32 via %s dev %s", i+1, got, want.Gateway, want.Dev)
		}
	}
}

func TestParseIPRouteForms(t *testing.T) {
	got, err := router.ParseIPRoute(`default via 172.18.0.1 dev eth0
10.0.0.0/8 via 172.18.0.9 dev eth0 metric 200
10.0.0.0/8 via 172.18.0.8 dev eth0 proto static metric 100 onlink
blackhole 192.168.1.0/26 proto bird
`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]router.KernelRoute{
		"0.0.0.0/0":      {NextHops: []router.NextHop{{Gateway: "172.18.0.1", Dev: "eth0"}}},
		"10.0.0.0/8":     {Proto: "static", Metric: 100, NextHops: []router.NextHop{{Gateway: "172.18.0.8", Dev: "eth0"}}},
		"192.168.1.0/26": {Type: "blackhole", Proto: "bird"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseIPRoute:\n got %+v\nwant %+v", got, want)
	}
	for _, in := range []string{"RTNETLINK answers: Operation not permitted", "\tnexthop via 172.18.0.2 dev eth0 weight 1", "10.0.0.0/8 via"} {
		if rs, err := router.ParseIPRoute(in); err == nil {
			t.Errorf("ParseIPRoute(%q) = %+v, nil; want an error", in, rs)
		}
	}
}
