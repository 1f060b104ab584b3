// Package router is the suite's external BGP router: a container on the kind cluster's Docker
// network running BIRD 1.6 from the nettools image (never pulled). It renders the router's BIRD
// configuration (eBGP to every node, or static routes for modes without BGP), runs the container
// through the docker CLI, reads BIRD's and the kernel's view of the routes, and builds the Calico
// BGPPeer and BGPConfiguration objects that make the cluster peer with it.
package router

import (
	"bytes"
	"cmp"
	"fmt"
	"hash/fnv"
	"net/netip"
	"regexp"
	"strings"
	"text/template"
)

// Defaults of Config.
const (
	// DefaultLocalAS is the router's own AS (a private AS distinct from the cluster's).
	DefaultLocalAS uint32 = 65001
	// DefaultClusterAS is Calico's default AS, which every node uses unless configured otherwise.
	DefaultClusterAS uint32 = 64512
)

// Paths inside the router container.
const (
	ConfigPath = "/etc/bird/bird.conf"
	SocketPath = "/run/bird/bird.ctl"
	// LogPath is BIRD's log (every category); collect it as evidence.
	LogPath = "/var/log/bird.log"
	// Interface is the router's interface on the cluster network (its only network).
	Interface = "eth0"
)

// Config is what the router's BIRD configuration is rendered from.
type Config struct {
	// RouterID is BIRD's router id: the router's IPv4 address on the cluster network. Empty
	// leaves it to BIRD, which takes the lowest address of the router's interfaces: its only
	// one, on the cluster network. That is how Start's configuration is rendered before Docker
	// has given the router its address.
	RouterID string
	// LocalAS is the router's AS; 0 means DefaultLocalAS.
	LocalAS uint32
	// ClusterAS is the nodes' AS for peers that do not set one; 0 means DefaultClusterAS.
	ClusterAS uint32
	// Peers are the cluster nodes the router has an eBGP session with (import all, export none).
	Peers []Peer
	// StaticRoutes are routes for modes without BGP (VXLAN): typically each node's pod block via
	// that node. Several routes to one prefix become one ECMP (multipath) route.
	StaticRoutes []StaticRoute
}

// Peer is one cluster node the router peers with.
type Peer struct {
	// Node is the node's name; the BIRD protocol name is derived from it (ProtocolName).
	Node string
	// IP is the node's IPv4 InternalIP.
	IP string
	// AS is the node's AS; 0 means Config.ClusterAS.
	AS uint32
	// Password, when set, is the TCP MD5 password of the session (the BGPPeer's password secret).
	Password string
}

// StaticRoute is one route of the router's static protocol.
type StaticRoute struct {
	// Prefix is an IPv4 network in CIDR form, e.g. a node's pod block 192.168.95.128/26.
	Prefix string
	// Via is the IPv4 next hop on the cluster network, e.g. that node's InternalIP.
	Via string
}

// maxSymbol is BIRD 1.6's longest symbol (SYM_MAX_LEN).
const maxSymbol = 64

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]`)

// ProtocolName is the BIRD protocol name of the session with a node: "node_" and the node name
// with every character BIRD does not allow in a symbol replaced by "_" (e2e-abc-worker2 ->
// node_e2e_abc_worker2). A name longer than BIRD's 64-character limit is cut and ends with a
// hash of the whole node name, so it stays unique and stable.
func ProtocolName(node string) string {
	id := "node_" + nonIdent.ReplaceAllString(node, "_")
	if len(id) <= maxSymbol {
		return id
	}
	h := fnv.New32a()
	h.Write([]byte(node))
	return fmt.Sprintf("%s_%08x", id[:maxSymbol-9], h.Sum32())
}

// nodeName is what Kubernetes allows in a node name (a DNS subdomain), upper case tolerated.
var nodeName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)

// maxPassword is the longest TCP MD5 key Linux accepts (TCP_MD5SIG_MAXKEYLEN).
const maxPassword = 80

// view is the validated Config as the template reads it.
type view struct {
	RouterID string
	LocalAS  uint32
	Peers    []peerView
	Static   []staticView
}

type peerView struct {
	Protocol, Node, IP, Password string
	AS                           uint32
}

type staticView struct {
	Prefix string
	Via    []string
}

// Render returns the BIRD 1.6 configuration of c, or one error line naming every invalid field.
func Render(c Config) (string, error) {
	v, err := c.view()
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := birdConf.Execute(&b, v); err != nil {
		return "", fmt.Errorf("render BIRD configuration: %w", err)
	}
	return b.String(), nil
}

// Validate reports every invalid field of c, on one line.
func (c Config) Validate() error {
	_, err := c.view()
	return err
}

func (c Config) view() (view, error) {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	v := view{LocalAS: cmp.Or(c.LocalAS, DefaultLocalAS)}
	clusterAS := cmp.Or(c.ClusterAS, DefaultClusterAS)

	if c.RouterID != "" {
		rid, err := parseIPv4("RouterID", c.RouterID, "172.18.0.5")
		if err != nil {
			errs = append(errs, err.Error())
		} else {
			v.RouterID = rid.String()
		}
	}
	if err := validAS("LocalAS", v.LocalAS); err != nil {
		errs = append(errs, err.Error())
	}
	if err := validAS("ClusterAS", clusterAS); err != nil {
		errs = append(errs, err.Error())
	}
	if len(c.Peers) == 0 && len(c.StaticRoutes) == 0 {
		bad("no Peers and no StaticRoutes: the router would learn nothing; give one Peer per node (BGP modes) or one StaticRoute per pod block (VXLAN)")
	}

	byProto, byIP := map[string]string{}, map[string]string{}
	for i, p := range c.Peers {
		what := fmt.Sprintf("Peers[%d]", i)
		if !nodeName.MatchString(p.Node) {
			bad("%s.Node %q is not a node name: want the Kubernetes node name, e.g. e2e-worker", what, p.Node)
			continue
		}
		what = fmt.Sprintf("peer %s", p.Node)
		ip, err := parseIPv4(what+" IP", p.IP, "172.18.0.2")
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		pv := peerView{Protocol: ProtocolName(p.Node), Node: p.Node, IP: ip.String(), AS: cmp.Or(p.AS, clusterAS), Password: p.Password}
		if err := validAS(what+" AS", pv.AS); err != nil {
			errs = append(errs, err.Error())
		}
		if pv.AS == v.LocalAS {
			bad("%s AS %d equals the router's LocalAS: the router peers by eBGP, give it another AS (default %d)", what, pv.AS, DefaultLocalAS)
		}
		if err := validPassword(what, p.Password); err != nil {
			errs = append(errs, err.Error())
		}
		if v.RouterID != "" && pv.IP == v.RouterID {
			bad("%s IP %s is the router's own address (RouterID)", what, pv.IP)
		}
		if other, dup := byProto[pv.Protocol]; dup {
			bad("nodes %s and %s both give the BIRD protocol name %s: rename one", other, p.Node, pv.Protocol)
		}
		if other, dup := byIP[pv.IP]; dup {
			bad("nodes %s and %s have the same IP %s", other, p.Node, pv.IP)
		}
		byProto[pv.Protocol], byIP[pv.IP] = p.Node, p.Node
		v.Peers = append(v.Peers, pv)
	}

	static := map[string]int{} // prefix -> index in v.Static
	for i, r := range c.StaticRoutes {
		what := fmt.Sprintf("StaticRoutes[%d]", i)
		pfx, err := netip.ParsePrefix(r.Prefix)
		switch {
		case err != nil:
			bad("%s.Prefix %q is not a CIDR: want an IPv4 network such as 192.168.95.128/26", what, r.Prefix)
			continue
		case !pfx.Addr().Is4():
			bad("%s.Prefix %q is not IPv4: BIRD 1.6's bird daemon routes IPv4 only", what, r.Prefix)
			continue
		case pfx != pfx.Masked():
			bad("%s.Prefix %q has host bits set: use %s", what, r.Prefix, pfx.Masked())
			continue
		}
		via, err := parseIPv4(what+".Via", r.Via, "172.18.0.2")
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		j, seen := static[pfx.String()]
		if !seen {
			static[pfx.String()] = len(v.Static)
			v.Static = append(v.Static, staticView{Prefix: pfx.String(), Via: []string{via.String()}})
			continue
		}
		for _, have := range v.Static[j].Via {
			if have == via.String() {
				bad("%s repeats the route %s via %s", what, pfx, via)
			}
		}
		v.Static[j].Via = append(v.Static[j].Via, via.String())
	}
	if len(errs) > 0 {
		return view{}, fmt.Errorf("invalid router configuration: %s", strings.Join(errs, "; "))
	}
	return v, nil
}

// parseIPv4 parses an IPv4 address; what names the field and example is a valid value.
func parseIPv4(what, s, example string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, fmt.Errorf("%s is empty: want an IPv4 address such as %s", what, example)
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s %q is not an IP address: want an IPv4 address such as %s", what, s, example)
	}
	if !ip.Is4() {
		return netip.Addr{}, fmt.Errorf("%s %q is not IPv4: BIRD 1.6's bird daemon speaks IPv4 only; want e.g. %s", what, s, example)
	}
	return ip, nil
}

// validAS rejects the AS numbers that are reserved for the protocol itself: 23456 (AS_TRANS,
// RFC 6793) and 4294967295 (RFC 7300). 0 never reaches here (it selects the default).
func validAS(what string, as uint32) error {
	if as == 0 || as == 23456 || as == 4294967295 {
		return fmt.Errorf("%s %d is reserved: want an AS in 1..4294967294 other than 23456, e.g. a private AS in 64512..65534", what, as)
	}
	return nil
}

// validPassword checks what fits in a BIRD 1.6 string (no quote, no escape) and a Linux TCP MD5
// key.
func validPassword(what, pw string) error {
	if len(pw) > maxPassword {
		return fmt.Errorf("%s password is %d bytes: Linux TCP MD5 keys are at most %d", what, len(pw), maxPassword)
	}
	for _, r := range pw {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return fmt.Errorf("%s password holds %q: use printable ASCII without \" and \\", what, r)
		}
	}
	return nil
}

// birdConf is the router's configuration. Symbols and strings come from validated input only.
var birdConf = template.Must(template.New("bird.conf").Parse(`# BIRD 1.6 configuration of the suite's external BGP router, rendered by infra/router.
{{if .RouterID}}router id {{.RouterID}};{{else}}# router id: BIRD takes the router's address on ` + Interface + `.{{end}}
log "` + LogPath + `" all;

protocol device {
	scan time 5;
}

# The cluster network: the nodes' addresses are directly connected.
protocol direct {
	interface "` + Interface + `";
}

# Install every learned route into the router's kernel table; the best routes of equal
# preference to one prefix become one ECMP route.
protocol kernel {
	persist;
	scan time 10;
	merge paths on;
	import none;
	export all;
}
{{- if .Static}}

# Routes for a mode without BGP: each pod block via the node that owns it.
protocol static static_routes {
{{- range .Static}}
	route {{.Prefix}}{{if eq (len .Via) 1}} via {{index .Via 0}}{{else}} multipath{{range .Via}} via {{.}}{{end}}{{end}};
{{- end}}
}
{{- end}}
{{- range .Peers}}

# Node {{.Node}}.
protocol bgp {{.Protocol}} {
	local as {{$.LocalAS}};
	neighbor {{.IP}} as {{.AS}};
{{- if .Password}}
	password "{{.Password}}";
{{- end}}
	import all;
	export none;
}
{{- end}}
`))
