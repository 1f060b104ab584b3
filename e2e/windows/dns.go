package windows

import (
	"regexp"
	"strings"
)

// DNSAnswer is one record of a Resolve-DnsName table.
type DNSAnswer struct {
	Name, Type, TTL, Section string
	// Data is the record's value, whatever its column is called (IPAddress, NameHost, ...).
	Data      string
	Line      int
	Truncated bool
}

// ParseResolveDnsName reads the answer tables of Resolve-DnsName.
func ParseResolveDnsName(out string) []DNSAnswer {
	var as []DNSAnswer
	for _, tb := range ParseTables(out) {
		if len(tb.Columns) < 4 || !strings.EqualFold(tb.Columns[0], "Name") {
			continue
		}
		for _, r := range tb.Rows {
			a := DNSAnswer{Name: r.Get("Name"), Type: r.Get("Type"), TTL: r.Get("TTL"), Section: r.Get("Section"), Line: r.Line, Truncated: r.Truncated}
			if len(tb.Columns) > 4 {
				a.Data = r.Get(tb.Columns[4])
			}
			as = append(as, a)
		}
	}
	return as
}

// NSLookup is one nslookup run: the server asked, the answer or the failure.
type NSLookup struct {
	// Query is the name asked for, from the command line when it was printed, else from the
	// answer or the error.
	Query                 string
	Server, ServerAddress string
	Name                  string
	Addresses             []string
	// Error is nslookup's failure text: "Non-existent domain", "timed out", "Server failed"...
	Error string
	// ErrorText and ErrorLine are the "***" line that reported it.
	ErrorText string
	ErrorLine int
	// Timeouts counts "DNS request timed out." lines.
	Timeouts int
	Line     int
}

// Failed reports whether the lookup produced no answer.
func (l NSLookup) Failed() bool { return l.Error != "" || len(l.Addresses) == 0 }

var (
	nslookupCmdRE = regexp.MustCompile(`(?i)(?:^|>\s*)nslookup(?:\.exe)?\s+(.*)$`)
	cantFindRE    = regexp.MustCompile(`^\*\*\* (.+?) can't find (.+?): (.+)$`)
	requestToRE   = regexp.MustCompile(`^\*\*\* Request to (.+?) timed-out`)
)

// ParseNslookup reads the output of one or more nslookup runs. A run starts at a command line
// ("C:\> nslookup db") or at a "Server:" line when the current run already has a server.
func ParseNslookup(out string) []NSLookup {
	var ls []NSLookup
	var cur *NSLookup
	inAddresses := false
	start := func(ln int) {
		ls = append(ls, NSLookup{Line: ln})
		cur = &ls[len(ls)-1]
		inAddresses = false
	}
	for i, raw := range textLines(out) {
		ln := i + 1
		t := strings.TrimSpace(raw)
		if t == "" {
			inAddresses = false
			continue
		}
		if m := nslookupCmdRE.FindStringSubmatch(t); m != nil {
			start(ln)
			for _, a := range strings.Fields(m[1]) {
				if !strings.HasPrefix(a, "-") {
					cur.Query = a
					break
				}
			}
			continue
		}
		k, v, hasKV := strings.Cut(t, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(t, "DNS request timed out"):
			if cur == nil {
				start(ln)
			}
			cur.Timeouts++
		case strings.HasPrefix(t, "timeout was"):
		case strings.HasPrefix(t, "***"):
			if cur == nil {
				start(ln)
			}
			cur.ErrorLine, cur.ErrorText = ln, t
			if m := cantFindRE.FindStringSubmatch(t); m != nil {
				cur.Error = m[3]
				if cur.Query == "" {
					cur.Query = m[2]
				}
			} else if requestToRE.MatchString(t) {
				cur.Error = "timed out"
			} else {
				cur.Error = strings.TrimSpace(strings.TrimPrefix(t, "***"))
			}
		case hasKV && k == "Server":
			if cur == nil || cur.Server != "" {
				start(ln)
			}
			cur.Server = v
		case hasKV && (k == "Address" || k == "Addresses"):
			if cur == nil {
				start(ln)
			}
			if cur.Name == "" && cur.ServerAddress == "" && len(cur.Addresses) == 0 {
				cur.ServerAddress = v
				continue
			}
			if v != "" {
				cur.Addresses = append(cur.Addresses, v)
			}
			inAddresses = k == "Addresses"
		case hasKV && k == "Name":
			if cur == nil {
				start(ln)
			}
			cur.Name = v
			if cur.Query == "" {
				cur.Query = v
			}
		case inAddresses && cur != nil:
			if a, ok := parseAddr(t); ok {
				cur.Addresses = append(cur.Addresses, a)
			}
		}
	}
	return ls
}
