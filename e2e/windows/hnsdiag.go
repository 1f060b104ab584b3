package windows

import (
	"net/netip"
	"regexp"
	"strings"
)

// Hnsdiag is what `hnsdiag list all` (or one of its `list <kind>` forms) printed.
type Hnsdiag struct {
	Networks      []HnsdiagNetwork
	Endpoints     []HnsdiagEndpoint
	Namespaces    []HnsdiagNamespace
	LoadBalancers []HnsdiagLoadBalancer
}

// HnsdiagNetwork is one row of the Networks section.
type HnsdiagNetwork struct {
	Name, ID string
	Line     int
}

// HnsdiagEndpoint is one endpoint, from the Endpoints table (Name, ID, network) or from the
// block layout of newer hnsdiag (Endpoint / Name / IP Address).
type HnsdiagEndpoint struct {
	Name, ID, Network, IPAddress string
	Line                         int
}

// HnsdiagNamespace is one row of the Namespaces section.
type HnsdiagNamespace struct {
	ID          string
	EndpointIDs []string
	Line        int
}

// HnsdiagLoadBalancer is one row of the LoadBalancers section. VIPs is empty for load
// balancers bound to no virtual IP (NodePort-style).
type HnsdiagLoadBalancer struct {
	ID     string
	VIPs   []string
	DIPIDs []string
	Line   int
}

var guidRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// ParseHnsdiag reads hnsdiag list output. Sections are recognized by their header rows, so
// `list all` and the single-kind forms (`list loadbalancers`, `list endpoints`) both parse;
// lines that are neither headers nor rows (prompts, annotations) are skipped.
func ParseHnsdiag(out string) Hnsdiag {
	var d Hnsdiag
	section := ""
	var blockEP *HnsdiagEndpoint
	for i, raw := range textLines(out) {
		ln := i + 1
		line := strings.TrimSpace(raw)
		f := strings.Fields(line)
		low := strings.ToLower(line)
		switch {
		case line == "":
			continue
		case strings.HasSuffix(line, ":") && len(f) == 1:
			section = strings.ToLower(strings.TrimSuffix(line, ":"))
			continue
		case strings.HasPrefix(low, "name") && strings.Contains(low, "virtual network name"):
			section = "endpoints"
			continue
		case len(f) == 2 && strings.EqualFold(f[0], "name") && strings.EqualFold(f[1], "id"):
			section = "networks"
			continue
		case strings.Contains(low, "| virtual ips"):
			section = "loadbalancers"
			continue
		case strings.Contains(low, "| endpoint ids"):
			section = "namespaces"
			continue
		}
		// block layout: "Endpoint : <id>", "Name : ...", "IP Address : ..."
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.Contains(line, "|") {
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			switch strings.ToLower(k) {
			case "endpoint":
				d.Endpoints = append(d.Endpoints, HnsdiagEndpoint{ID: firstField(v), Line: ln})
				blockEP = &d.Endpoints[len(d.Endpoints)-1]
			case "name":
				if blockEP != nil {
					blockEP.Name = firstField(v)
				}
			case "ip address":
				if blockEP != nil {
					if a, err := netip.ParseAddr(firstField(v)); err == nil {
						blockEP.IPAddress = a.String()
					}
				}
			case "virtual network name", "network":
				if blockEP != nil {
					blockEP.Network = v
				}
			}
			continue
		}
		switch section {
		case "networks":
			if id := f[len(f)-1]; guidRE.MatchString(id) && len(f) >= 2 {
				d.Networks = append(d.Networks, HnsdiagNetwork{Name: strings.Join(f[:len(f)-1], " "), ID: id, Line: ln})
			}
		case "endpoints":
			for j, w := range f {
				if guidRE.MatchString(w) && j > 0 {
					d.Endpoints = append(d.Endpoints, HnsdiagEndpoint{
						Name: strings.Join(f[:j], " "), ID: w, Network: strings.Join(f[j+1:], " "), Line: ln})
					break
				}
			}
		case "namespaces":
			cols := strings.Split(line, "|")
			if id := strings.TrimSpace(cols[0]); guidRE.MatchString(id) {
				ns := HnsdiagNamespace{ID: id, Line: ln}
				if len(cols) > 1 {
					ns.EndpointIDs = strings.Fields(cols[1])
				}
				d.Namespaces = append(d.Namespaces, ns)
			}
		case "loadbalancers":
			cols := strings.Split(line, "|")
			if id := strings.TrimSpace(cols[0]); guidRE.MatchString(id) && len(cols) >= 3 {
				d.LoadBalancers = append(d.LoadBalancers, HnsdiagLoadBalancer{
					ID: id, VIPs: strings.Fields(cols[1]), DIPIDs: strings.Fields(cols[2]), Line: ln})
			}
		}
	}
	return d
}

// LoadBalancersFor returns the load balancers whose VIPs include vip.
func (d Hnsdiag) LoadBalancersFor(vip string) []HnsdiagLoadBalancer {
	var out []HnsdiagLoadBalancer
	for _, lb := range d.LoadBalancers {
		for _, v := range lb.VIPs {
			if v == vip {
				out = append(out, lb)
				break
			}
		}
	}
	return out
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
