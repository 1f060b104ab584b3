package windows

import (
	"strconv"
	"strings"
)

// VFPGroup is one GROUP block of `vfpctrl /port <id> /layer <layer> /list-rule`.
type VFPGroup struct {
	ID           string
	FriendlyName string
	Priority     int
	Direction    string
	Type         string
	Rules        []VFPRule
	Line         int
}

// VFPRule is one RULE block: an ACL or encap rule of a VFP layer.
type VFPRule struct {
	ID           string
	FriendlyName string
	Priority     int
	Type         string
	Flags        string
	// Conditions are the rule's match conditions ("Source IP": "10.0.0.5"); none for "<none>".
	Conditions map[string]string
	Line       int
}

// ParseVFPRules reads vfpctrl /list-rule text output. An empty layer prints only the
// "ITEM LIST" banner and gives no groups. RULE blocks printed without a GROUP (when the
// command named a group) are returned in one group with an empty ID.
func ParseVFPRules(out string) []VFPGroup {
	var groups []VFPGroup
	var rule *VFPRule
	condIndent := -1
	group := func() *VFPGroup {
		if len(groups) == 0 {
			groups = append(groups, VFPGroup{})
		}
		return &groups[len(groups)-1]
	}
	for i, raw := range textLines(out) {
		ln := i + 1
		line := strings.TrimRight(raw, " \t")
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		if condIndent >= 0 && indent > condIndent && rule != nil {
			if k, v, ok := cutKV(t); ok {
				rule.Conditions[k] = v
			}
			continue
		}
		condIndent = -1
		k, v, ok := cutKV(t)
		if !ok {
			if strings.EqualFold(strings.TrimSuffix(t, ":"), "Conditions") {
				condIndent = indent
			}
			continue
		}
		switch strings.ToLower(k) {
		case "group":
			groups = append(groups, VFPGroup{ID: v, Line: ln})
			rule = nil
		case "rule":
			g := group()
			g.Rules = append(g.Rules, VFPRule{ID: v, Conditions: map[string]string{}, Line: ln})
			rule = &g.Rules[len(g.Rules)-1]
		case "friendly name":
			if rule != nil {
				rule.FriendlyName = v
			} else {
				group().FriendlyName = v
			}
		case "priority":
			p, _ := strconv.Atoi(v)
			if rule != nil {
				rule.Priority = p
			} else {
				group().Priority = p
			}
		case "type":
			if rule != nil {
				rule.Type = v
			} else {
				group().Type = v
			}
		case "direction":
			if rule == nil {
				group().Direction = v
			}
		case "flags":
			if rule != nil {
				rule.Flags = v
			}
		}
	}
	return groups
}

// VFPPort is one port block of `vfpctrl /list-vmswitch-port`.
type VFPPort struct {
	Name, FriendlyName             string
	SwitchName, SwitchFriendlyName string
	PortID                         string
	Line                           int
}

// ParseVFPPorts reads vfpctrl /list-vmswitch-port output, also when passed through
// Select-String (lines prefixed by "> " or indentation).
func ParseVFPPorts(out string) []VFPPort {
	var ports []VFPPort
	for i, raw := range textLines(out) {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(raw), ">"))
		k, v, ok := cutKV(t)
		if !ok {
			continue
		}
		if strings.EqualFold(k, "Port name") {
			ports = append(ports, VFPPort{Name: v, Line: i + 1})
			continue
		}
		if len(ports) == 0 {
			continue
		}
		p := &ports[len(ports)-1]
		switch strings.ToLower(k) {
		case "port friendly name":
			p.FriendlyName = v
		case "switch name":
			p.SwitchName = v
		case "switch friendly name":
			p.SwitchFriendlyName = v
		case "portid":
			p.PortID = v
		}
	}
	return ports
}

// cutKV splits "Key : Value" or "Key: Value" at the first colon followed by a space or the
// end. The key must be non-empty; the value may be empty.
func cutKV(t string) (k, v string, ok bool) {
	for i := 0; i < len(t); i++ {
		if t[i] == ':' && (i+1 == len(t) || t[i+1] == ' ') {
			k = strings.TrimSpace(t[:i])
			if k == "" {
				return "", "", false
			}
			v = strings.TrimSpace(t[i+1:])
			if v == "" && i+1 == len(t) {
				return "", "", false // "Conditions:" is a heading, not a pair
			}
			return k, v, true
		}
	}
	return "", "", false
}
