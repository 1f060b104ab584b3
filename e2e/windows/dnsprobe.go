package windows

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/calico-conformance/e2e/internal/msg"
)

// The DNS probe of a Windows probe pod: Resolve-DnsName where the image has it (the DnsClient
// module of Windows PowerShell), else nslookup. agnhost's Windows image ships PowerShell
// (pwsh, C:\Program Files\PowerShell on its PATH) and, first on its PATH, BIND's dig and
// nslookup in C:\dig (kubernetes test/images/busybox/Dockerfile_windows); the probe prefers
// Windows' own nslookup (System32), whose output ParseNslookup reads, and uses the one on PATH
// only when System32 has none.

// resolverMarker starts the line that says which resolver answered.
const resolverMarker = "e2e-resolver: "

// Resolvers DNSCommand may report.
const (
	ResolverResolveDnsName = "Resolve-DnsName"
	ResolverNslookup       = "nslookup"
)

// DNSCommand is the command run in a Windows probe pod to resolve name's A records, each
// attempt bounded by timeout. Its output is read by ParseDNSProbe.
func DNSCommand(name string, timeout time.Duration) []string {
	return []string{"pwsh", "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", DNSScript(name, timeout)}
}

// DNSScript is DNSCommand's PowerShell: it prints the resolver it used, then that resolver's
// own output (Resolve-DnsName's default table, or nslookup's text), so the output reads the
// same as a person running the command in the pod.
func DNSScript(name string, timeout time.Duration) string {
	secs := int(timeout.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	n := psQuote(name)
	return strings.Join([]string{
		"$ProgressPreference = 'SilentlyContinue'",
		"if (Get-Command Resolve-DnsName -ErrorAction SilentlyContinue) { " +
			"'" + resolverMarker + ResolverResolveDnsName + "'; " +
			"try { Resolve-DnsName -Name '" + n + "' -Type A -DnsOnly -QuickTimeout -ErrorAction Stop | Out-String -Width 4096 } " +
			"catch { 'Resolve-DnsName failed: ' + $_.FullyQualifiedErrorId + ': ' + $_.Exception.Message; exit 1 } " +
			"} else { " +
			"$ns = Join-Path $env:SystemRoot 'System32\\nslookup.exe'; if (-not (Test-Path -LiteralPath $ns)) { $ns = 'nslookup' }; " +
			"'" + resolverMarker + ResolverNslookup + " ' + $ns; " +
			fmt.Sprintf("& $ns -type=A -timeout=%d -retry=1 '%s' 2>&1 | ForEach-Object { [string]$_ }", secs, n) +
			" }",
	}, "; ")
}

// ParseDNSProbe reads DNSCommand's output: the A records, sorted and comma separated (the form
// probe.ParseLookup gives for the Linux probe), or an error that says what the resolver
// reported. execErr is the exec's error; output is still read, because nslookup's exit code
// does not tell an answer from a failure.
func ParseDNSProbe(stdout, stderr string, execErr error) (string, error) {
	resolver, body, ok := splitResolver(stdout)
	if !ok {
		if execErr != nil {
			return "", fmt.Errorf("DNS probe failed: %v %s", execErr, msg.Short(stdout+" "+stderr))
		}
		return "", fmt.Errorf("DNS probe printed no resolver line: %s", msg.Short(stdout+" "+stderr))
	}
	switch {
	case resolver == ResolverResolveDnsName:
		return readResolveDnsName(body)
	case strings.HasPrefix(resolver, ResolverNslookup):
		return readNslookup(body)
	}
	return "", fmt.Errorf("DNS probe used an unknown resolver %q", resolver)
}

// splitResolver finds the resolver line and returns the output after it.
func splitResolver(out string) (resolver, body string, ok bool) {
	lines := textLines(out)
	for i, l := range lines {
		if r, found := strings.CutPrefix(strings.TrimSpace(l), resolverMarker); found {
			return strings.TrimSpace(r), strings.Join(lines[i+1:], "\n"), true
		}
	}
	return "", "", false
}

func readResolveDnsName(body string) (string, error) {
	for _, l := range textLines(body) {
		if msg, found := strings.CutPrefix(strings.TrimSpace(l), "Resolve-DnsName failed: "); found {
			return "", fmt.Errorf("Resolve-DnsName: %s", msg)
		}
	}
	var ips []string
	for _, a := range ParseResolveDnsName(body) {
		if !strings.EqualFold(a.Type, "A") || (a.Section != "" && !strings.EqualFold(a.Section, "Answer")) {
			continue
		}
		if ip, err := netip.ParseAddr(a.Data); err == nil && ip.Is4() {
			ips = append(ips, ip.String())
		}
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("Resolve-DnsName returned no A record: %s", msg.Short(body))
	}
	sort.Strings(ips)
	return strings.Join(ips, ","), nil
}

func readNslookup(body string) (string, error) {
	ls := ParseNslookup(body)
	if len(ls) == 0 {
		return "", fmt.Errorf("nslookup printed nothing it could be read from: %s", msg.Short(body))
	}
	// one run per probe; when given more (a pasted session), the last is the answer
	l := ls[len(ls)-1]
	server := l.Server
	if l.ServerAddress != "" && !sameIP(l.ServerAddress, l.Server) {
		server = strings.TrimSpace(l.Server + " " + l.ServerAddress)
	}
	var ips []string
	for _, a := range l.Addresses {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() {
			ips = append(ips, ip.String())
		}
	}
	if l.Error == "" && len(ips) > 0 {
		sort.Strings(ips)
		return strings.Join(ips, ","), nil
	}
	what := l.Query
	if what == "" {
		what = "the name"
	}
	switch {
	case l.Error == "timed out" || (l.Error == "" && l.Timeouts > 0):
		return "", fmt.Errorf("nslookup %s: no answer from DNS server %s (%d requests timed out)", what, server, l.Timeouts)
	case l.Error != "":
		return "", fmt.Errorf("nslookup %s: DNS server %s: %s", what, server, l.Error)
	}
	return "", fmt.Errorf("nslookup %s: DNS server %s gave no IPv4 address: %s", what, server, msg.Short(body))
}
