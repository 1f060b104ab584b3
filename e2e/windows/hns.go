package windows

import (
	"fmt"
	"strings"
)

// Policy is one HNS policy of a network, subnet, endpoint or policy list, e.g. a
// RemoteSubnetRoute, OutBoundNAT, ROUTE, PA, ACL or ELB policy.
type Policy struct {
	Type string
	// Settings holds the scalar settings as printed ("DestinationPrefix": "10.96.0.0/12").
	Settings map[string]string
	// Lists holds list settings whose items are known (from JSON, or "{a, b}" in list output).
	Lists map[string][]string
	// Truncated: the list layout cut this policy short; settings may be missing.
	Truncated bool
}

// Get returns a scalar setting (case-insensitive name), or "".
func (p Policy) Get(name string) string {
	for k, v := range p.Settings {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// List returns a list setting and whether its items are known. They are unknown when the
// setting is absent or PowerShell's list layout collapsed it to "System.Object[]".
func (p Policy) List(name string) ([]string, bool) {
	for k, v := range p.Lists {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// policiesFromText reads the Policies value of a list record.
func policiesFromText(s string) (ps []Policy, truncated bool) {
	objs, truncated := parsePSObjects(s)
	for _, o := range objs {
		p := Policy{Settings: map[string]string{}, Lists: map[string][]string{}, Truncated: o.Truncated}
		for k, v := range o.Fields {
			switch {
			case strings.EqualFold(k, "Type"):
				p.Type = v
			case strings.HasPrefix(v, "{"):
				if items, _, known := parsePSList(v); known {
					p.Lists[k] = items
				}
			default:
				p.Settings[k] = v
			}
		}
		ps = append(ps, p)
	}
	return ps, truncated
}

// policiesFromJSON reads a JSON Policies array.
func policiesFromJSON(v any) []Policy {
	arr, _ := v.([]any)
	var ps []Policy
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		p := Policy{Settings: map[string]string{}, Lists: map[string][]string{}}
		for k, val := range m {
			switch t := val.(type) {
			case []any:
				p.Lists[k] = jsonStrings(t)
			default:
				if strings.EqualFold(k, "Type") {
					p.Type = jsonString(t)
				} else {
					p.Settings[k] = jsonString(t)
				}
			}
		}
		ps = append(ps, p)
	}
	return ps
}

// Subnet is one subnet of an HNS network.
type Subnet struct {
	AddressPrefix, GatewayAddress string
	// Policies are known only from JSON; the list layout prints them as System.Object[].
	Policies []Policy
}

// Network is one HNS network from Get-HnsNetwork.
type Network struct {
	ID, Name, Type     string
	ManagementIP       string
	NetworkAdapterName string
	DrMacAddress       string
	Subnets            []Subnet
	Policies           []Policy
	// PoliciesTruncated: the list layout cut the Policies enumeration ("...}", four items by
	// default), so a policy missing from Policies may still exist.
	PoliciesTruncated bool
	// Lines maps each property printed to its line; a property absent from the output is
	// absent here.
	Lines map[string]int
}

// Has reports whether the output showed the property.
func (n Network) Has(name string) bool { _, ok := n.Lines[name]; return ok }

// RemoteSubnetRoutes returns the network's RemoteSubnetRoute policies: one per remote pod
// block of an overlay network.
func (n Network) RemoteSubnetRoutes() []Policy {
	var out []Policy
	for _, p := range n.Policies {
		if strings.EqualFold(p.Type, "RemoteSubnetRoute") {
			out = append(out, p)
		}
	}
	return out
}

// ParseHnsNetworks reads Get-HnsNetwork output, as JSON (ConvertTo-Json) or in the list layout.
func ParseHnsNetworks(out string) ([]Network, error) {
	if looksJSON(out) {
		doc, err := parseJSONDoc(out)
		if err != nil {
			return nil, fmt.Errorf("Get-HnsNetwork JSON: %w", err)
		}
		var nets []Network
		for i, m := range doc.Objects {
			n := Network{
				ID: jsonField(m, "ID"), Name: jsonField(m, "Name"), Type: jsonField(m, "Type"),
				ManagementIP: jsonField(m, "ManagementIP"), NetworkAdapterName: jsonField(m, "NetworkAdapterName"),
				DrMacAddress: jsonField(m, "DrMacAddress"), PoliciesTruncated: doc.Repaired, Lines: doc.Lines[i],
			}
			if v, ok := jsonGet(m, "Policies"); ok {
				n.Policies = policiesFromJSON(v)
			}
			if v, ok := jsonGet(m, "Subnets"); ok {
				arr, _ := v.([]any)
				for _, e := range arr {
					if sm, ok := e.(map[string]any); ok {
						s := Subnet{AddressPrefix: jsonField(sm, "AddressPrefix"), GatewayAddress: jsonField(sm, "GatewayAddress")}
						if pv, ok := jsonGet(sm, "Policies"); ok {
							s.Policies = policiesFromJSON(pv)
						}
						n.Subnets = append(n.Subnets, s)
					}
				}
			}
			nets = append(nets, n)
		}
		return nets, nil
	}
	var nets []Network
	for _, r := range ParseList(out) {
		if _, ok := r.Get("ID"); !ok {
			continue
		}
		n := Network{
			ID: r.Value("ID"), Name: r.Value("Name"), Type: r.Value("Type"),
			ManagementIP: r.Value("ManagementIP"), NetworkAdapterName: r.Value("NetworkAdapterName"),
			DrMacAddress: r.Value("DrMacAddress"), Lines: r.lines(),
		}
		n.Policies, n.PoliciesTruncated = policiesFromText(r.Value("Policies"))
		objs, _ := parsePSObjects(r.Value("Subnets"))
		for _, o := range objs {
			n.Subnets = append(n.Subnets, Subnet{AddressPrefix: o.Fields["AddressPrefix"], GatewayAddress: o.Fields["GatewayAddress"]})
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// FindNetwork returns the network named name (case-insensitive).
func FindNetwork(nets []Network, name string) (Network, bool) {
	for _, n := range nets {
		if strings.EqualFold(n.Name, name) {
			return n, true
		}
	}
	return Network{}, false
}

// Endpoint is one HNS endpoint from Get-HnsEndpoint.
type Endpoint struct {
	ID, Name, Type     string
	IPAddress          string
	PrefixLength       string
	GatewayAddress     string
	MacAddress         string
	VirtualNetworkName string
	DNSServerList      []string
	DNSSuffix          []string
	// IsRemoteEndpoint marks endpoints kube-proxy creates for remote service backends.
	IsRemoteEndpoint  bool
	Policies          []Policy
	PoliciesTruncated bool
	// Lines maps each property printed to its line.
	Lines map[string]int
}

// Has reports whether the output showed the property.
func (e Endpoint) Has(name string) bool { _, ok := e.Lines[name]; return ok }

// PoliciesOf returns the endpoint's policies of type typ (case-insensitive).
func (e Endpoint) PoliciesOf(typ string) []Policy {
	var out []Policy
	for _, p := range e.Policies {
		if strings.EqualFold(p.Type, typ) {
			out = append(out, p)
		}
	}
	return out
}

// ParseHnsEndpoints reads Get-HnsEndpoint output, as JSON or in the list layout. JSON that an
// author trimmed with "..." lines is read as far as it goes; those endpoints have
// PoliciesTruncated set.
func ParseHnsEndpoints(out string) ([]Endpoint, error) {
	if looksJSON(out) {
		doc, err := parseJSONDoc(out)
		if err != nil {
			return nil, fmt.Errorf("Get-HnsEndpoint JSON: %w", err)
		}
		var eps []Endpoint
		for i, m := range doc.Objects {
			e := Endpoint{
				ID: jsonField(m, "ID"), Name: jsonField(m, "Name"), Type: jsonField(m, "Type"),
				IPAddress: jsonField(m, "IPAddress"), PrefixLength: jsonField(m, "PrefixLength"),
				GatewayAddress: jsonField(m, "GatewayAddress"), MacAddress: jsonField(m, "MacAddress"),
				VirtualNetworkName: jsonField(m, "VirtualNetworkName"),
				DNSServerList:      jsonCommaList(m, "DNSServerList"),
				DNSSuffix:          jsonCommaList(m, "DNSSuffix"),
				IsRemoteEndpoint:   strings.EqualFold(jsonField(m, "IsRemoteEndpoint"), "True"),
				PoliciesTruncated:  doc.Repaired, Lines: doc.Lines[i],
			}
			if v, ok := jsonGet(m, "Policies"); ok {
				e.Policies = policiesFromJSON(v)
			}
			eps = append(eps, e)
		}
		return eps, nil
	}
	var eps []Endpoint
	for _, r := range ParseList(out) {
		if _, ok := r.Get("ID"); !ok {
			continue
		}
		e := Endpoint{
			ID: r.Value("ID"), Name: r.Value("Name"), Type: r.Value("Type"),
			IPAddress: r.Value("IPAddress"), PrefixLength: r.Value("PrefixLength"),
			GatewayAddress: r.Value("GatewayAddress"), MacAddress: r.Value("MacAddress"),
			VirtualNetworkName: r.Value("VirtualNetworkName"),
			DNSServerList:      splitComma(r.Value("DNSServerList")),
			DNSSuffix:          splitComma(r.Value("DNSSuffix")),
			IsRemoteEndpoint:   strings.EqualFold(r.Value("IsRemoteEndpoint"), "True"),
			Lines:              r.lines(),
		}
		e.Policies, e.PoliciesTruncated = policiesFromText(r.Value("Policies"))
		eps = append(eps, e)
	}
	return eps, nil
}

// PolicyList is one HNS policy list from Get-HnsPolicyList: a kube-proxy load balancer (ELB
// policy) and the endpoints it balances over.
type PolicyList struct {
	ID        string
	IsApplied string
	Policies  []Policy
	// References are endpoint paths ("/endpoints/<id>").
	References          []string
	ReferencesTruncated bool
	Lines               map[string]int
}

// ParseHnsPolicyLists reads Get-HnsPolicyList output, as JSON or in the list layout.
func ParseHnsPolicyLists(out string) ([]PolicyList, error) {
	if looksJSON(out) {
		doc, err := parseJSONDoc(out)
		if err != nil {
			return nil, fmt.Errorf("Get-HnsPolicyList JSON: %w", err)
		}
		var pls []PolicyList
		for i, m := range doc.Objects {
			pl := PolicyList{ID: jsonField(m, "ID"), IsApplied: jsonField(m, "IsApplied"), Lines: doc.Lines[i]}
			if v, ok := jsonGet(m, "Policies"); ok {
				pl.Policies = policiesFromJSON(v)
			}
			if v, ok := jsonGet(m, "References"); ok {
				pl.References = jsonStrings(v)
			}
			pls = append(pls, pl)
		}
		return pls, nil
	}
	var pls []PolicyList
	for _, r := range ParseList(out) {
		if _, ok := r.Get("ID"); !ok {
			continue
		}
		pl := PolicyList{ID: r.Value("ID"), IsApplied: r.Value("IsApplied"), Lines: r.lines()}
		pl.Policies, _ = policiesFromText(r.Value("Policies"))
		pl.References, pl.ReferencesTruncated, _ = parsePSList(r.Value("References"))
		pls = append(pls, pl)
	}
	return pls, nil
}

// jsonField returns a top-level scalar of a JSON object as text.
func jsonField(m map[string]any, key string) string {
	v, _ := jsonGet(m, key)
	return jsonString(v)
}
