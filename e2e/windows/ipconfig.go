package windows

import (
	"net/netip"
	"regexp"
	"strings"
)

// Adapter is one adapter block of ipconfig or ipconfig /all.
type Adapter struct {
	// Name is the adapter name without its kind: "vEthernet (Ethernet)".
	Name string
	// Kind is the text before the name: "Ethernet adapter".
	Kind        string
	Description string
	// DNSSuffix is the connection-specific DNS suffix ("" when the line is present but empty).
	DNSSuffix  string
	IPv4       []string
	SubnetMask []string
	Gateways   []string
	DNSServers []string
	// Props holds every `Name . . . : Value` line as printed (also localized names), keyed by
	// name, with its line; values of multi-line properties are joined with ",".
	Props map[string]Prop
	Line  int
}

// Has reports whether the block printed the property (English name, as in Props).
func (a Adapter) Has(name string) bool { _, ok := a.Props[name]; return ok }

// IPConfig is ipconfig output: the global section of /all and the adapters.
type IPConfig struct {
	// SearchList is "DNS Suffix Search List" of ipconfig /all.
	SearchList []string
	Adapters   []Adapter
}

// ipconfigPropRE matches "   IPv4 Address. . . . . : 10.0.0.6" and
// "Connection-specific DNS Suffix  . :" (dot leaders, any indentation, any language).
var ipconfigPropRE = regexp.MustCompile(`^\s*(\S.*?)\s*(?:\.\s*)+:(?:\s(.*))?$`)

// adapterRE matches an adapter heading: an unindented line ending in ":" without dot leaders,
// "Ethernet adapter vEthernet (nat):". The kind is the text up to "adapter" where present.
var adapterRE = regexp.MustCompile(`^(\S.*?)\s*:\s*$`)

// ParseIPConfig reads ipconfig and ipconfig /all output. Fields are picked up by their English
// names; on a localized Windows they remain in Adapter.Props under their printed names.
// Address values lose their "(Preferred)" annotation. Continuation lines are kept for
// address-valued properties only when they parse as addresses, so a stray prompt pasted
// after the block is not taken for a DNS server.
func ParseIPConfig(out string) IPConfig {
	var c IPConfig
	var cur *Adapter
	var last string // property the next continuation line belongs to
	global := map[string]Prop{}
	for i, raw := range textLines(out) {
		ln := i + 1
		line := strings.TrimRight(raw, " \t")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if m := ipconfigPropRE.FindStringSubmatch(line); m != nil {
			name, val := m[1], strings.TrimSpace(m[2])
			last = name
			if cur == nil {
				global[name] = Prop{Name: name, Value: val, Line: ln}
				if name == "DNS Suffix Search List" && val != "" {
					c.SearchList = append(c.SearchList, val)
				}
				continue
			}
			cur.Props[name] = Prop{Name: name, Value: val, Line: ln}
			cur.set(name, val)
			continue
		}
		indented := line[0] == ' ' || line[0] == '\t'
		if !indented && !promptRE.MatchString(line) {
			if m := adapterRE.FindStringSubmatch(line); m != nil && !strings.EqualFold(m[1], "Windows IP Configuration") {
				c.Adapters = append(c.Adapters, Adapter{Props: map[string]Prop{}, Line: ln})
				cur = &c.Adapters[len(c.Adapters)-1]
				cur.Kind, cur.Name = splitAdapterHeading(m[1])
				last = ""
				continue
			}
		}
		// continuation of a multi-valued property (more DNS servers, gateways, suffixes)
		v := strings.TrimSpace(line)
		if cur == nil {
			if last == "DNS Suffix Search List" && !strings.ContainsAny(v, " \\>") {
				c.SearchList = append(c.SearchList, v)
			}
			continue
		}
		if a, ok := parseAddr(v); ok && last != "" {
			p := cur.Props[last]
			p.Value += "," + a
			cur.Props[last] = p
			cur.set(last, a)
		}
	}
	return c
}

// set records a value under its English property name.
func (a *Adapter) set(name, val string) {
	addr := func() (string, bool) { return parseAddr(val) }
	switch name {
	case "Description":
		a.Description = val
	case "Connection-specific DNS Suffix":
		a.DNSSuffix = val
	case "IPv4 Address", "IP Address", "Autoconfiguration IPv4 Address":
		if v, ok := addr(); ok {
			a.IPv4 = append(a.IPv4, v)
		}
	case "Subnet Mask":
		if v, ok := addr(); ok {
			a.SubnetMask = append(a.SubnetMask, v)
		}
	case "Default Gateway":
		if v, ok := addr(); ok {
			a.Gateways = append(a.Gateways, v)
		}
	case "DNS Servers":
		if v, ok := addr(); ok {
			a.DNSServers = append(a.DNSServers, v)
		}
	}
}

// parseAddr reads "192.168.122.220(Preferred)" or "fe80::1%12" as an address.
func parseAddr(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "("); i > 0 {
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	return a.String(), true
}

func splitAdapterHeading(h string) (kind, name string) {
	low := strings.ToLower(h)
	if i := strings.Index(low, "adapter "); i >= 0 {
		return strings.TrimSpace(h[:i+len("adapter")]), strings.TrimSpace(h[i+len("adapter "):])
	}
	return "", h
}

// Adapter returns the adapter whose name contains s (case-insensitive), the first if several.
func (c IPConfig) Adapter(s string) (Adapter, bool) {
	for _, a := range c.Adapters {
		if strings.Contains(strings.ToLower(a.Name), strings.ToLower(s)) {
			return a, true
		}
	}
	return Adapter{}, false
}
