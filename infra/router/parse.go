package router

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Protocol is one protocol of BIRD 1.6's `show protocols` or `show protocols all`. The BGP
// fields are set for BGP protocols of `show protocols all` only.
type Protocol struct {
	Name  string // e.g. node_e2e_worker
	Proto string // BGP, Kernel, Device, Direct, Static
	Table string
	State string // up, start, down
	Since string // time of the last state change, as BIRD prints it
	// Info is BIRD's summary: for BGP the session state (Established, Active, Connect, OpenSent,
	// ...), followed by the last error in the short form ("Active Socket: No route to host").
	Info string

	// Imported and Exported are the route counts of the "Routes:" line.
	Imported, Exported int
	// BGPState is the "BGP state:" line (Established, Active, Connect, ...).
	BGPState string
	// NeighborAddress and NeighborAS are the configured peer.
	NeighborAddress string
	NeighborAS      uint32
	// NeighborID is the peer's router id, known once the session is up.
	NeighborID string
	// LastError is the "Last error:" line, e.g. "Socket: Connection refused" or
	// "Received: Bad peer AS".
	LastError string
}

// Established reports whether the protocol is a BGP session that is up and exchanging routes.
func (p Protocol) Established() bool {
	return p.Proto == "BGP" && p.State == "up" && strings.HasPrefix(p.Info, "Established")
}

// protocolsHeader starts the table of `show protocols`.
const protocolsHeader = "name proto table state since info"

// ParseProtocols reads `birdc show protocols` or `birdc show protocols all` of BIRD 1.6 and
// returns every protocol in BIRD's order. Output without the table header (birdc printed an
// error instead) is an error.
func ParseProtocols(out string) ([]Protocol, error) {
	var ps []Protocol
	header := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, " \t\r")
		switch {
		case line == "" || strings.HasPrefix(line, "BIRD ") && strings.HasSuffix(line, " ready."):
			continue
		case strings.Join(strings.Fields(line), " ") == protocolsHeader:
			header = true
			continue
		case !header:
			return nil, fmt.Errorf("not BIRD's protocol table (no %q header): %q", protocolsHeader, line)
		case line[0] != ' ' && line[0] != '\t':
			p, err := parseProtocolLine(line)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
			continue
		}
		if len(ps) == 0 {
			return nil, fmt.Errorf("protocol detail before any protocol: %q", line)
		}
		if err := ps[len(ps)-1].detail(line); err != nil {
			return nil, err
		}
	}
	if !header {
		return nil, fmt.Errorf("not BIRD's protocol table (no %q header) in %q", protocolsHeader, strings.TrimSpace(out))
	}
	return ps, nil
}

// parseProtocolLine reads "name proto table state since info...".
func parseProtocolLine(line string) (Protocol, error) {
	f := strings.Fields(line)
	if len(f) < 5 {
		return Protocol{}, fmt.Errorf("protocol line with %d fields, want name proto table state since [info]: %q", len(f), line)
	}
	p := Protocol{Name: f[0], Proto: f[1], Table: f[2], State: f[3], Since: f[4]}
	rest := f[5:]
	// a "timeformat protocol" with a date prints the time as a second field
	if len(rest) > 0 && isTime(rest[0]) {
		p.Since += " " + rest[0]
		rest = rest[1:]
	}
	p.Info = strings.Join(rest, " ")
	return p, nil
}

// isTime reports whether s looks like a time of day (15:04:05, 15:04:05.000).
func isTime(s string) bool {
	return len(s) >= 5 && s[2] == ':' && strings.Trim(s, "0123456789:.") == ""
}

// detail reads one indented "Key: value" line of `show protocols all`.
func (p *Protocol) detail(line string) error {
	key, val, ok := strings.Cut(strings.TrimSpace(line), ":")
	if !ok {
		return nil // the column titles of "Route change stats"
	}
	val = strings.TrimSpace(val)
	switch key {
	case "Routes":
		// "3 imported, 0 exported, 1 preferred" (and "N filtered" with import keep filtered)
		for _, part := range strings.Split(val, ",") {
			f := strings.Fields(part)
			if len(f) != 2 {
				continue
			}
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return fmt.Errorf("protocol %s: Routes %q: %w", p.Name, val, err)
			}
			switch f[1] {
			case "imported":
				p.Imported = n
			case "exported":
				p.Exported = n
			}
		}
	case "BGP state":
		p.BGPState = val
	case "Neighbor address":
		p.NeighborAddress, _, _ = strings.Cut(val, "%") // "%eth0" for link-local peers
	case "Neighbor AS":
		as, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return fmt.Errorf("protocol %s: Neighbor AS %q: %w", p.Name, val, err)
		}
		p.NeighborAS = uint32(as)
	case "Neighbor ID":
		p.NeighborID = val
	case "Last error":
		p.LastError = val
	}
	return nil
}

// NextHop is one next hop of a route: a gateway on an interface, or an interface alone for a
// directly connected network.
type NextHop struct {
	Gateway string // IPv4 address; "" for a device route
	Dev     string
	Weight  int // ECMP weight as printed (1 is BIRD's and the kernel's default); 0 when not printed
}

// Route is one candidate route to a prefix in BIRD's table, from `show route` or
// `show route all`.
type Route struct {
	// Proto is the protocol the route came from, e.g. node_e2e_worker or static_routes. It is ""
	// when the route line is missing from the output (see ParseRoutes).
	Proto string
	Since string
	// Primary is BIRD's "*" (or "!" when the kernel sync failed): the route it prefers and
	// exports. With "merge paths on" the kernel protocol adds equal alternatives as ECMP.
	Primary bool
	// NextHops is the gateway of a "via" route, every gateway of a "multipath" route, or the
	// interface of a "dev" route.
	NextHops []NextHop
	// Special is blackhole, unreachable or prohibited for routes without a next hop.
	Special string
	// Pref is the route's preference (100 for BGP, 200 static, 240 direct).
	Pref int
	// Info is what the protocol adds after the preference; for BGP "[AS64512i]" (the origin AS
	// and origin).
	Info string
	// Attrs are the attribute lines of `show route all`: Type, BGP.origin, BGP.as_path,
	// BGP.next_hop, BGP.local_pref, ...
	Attrs map[string]string
}

// BGPNextHop is the route's BGP.next_hop attribute: the node a BGP peer names as next hop.
func (r Route) BGPNextHop() string { return r.Attrs["BGP.next_hop"] }

// ASPath is the route's BGP.as_path attribute.
func (r Route) ASPath() string { return r.Attrs["BGP.as_path"] }

// ParseRoutes reads `birdc show route` or `birdc show route all` of BIRD 1.6 into candidate
// routes per prefix (canonical CIDR), in BIRD's order: the primary first. BIRD prints the
// prefix on a prefix's first route only; its alternatives follow on lines that start with
// spaces, each followed by its own attribute lines. Output filtered to some attribute lines
// (`grep -E "^[0-9]|BGP.as_path|BGP.next_hop"`, as in the recorded bgp-ingress.log) keeps the
// alternatives' attributes but not their route lines: an attribute that repeats on the current
// route then starts a candidate with an empty Proto, so the count of candidates and their BGP
// next hops survive.
func ParseRoutes(out string) (map[string][]Route, error) {
	routes := map[string][]Route{}
	var prefix, lastKey string
	cur := func() *Route {
		rs := routes[prefix]
		return &rs[len(rs)-1]
	}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, " \t\r")
		switch {
		case line == "" || strings.HasPrefix(line, "BIRD ") && strings.HasSuffix(line, " ready."):
		case line[0] == '\t':
			if prefix == "" {
				return nil, fmt.Errorf("route attribute before any route: %q", line)
			}
			body := strings.TrimSpace(line)
			if strings.HasPrefix(body, "via ") { // one next hop of a multipath route
				nh, err := birdNextHop(strings.Fields(body))
				if err != nil {
					return nil, fmt.Errorf("%s: %w", prefix, err)
				}
				cur().NextHops = append(cur().NextHops, nh)
				continue
			}
			key, val, ok := strings.Cut(body, ": ")
			switch {
			case strings.HasSuffix(body, ":"): // an empty attribute
				key, val = strings.TrimSuffix(body, ":"), ""
			case !ok && lastKey != "": // a long attribute (a community list) goes on
				cur().Attrs[lastKey] += " " + body
				continue
			case !ok:
				return nil, fmt.Errorf("%s: route attribute without a name: %q", prefix, line)
			}
			lastKey = key
			if _, repeated := cur().Attrs[key]; repeated {
				routes[prefix] = append(routes[prefix], Route{})
			}
			if cur().Attrs == nil {
				cur().Attrs = map[string]string{}
			}
			cur().Attrs[key] = strings.TrimSpace(val)
		case line[0] == ' ':
			if prefix == "" {
				return nil, fmt.Errorf("alternative route before any prefix: %q", line)
			}
			r, err := parseRouteLine(strings.TrimSpace(line))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", prefix, err)
			}
			routes[prefix] = append(routes[prefix], r)
			lastKey = ""
		default:
			f, rest, _ := strings.Cut(line, " ")
			p, err := canonicalPrefix(f)
			if err != nil {
				return nil, fmt.Errorf("not a BIRD route line: %q", line)
			}
			r, err := parseRouteLine(strings.TrimSpace(rest))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			prefix, lastKey = p, ""
			routes[prefix] = append(routes[prefix], r)
		}
	}
	return routes, nil
}

// parseRouteLine reads what follows the prefix: "via 172.18.0.2 on eth0 [node_x 18:08:08] *
// (100) [AS64512i]", "dev eth0 [direct1 18:08:06] * (240)", "multipath [static1 ...] * (200)",
// "blackhole [static1 ...] (200)".
func parseRouteLine(s string) (Route, error) {
	dest, rest, ok := strings.Cut(s, " [")
	if !ok {
		return Route{}, fmt.Errorf("no [protocol time] in route %q", s)
	}
	src, rest, ok := strings.Cut(rest, "]")
	if !ok {
		return Route{}, fmt.Errorf("unterminated [protocol time] in route %q", s)
	}
	var r Route
	sf := strings.Fields(src) // "node_x 18:08:08" or "node_x 18:08:08 from 10.0.0.1"
	if len(sf) == 0 {
		return Route{}, fmt.Errorf("no protocol in route %q", s)
	}
	r.Proto = sf[0]
	if len(sf) > 1 {
		r.Since = sf[1]
	}
	df := strings.Fields(dest)
	switch {
	case len(df) == 0:
		return Route{}, fmt.Errorf("no destination in route %q", s)
	case df[0] == "via":
		nh, err := birdNextHop(df)
		if err != nil {
			return Route{}, err
		}
		r.NextHops = []NextHop{nh}
	case df[0] == "dev" && len(df) == 2:
		r.NextHops = []NextHop{{Dev: df[1]}}
	case df[0] == "multipath" && len(df) == 1: // the next hops follow on "\tvia" lines
	case len(df) == 1:
		r.Special = df[0]
	default:
		return Route{}, fmt.Errorf("unknown destination %q in route %q", dest, s)
	}
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "*") || strings.HasPrefix(rest, "!") {
		r.Primary = true
		rest = strings.TrimSpace(rest[1:])
	}
	if strings.HasPrefix(rest, "(") {
		pref, info, ok := strings.Cut(rest[1:], ")")
		if !ok {
			return Route{}, fmt.Errorf("unterminated preference in route %q", s)
		}
		pref, _, _ = strings.Cut(pref, "/") // "(100/20)": preference / IGP metric
		n, err := strconv.Atoi(pref)
		if err != nil {
			return Route{}, fmt.Errorf("preference %q in route %q: %w", pref, s, err)
		}
		r.Pref, r.Info = n, strings.TrimSpace(info)
	}
	return r, nil
}

// birdNextHop reads "via 172.18.0.2 on eth0 [weight 1]".
func birdNextHop(f []string) (NextHop, error) {
	if len(f) < 4 || f[0] != "via" || f[2] != "on" {
		return NextHop{}, fmt.Errorf("next hop %q, want via <ip> on <interface>", strings.Join(f, " "))
	}
	nh := NextHop{Gateway: f[1], Dev: f[3]}
	if len(f) == 6 && f[4] == "weight" {
		w, err := strconv.Atoi(f[5])
		if err != nil {
			return NextHop{}, fmt.Errorf("next hop weight %q: %w", f[5], err)
		}
		nh.Weight = w
	}
	return nh, nil
}

// KernelRoute is one route of the router's kernel table, from `ip route`.
type KernelRoute struct {
	// Type is the route type when ip prints one (blackhole, unreachable, local, ...); "" for
	// unicast.
	Type string
	// Proto is who installed it: bird for learned routes, kernel for the connected network.
	Proto    string
	Metric   int
	NextHops []NextHop
}

// routeTypes are the route types `ip route` prints before the destination.
var routeTypes = map[string]bool{
	"unicast": true, "local": true, "broadcast": true, "multicast": true, "throw": true,
	"unreachable": true, "prohibit": true, "blackhole": true, "nat": true, "anycast": true,
}

// ipRouteKeys are the `ip route` keywords followed by a value; other words are flags.
var ipRouteKeys = map[string]bool{
	"via": true, "dev": true, "proto": true, "scope": true, "src": true, "metric": true,
	"table": true, "weight": true, "from": true, "uid": true, "nhid": true, "mtu": true,
	"expires": true, "pref": true, "tos": true, "realm": true, "realms": true, "advmss": true,
	"hoplimit": true, "initcwnd": true, "initrwnd": true, "rtt": true, "rttvar": true,
}

// ParseIPRoute reads `ip route` (also `ip route get` lines) into routes per destination
// (canonical CIDR: "default" is 0.0.0.0/0, an address is a /32). An ECMP route prints its next
// hops on the following "nexthop via ... dev ... weight N" lines. When a destination is listed
// twice (different metrics), the lower metric wins: it is the one the kernel uses.
func ParseIPRoute(out string) (map[string]KernelRoute, error) {
	routes := map[string]KernelRoute{}
	var dst string
	var cur *KernelRoute
	flush := func() {
		if cur == nil {
			return
		}
		if old, ok := routes[dst]; !ok || cur.Metric < old.Metric {
			routes[dst] = *cur
		}
		cur = nil
	}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if line[0] == ' ' || line[0] == '\t' {
			if f[0] != "nexthop" { // "cache" and other continuation lines of `ip route get`
				continue
			}
			if cur == nil {
				return nil, fmt.Errorf("nexthop line before any route: %q", line)
			}
			var nh NextHop
			if err := ipRouteFields(f[1:], nil, &nh); err != nil {
				return nil, fmt.Errorf("%q: %w", line, err)
			}
			cur.NextHops = append(cur.NextHops, nh)
			continue
		}
		flush()
		r := KernelRoute{}
		if routeTypes[f[0]] {
			r.Type, f = f[0], f[1:]
			if r.Type == "unicast" {
				r.Type = ""
			}
		}
		if len(f) == 0 {
			return nil, fmt.Errorf("route without destination: %q", line)
		}
		p, err := canonicalPrefix(f[0])
		if err != nil {
			return nil, fmt.Errorf("not an ip route line: %q", line)
		}
		var nh NextHop
		if err := ipRouteFields(f[1:], &r, &nh); err != nil {
			return nil, fmt.Errorf("%q: %w", line, err)
		}
		if nh.Gateway != "" || nh.Dev != "" {
			r.NextHops = []NextHop{nh}
		}
		dst, cur = p, &r
	}
	flush()
	return routes, nil
}

// ipRouteFields reads "key value" pairs and flags of an `ip route` line into r (route-wide
// keys, when r is not nil) and nh (next hop keys).
func ipRouteFields(f []string, r *KernelRoute, nh *NextHop) error {
	for i := 0; i < len(f); i++ {
		k := f[i]
		if !ipRouteKeys[k] {
			continue // onlink, linkdown, dead, pervasive, ...
		}
		if i+1 == len(f) {
			return fmt.Errorf("%s without a value", k)
		}
		i++
		v := f[i]
		switch k {
		case "via":
			if (v == "inet" || v == "inet6") && i+1 < len(f) { // "via inet6 fe80::1"
				i++
				v = f[i]
			}
			nh.Gateway = v
		case "dev":
			nh.Dev = v
		case "weight":
			w, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("weight %q: %w", v, err)
			}
			nh.Weight = w
		case "proto":
			if r != nil {
				r.Proto = v
			}
		case "metric":
			if r != nil {
				m, err := strconv.Atoi(v)
				if err != nil {
					return fmt.Errorf("metric %q: %w", v, err)
				}
				r.Metric = m
			}
		}
	}
	return nil
}

// canonicalPrefix returns s as a masked CIDR: "default" is 0.0.0.0/0 and an address its /32
// (or /128).
func canonicalPrefix(s string) (string, error) {
	if s == "default" {
		return "0.0.0.0/0", nil
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return "", err
		}
		return netip.PrefixFrom(a, a.BitLen()).String(), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", err
	}
	return p.Masked().String(), nil
}
