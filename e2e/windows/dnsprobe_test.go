package windows

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The probe's stdout is its resolver line followed by the resolver's own output; the tests put
// the recorded outputs after the resolver line DNSScript prints.

func TestParseDNSProbeResolveDnsName(t *testing.T) {
	out := resolverMarker + ResolverResolveDnsName + "\r\n" + fixture(t, "dns/msdocs-pr1972-resolve-dnsname-success.txt")
	got, err := ParseDNSProbe(out, "", nil)
	if err != nil || got != "13.107.21.200,204.79.197.200" {
		t.Errorf("ParseDNSProbe = %q, %v; want the two A records, sorted", got, err)
	}
}

func TestParseDNSProbeNslookupTimeout(t *testing.T) {
	out := resolverMarker + ResolverNslookup + ` C:\Windows\System32\nslookup.exe` + "\n" + fixture(t, "dns/msdocs-pr1972-nslookup-timeout-upstream-blocked.txt")
	got, err := ParseDNSProbe(out, "", errors.New("command terminated with exit code 1"))
	if err == nil || got != "" {
		t.Fatalf("ParseDNSProbe = %q, %v; want an error", got, err)
	}
	for _, want := range []string{"nslookup bing.com", "no answer from DNS server UnKnown 8.8.8.8", "5 requests timed out"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestParseDNSProbeNslookupNXDomainAndAnswer(t *testing.T) {
	body := fixture(t, "dns/plang-ff-pod-ipconfig-and-nslookup-missing-dns-suffix.txt")
	// the recording holds two runs: the short name fails, the FQDN resolves
	second := strings.Index(body, `C:\inetpub\wwwroot>nslookup db.ff.svc.cluster.local`)
	if second < 0 {
		t.Fatal("second nslookup run not found in the recording")
	}
	first := strings.Index(body, `C:\inetpub\wwwroot>nslookup db`)
	head := resolverMarker + ResolverNslookup + " nslookup\n"
	_, err := ParseDNSProbe(head+body[first:second], "", nil)
	if err == nil || !strings.Contains(err.Error(), "nslookup db: DNS server kube-dns.kube-system.svc.cluster.local 10.0.0.10: Non-existent domain") {
		t.Errorf("short name: %v", err)
	}
	got, err := ParseDNSProbe(head+body[second:], "", nil)
	if err != nil || got != "10.0.246.133" {
		t.Errorf("FQDN: %q, %v", got, err)
	}
}

func TestParseDNSProbeOwnLines(t *testing.T) {
	// These inputs are the probe's own lines, not recorded output: the resolver line and the
	// line DNSScript's catch block prints. The Windows message text in it is synthetic.
	_, err := ParseDNSProbe(resolverMarker+ResolverResolveDnsName+"\nResolve-DnsName failed: SYNTHETIC_ERROR_ID: synthetic message\n", "", errors.New("exit code 1"))
	if err == nil || err.Error() != "Resolve-DnsName: SYNTHETIC_ERROR_ID: synthetic message" {
		t.Errorf("catch line: %v", err)
	}
	_, err = ParseDNSProbe("", "pwsh: not found", errors.New("exec failed"))
	if err == nil || !strings.Contains(err.Error(), "exec failed") || !strings.Contains(err.Error(), "pwsh: not found") {
		t.Errorf("no resolver line: %v", err)
	}
	if _, err = ParseDNSProbe(resolverMarker+ResolverResolveDnsName+"\n", "", nil); err == nil || !strings.Contains(err.Error(), "no A record") {
		t.Errorf("empty answer: %v", err)
	}
}

func TestDNSCommand(t *testing.T) {
	cmd := DNSCommand("svc-b-1.e2e-conn-ab'cd", 3*time.Second)
	if cmd[0] != "pwsh" || cmd[len(cmd)-2] != "-Command" {
		t.Fatalf("command %q", cmd)
	}
	s := cmd[len(cmd)-1]
	for _, want := range []string{
		"Resolve-DnsName -Name 'svc-b-1.e2e-conn-ab''cd' -Type A -DnsOnly",
		"'" + resolverMarker + ResolverResolveDnsName + "'",
		`Join-Path $env:SystemRoot 'System32\nslookup.exe'`,
		"& $ns -type=A -timeout=3 -retry=1 'svc-b-1.e2e-conn-ab''cd'",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "\n") || strings.Contains(s, `"`) {
		t.Errorf("script has a newline or a double quote: %s", s)
	}
}
