package router_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/calico-conformance/e2e/infra/router"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/ from Render")

// bgpConfig is the router of testdata/record-bgp.sh: three nodes (one with an MD5 password) and
// one that does not exist. Its rendering is testdata/render-bgp.golden.conf, the configuration
// the recorded BIRD ran.
var bgpConfig = router.Config{RouterID: "172.18.0.5", Peers: []router.Peer{
	{Node: "rec-control-plane", IP: "172.18.0.4"},
	{Node: "rec-worker", IP: "172.18.0.2"},
	{Node: "rec-worker2", IP: "172.18.0.3", Password: "s3cret-md5"},
	{Node: "rec-gone", IP: "172.18.0.9"},
}}

// staticConfig is the router of testdata/record-static.sh (VXLAN: no BGP): each pod block via
// its node, and a service range over all three nodes.
var staticConfig = router.Config{RouterID: "172.18.0.5", StaticRoutes: []router.StaticRoute{
	{Prefix: "192.168.95.128/26", Via: "172.18.0.2"},
	{Prefix: "192.168.146.64/26", Via: "172.18.0.3"},
	{Prefix: "192.168.240.128/26", Via: "172.18.0.4"},
	{Prefix: "10.96.0.0/16", Via: "172.18.0.2"},
	{Prefix: "10.96.0.0/16", Via: "172.18.0.3"},
	{Prefix: "10.96.0.0/16", Via: "172.18.0.4"},
}}

func TestRenderGolden(t *testing.T) {
	for _, c := range []struct {
		golden string
		cfg    router.Config
	}{
		{"render-bgp.golden.conf", bgpConfig},
		{"render-static.golden.conf", staticConfig},
	} {
		got, err := router.Render(c.cfg)
		if err != nil {
			t.Fatalf("%s: Render: %v", c.golden, err)
		}
		path := filepath.Join("testdata", c.golden)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./infra/router/ -run TestRenderGolden -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("Render() differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
		}
	}
}

// TestRenderSettings checks what the golden files do not show: AS overrides, and BGP and static
// routes in one configuration.
func TestRenderSettings(t *testing.T) {
	got, err := router.Render(router.Config{
		RouterID:     "10.0.0.1",
		LocalAS:      65010,
		ClusterAS:    64600,
		Peers:        []router.Peer{{Node: "a", IP: "10.0.0.2"}, {Node: "b", IP: "10.0.0.3", AS: 64601}},
		StaticRoutes: []router.StaticRoute{{Prefix: "10.96.0.0/16", Via: "10.0.0.2"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"router id 10.0.0.1;",
		"protocol bgp node_a {\n\tlocal as 65010;\n\tneighbor 10.0.0.2 as 64600;\n\timport all;\n\texport none;\n}",
		"protocol bgp node_b {\n\tlocal as 65010;\n\tneighbor 10.0.0.3 as 64601;\n",
		"protocol static static_routes {\n\troute 10.96.0.0/16 via 10.0.0.2;\n}",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Render() lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "password") {
		t.Errorf("Render() sets a password no peer has:\n%s", got)
	}

	// without RouterID BIRD picks the router's address (Start's case)
	got, err = router.Render(router.Config{Peers: []router.Peer{{Node: "a", IP: "10.0.0.2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "router id ") || !strings.Contains(got, "# router id: BIRD takes the router's address on eth0.") {
		t.Errorf("Render() without RouterID sets one, or does not say who picks it:\n%s", got)
	}
}

func TestProtocolName(t *testing.T) {
	ident := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	long := strings.Repeat("very-long-cluster-name-", 4) + "worker"
	for _, c := range []struct{ node, want string }{
		{"e2e-abc-control-plane", "node_e2e_abc_control_plane"},
		{"e2e-abc-worker2", "node_e2e_abc_worker2"},
		{"ip-10-0-0-1.ec2.internal", "node_ip_10_0_0_1_ec2_internal"},
		{"Win-Node", "node_Win_Node"},
		{long, ""},
	} {
		got := router.ProtocolName(c.node)
		if !ident.MatchString(got) {
			t.Errorf("ProtocolName(%q) = %q: not a BIRD symbol of at most 64 characters", c.node, got)
		}
		if c.want != "" && got != c.want {
			t.Errorf("ProtocolName(%q) = %q, want %q", c.node, got, c.want)
		}
	}
	if a, b := router.ProtocolName(long), router.ProtocolName(long+"2"); a == b {
		t.Errorf("two long node names give the same protocol %q", a)
	}
}

func TestRenderErrors(t *testing.T) {
	peer := []router.Peer{{Node: "w", IP: "172.18.0.2"}}
	for _, c := range []struct {
		name string
		cfg  router.Config
		want []string // parts of the one error line
	}{
		{"router id not an IP", router.Config{RouterID: "router", Peers: peer},
			[]string{`RouterID "router" is not an IP address`}},
		{"router id IPv6", router.Config{RouterID: "fd00::1", Peers: peer},
			[]string{`RouterID "fd00::1" is not IPv4`}},
		{"nothing to learn", router.Config{RouterID: "172.18.0.5"},
			[]string{"no Peers and no StaticRoutes"}},
		{"reserved AS", router.Config{RouterID: "172.18.0.5", LocalAS: 23456, Peers: peer},
			[]string{"LocalAS 23456 is reserved: want an AS in 1..4294967294 other than 23456"}},
		{"max AS", router.Config{RouterID: "172.18.0.5", Peers: []router.Peer{{Node: "w", IP: "172.18.0.2", AS: 4294967295}}},
			[]string{"peer w AS 4294967295 is reserved"}},
		{"iBGP", router.Config{RouterID: "172.18.0.5", LocalAS: 64512, Peers: peer},
			[]string{"peer w AS 64512 equals the router's LocalAS: the router peers by eBGP"}},
		{"bad node name", router.Config{RouterID: "172.18.0.5", Peers: []router.Peer{{Node: "a b", IP: "172.18.0.2"}}},
			[]string{`Peers[0].Node "a b" is not a node name`}},
		{"bad peer IP", router.Config{RouterID: "172.18.0.5", Peers: []router.Peer{{Node: "w", IP: "172.18.0.300"}}},
			[]string{`peer w IP "172.18.0.300" is not an IP address`}},
		{"peer is the router", router.Config{RouterID: "172.18.0.2", Peers: peer},
			[]string{"peer w IP 172.18.0.2 is the router's own address"}},
		{"duplicates", router.Config{RouterID: "172.18.0.5", Peers: []router.Peer{
			{Node: "a-b", IP: "172.18.0.2"}, {Node: "a.b", IP: "172.18.0.3"}, {Node: "c", IP: "172.18.0.3"}}},
			[]string{"nodes a-b and a.b both give the BIRD protocol name node_a_b", "nodes a.b and c have the same IP 172.18.0.3"}},
		{"password quote", router.Config{RouterID: "172.18.0.5", Peers: []router.Peer{{Node: "w", IP: "172.18.0.2", Password: `a"b`}}},
			[]string{`peer w password holds '"': use printable ASCII without " and \`}},
		{"password too long", router.Config{RouterID: "172.18.0.5", Peers: []router.Peer{{Node: "w", IP: "172.18.0.2", Password: strings.Repeat("x", 81)}}},
			[]string{"peer w password is 81 bytes: Linux TCP MD5 keys are at most 80"}},
		{"static host bits", router.Config{RouterID: "172.18.0.5", StaticRoutes: []router.StaticRoute{{Prefix: "192.168.95.130/26", Via: "172.18.0.2"}}},
			[]string{`StaticRoutes[0].Prefix "192.168.95.130/26" has host bits set: use 192.168.95.128/26`}},
		{"static not CIDR", router.Config{RouterID: "172.18.0.5", StaticRoutes: []router.StaticRoute{{Prefix: "192.168.95.128", Via: "172.18.0.2"}}},
			[]string{`StaticRoutes[0].Prefix "192.168.95.128" is not a CIDR`}},
		{"static via missing", router.Config{RouterID: "172.18.0.5", StaticRoutes: []router.StaticRoute{{Prefix: "10.96.0.0/16"}}},
			[]string{"StaticRoutes[0].Via is empty"}},
		{"static repeated", router.Config{RouterID: "172.18.0.5", StaticRoutes: []router.StaticRoute{
			{Prefix: "10.96.0.0/16", Via: "172.18.0.2"}, {Prefix: "10.96.0.0/16", Via: "172.18.0.2"}}},
			[]string{"StaticRoutes[1] repeats the route 10.96.0.0/16 via 172.18.0.2"}},
	} {
		out, err := router.Render(c.cfg)
		if err == nil {
			t.Errorf("%s: Render() = nil error, want %q; rendered:\n%s", c.name, c.want, out)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "invalid router configuration: ") || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q is not one line starting with \"invalid router configuration: \"", c.name, msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q lacks %q", c.name, msg, w)
			}
		}
		if out != "" {
			t.Errorf("%s: Render() returned a configuration with its error", c.name)
		}
		if verr := c.cfg.Validate(); verr == nil || verr.Error() != msg {
			t.Errorf("%s: Validate() = %v, want Render's error", c.name, verr)
		}
	}
}
