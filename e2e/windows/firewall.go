package windows

import (
	"fmt"
	"strconv"
	"strings"
)

// FirewallRule is one Windows Firewall rule with the protocol and local port of its port
// filter when the output had them (Get-NetFirewallRule alone does not show them).
type FirewallRule struct {
	Name, DisplayName string
	// Enabled is "True" or "False"; Direction "Inbound" or "Outbound"; Action "Allow" or
	// "Block". Raw CIM enum numbers from JSON are turned into these names.
	Enabled, Direction, Action string
	// Protocol ("UDP", "17", "Any") and LocalPort ("4789", "Any", "4789-4790") are "" when
	// unknown.
	Protocol, LocalPort string
	Line                int
}

// ParseFirewallRules reads firewall rules: the JSON the collector asks for (rule fields plus
// Protocol and LocalPort of its port filter) or the list layout of Get-/New-NetFirewallRule.
func ParseFirewallRules(out string) ([]FirewallRule, error) {
	if looksJSON(out) {
		doc, err := parseJSONDoc(out)
		if err != nil {
			return nil, fmt.Errorf("firewall rules JSON: %w", err)
		}
		var rs []FirewallRule
		for i, m := range doc.Objects {
			rs = append(rs, FirewallRule{
				Name: jsonField(m, "Name"), DisplayName: jsonField(m, "DisplayName"),
				Enabled:   enumName(jsonField(m, "Enabled"), map[string]string{"1": "True", "2": "False"}),
				Direction: enumName(jsonField(m, "Direction"), map[string]string{"1": "Inbound", "2": "Outbound"}),
				Action:    enumName(jsonField(m, "Action"), map[string]string{"0": "NotConfigured", "2": "Allow", "4": "Block"}),
				Protocol:  jsonField(m, "Protocol"), LocalPort: strings.Join(jsonStrings(mustGet(m, "LocalPort")), ","),
				Line: doc.Lines[i]["Name"],
			})
		}
		return rs, nil
	}
	var rs []FirewallRule
	for _, r := range ParseList(out) {
		if _, ok := r.Get("Name"); !ok {
			continue
		}
		p, _ := r.Get("Name")
		rs = append(rs, FirewallRule{
			Name: r.Value("Name"), DisplayName: r.Value("DisplayName"), Enabled: r.Value("Enabled"),
			Direction: r.Value("Direction"), Action: r.Value("Action"),
			Protocol: r.Value("Protocol"), LocalPort: r.Value("LocalPort"), Line: p.Line,
		})
	}
	return rs, nil
}

// enumName maps a CIM enum number (MSFT_NetFirewallRule: Enabled 1/2, Direction 1/2, Action
// 2/4) to its name; names pass through.
func enumName(v string, names map[string]string) string {
	if n, ok := names[v]; ok {
		return n
	}
	return v
}

func mustGet(m map[string]any, key string) any {
	v, _ := jsonGet(m, key)
	return v
}

// allowsUDPPort reports whether an enabled inbound allow rule lets UDP port in, and whether
// that could be told from the rule (false when protocol and port are unknown).
func (r FirewallRule) allowsUDPPort(port int) (allows, known bool) {
	if !strings.EqualFold(r.Enabled, "True") || !strings.EqualFold(r.Direction, "Inbound") || !strings.EqualFold(r.Action, "Allow") {
		return false, true
	}
	if r.Protocol == "" && r.LocalPort == "" {
		return false, false
	}
	proto := strings.ToUpper(r.Protocol)
	if proto != "UDP" && proto != "17" && proto != "ANY" {
		return false, true
	}
	return portIn(r.LocalPort, port), true
}

// portIn reports whether port is in a LocalPort value: "Any", "4789", "4789-4790", "53,4789".
func portIn(spec string, port int) bool {
	for _, part := range strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == ' ' }) {
		if strings.EqualFold(part, "Any") {
			return true
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		if port >= a && port <= b {
			return true
		}
	}
	return false
}
