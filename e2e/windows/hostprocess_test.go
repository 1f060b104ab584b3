package windows

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	corev1 "k8s.io/api/core/v1"

	"github.com/calico-conformance/e2e/e2e/findings"
)

var invokeRE = regexp.MustCompile(`Invoke-E2EEvidence '([A-Za-z0-9+/=]+)' '([^']*)' '([A-Za-z0-9+/=]+)' (\d+)`)

func decodeUTF16(t *testing.T, b64 string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b)%2 != 0 {
		t.Fatalf("not base64 UTF-16LE: %v", err)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func TestEvidenceScriptRunsEveryCommand(t *testing.T) {
	s := EvidenceScript(Commands)
	if strings.ContainsAny(s, "\"\n\r") {
		t.Errorf("script holds a double quote or a line break; it must pass as one container argument")
	}
	calls := invokeRE.FindAllStringSubmatch(s, -1)
	if len(calls) != len(Commands) {
		t.Fatalf("%d command calls, want %d", len(calls), len(Commands))
	}
	for i, c := range Commands {
		m := calls[i]
		hdr, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatal(err)
		}
		// the header is the Linux evidence format, and findings.ParseNodeFile files it under the command's name
		if want := "### " + c.Name + ": " + c.PowerShell; string(hdr) != want {
			t.Errorf("%s: header %q, want %q", c.Name, hdr, want)
		}
		if nf := findings.ParseNodeFile("n", "f", string(hdr)+"\nout"); len(nf.Sections) != 1 || nf.Sections[c.Name].Lines[0] != "out" {
			t.Errorf("%s: header not read back by ParseNodeFile: %+v", c.Name, nf.Sections)
		}
		if m[2] != c.Name {
			t.Errorf("call %d names %q, want %q", i, m[2], c.Name)
		}
		args := c.Args()
		if got := decodeUTF16(t, m[3]); got != args[len(args)-1] {
			t.Errorf("%s: encoded command %q, want %q", c.Name, got, args[len(args)-1])
		}
		if m[4] != fmt.Sprint(int(c.Timeout/time.Second)) {
			t.Errorf("%s: time bound %ss, want %v", c.Name, m[4], c.Timeout)
		}
	}
	if !strings.HasSuffix(s, "; exit 0") {
		t.Errorf("script does not end with exit 0")
	}
	for _, want := range []string{"WaitForExit($secs * 1000)", "taskkill.exe /T /F /PID", "'timed out after '", "'exit code '", "'could not start: '", "catch {"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	// Windows limits a command line to 32767 characters.
	if n := len(strings.Join(EvidenceArgs(Commands), " ")); n > 32000 {
		t.Errorf("command line of %d characters", n)
	}
}

func TestEvidencePod(t *testing.T) {
	p := EvidencePod("e2e-ev", "evidence-w1", "win-1", "r/agnhost:2.56-windows-amd64-ltsc2022", corev1.PullNever, map[string]string{"run": "x"}, Commands)
	s := p.Spec
	wo := s.SecurityContext.WindowsOptions
	if wo == nil || wo.HostProcess == nil || !*wo.HostProcess || wo.RunAsUserName == nil || *wo.RunAsUserName != `NT AUTHORITY\SYSTEM` {
		t.Errorf("windowsOptions %+v", wo)
	}
	if !s.HostNetwork || s.NodeName != "win-1" || s.RestartPolicy != corev1.RestartPolicyNever || s.OS == nil || s.OS.Name != corev1.Windows {
		t.Errorf("spec %+v", s)
	}
	if len(s.Tolerations) != 1 || s.Tolerations[0].Operator != corev1.TolerationOpExists || s.Tolerations[0].Key != "" {
		t.Errorf("tolerations %+v: want every taint tolerated", s.Tolerations)
	}
	if want := int64((EvidenceTimeout(Commands) + time.Minute) / time.Second); s.ActiveDeadlineSeconds == nil || *s.ActiveDeadlineSeconds != want {
		t.Errorf("deadline %v, want %d", s.ActiveDeadlineSeconds, want)
	}
	c := s.Containers[0]
	if c.Command[0] != "powershell.exe" || c.Command[len(c.Command)-1] != EvidenceScript(Commands) || c.ImagePullPolicy != corev1.PullNever {
		t.Errorf("container %+v", c)
	}
	var sum time.Duration
	for _, c := range Commands {
		sum += c.Timeout
	}
	if EvidenceTimeout(Commands) <= sum {
		t.Errorf("EvidenceTimeout %v leaves no room over the commands' %v", EvidenceTimeout(Commands), sum)
	}
}

// section is one command's part of the evidence text in a test.
type section struct {
	name, body, status string
}

// evidenceText builds the text EvidenceScript prints for the sections: the header, the output
// lines and, for a failed command, its status line, each line ended by CRLF as
// [Console]::Out.WriteLine ends it on Windows. Bodies are recorded fixtures; the headers and
// status lines are the script's own.
func evidenceText(t *testing.T, secs []section) string {
	t.Helper()
	var b strings.Builder
	for _, s := range secs {
		c := commandNamed(t, s.name)
		b.WriteString(evidenceHeader(c) + "\r\n")
		if s.body != "" {
			for _, l := range textLines(s.body) {
				b.WriteString(l + "\r\n")
			}
		}
		if s.status != "" {
			b.WriteString(statusPrefix + s.name + ": " + s.status + "\r\n")
		}
	}
	return b.String()
}

func commandNamed(t *testing.T, name string) Command {
	t.Helper()
	for _, c := range Commands {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no command %s", name)
	return Command{}
}

// recordedNode is one node's evidence assembled from recorded outputs. The HNS outputs are in
// the list layout or trimmed JSON they were recorded in (no untrimmed Calico JSON recording
// exists; see INDEX.md); the parsers read both.
func recordedNode(t *testing.T) []section {
	return []section{
		{name: "hns-networks", body: fixture(t, "hns-network/knabben-calico-overlay-mgmtip-vagrant-nat.txt")},
		{name: "hns-endpoints", body: fixture(t, "hns-endpoint/knabben-endpoint-json-collectlogs-trimmed.txt")},
		{name: "hnsdiag-list-all", body: fixture(t, "hnsdiag/sdn-hnsdiag-list-all-flannel-overlay.txt")},
		// a command that timed out after printing part of its output
		{name: "vfp-ports", body: fixture(t, "vfp/princepereira-list-vmswitch-port-select-string-container.txt"), status: "timed out after 30s, stopped"},
		{name: "ipconfig-all", body: fixture(t, "host-net/knabben-host-ipconfig-all-vethernet-ethernet.txt")},
		{name: "firewall-rules", body: fixture(t, "firewall/sdn-new-netfirewallrule-overlay4789udp.txt")},
		// a command that failed without output (Get-BgpPeer without the RRAS BGP router)
		{name: "bgp-peers", body: "", status: "exit code 1"},
	}
}

func normalized(s string) string {
	ls := textLines(s)
	for len(ls) > 0 && strings.TrimSpace(ls[len(ls)-1]) == "" {
		ls = ls[:len(ls)-1]
	}
	return strings.Join(ls, "\n")
}

func TestSplitEvidenceRecordedOutputs(t *testing.T) {
	secs := recordedNode(t)
	text := evidenceText(t, secs)
	all := strings.Split(text, "\n")
	outs := SplitEvidence(text, Commands)
	if len(outs) != len(secs) {
		t.Errorf("%d outputs, want %d: %v", len(outs), len(secs), outs)
	}
	for _, s := range secs {
		c := commandNamed(t, s.name)
		o, ok := outs[c.File]
		if !ok {
			t.Errorf("%s: no output for %s", s.name, c.File)
			continue
		}
		if o.Command.Name != s.name || o.Status != s.status || o.OK() != (s.status == "") {
			t.Errorf("%s: command %s, status %q, want %q", s.name, o.Command.Name, o.Status, s.status)
		}
		if got, want := normalized(o.Text), normalized(s.body); got != want {
			t.Errorf("%s: text differs from the recording:\n%s\n--- want ---\n%s", s.name, got, want)
		}
		if s.body != "" {
			first := textLines(s.body)[0]
			if got := strings.TrimRight(all[o.Line-1], "\r"); got != first {
				t.Errorf("%s: line %d of the evidence is %q, want the output's first line %q", s.name, o.Line, got, first)
			}
		}
	}
	// the split outputs parse as the recordings do
	nets, err := ParseHnsNetworks(outs["hns-networks.json"].Text)
	if err != nil || len(nets) != 1 || nets[0].ManagementIP != "10.0.2.15" || len(nets[0].RemoteSubnetRoutes()) != 1 {
		t.Errorf("networks %+v, %v", nets, err)
	}
	direct, _ := ParseHnsNetworks(fixture(t, "hns-network/knabben-calico-overlay-mgmtip-vagrant-nat.txt"))
	if len(direct) == 1 && len(nets) == 1 && direct[0].Lines["ManagementIP"] != nets[0].Lines["ManagementIP"] {
		t.Errorf("ManagementIP on line %d of the split output, %d of the recording", nets[0].Lines["ManagementIP"], direct[0].Lines["ManagementIP"])
	}
	d := ParseHnsdiag(outs["hnsdiag-list-all.txt"].Text)
	dd := ParseHnsdiag(fixture(t, "hnsdiag/sdn-hnsdiag-list-all-flannel-overlay.txt"))
	if len(d.Networks) == 0 || len(d.Networks) != len(dd.Networks) || len(d.LoadBalancers) != len(dd.LoadBalancers) {
		t.Errorf("hnsdiag: %d networks, %d LBs; recording %d, %d", len(d.Networks), len(d.LoadBalancers), len(dd.Networks), len(dd.LoadBalancers))
	}
	if ports := ParseVFPPorts(outs["vfp-ports.txt"].Text); len(ports) != 1 {
		t.Errorf("partial vfp output: ports %+v", ports)
	}
	if o := outs["bgp-peers.json"]; o.Text != "" || o.Status != "exit code 1" {
		t.Errorf("failed command %+v", o)
	}
}

func TestSplitEvidenceIgnoresOtherSections(t *testing.T) {
	text := "### ip-route: ip route\n10.0.0.0/8 dev eth0\n" + evidenceHeader(commandNamed(t, "ipconfig-all")) + "\nWindows IP Configuration\n"
	outs := SplitEvidence(text, Commands)
	if len(outs) != 1 || outs["ipconfig-all.txt"].Text != "Windows IP Configuration" || outs["ipconfig-all.txt"].Line != 4 {
		t.Errorf("outputs %+v", outs)
	}
	// a blank line before the status line is not output
	bgp := evidenceHeader(commandNamed(t, "bgp-peers")) + "\r\n\r\n" + statusPrefix + "bgp-peers: exit code 1\r\n"
	if o := SplitEvidence(bgp, Commands)["bgp-peers.json"]; o.Text != "" || o.Status != "exit code 1" {
		t.Errorf("blank output: %+v", o)
	}
	if len(SplitEvidence("", Commands)) != 0 {
		t.Errorf("empty text gave outputs")
	}
}

// balanced checks the brackets of a one-line PowerShell script outside its single-quoted
// strings (where ” is a quote). No PowerShell runs here; this catches a dropped brace.
func balanced(s string) error {
	var stack []rune
	pair := map[rune]rune{')': '(', '}': '{', ']': '['}
	inQuote := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if inQuote {
			if r == '\'' {
				if i+1 < len(rs) && rs[i+1] == '\'' {
					i++
					continue
				}
				inQuote = false
			}
			continue
		}
		switch r {
		case '\'':
			inQuote = true
		case '(', '{', '[':
			stack = append(stack, r)
		case ')', '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != pair[r] {
				return fmt.Errorf("unbalanced %q at %d: %s", r, i, string(rs[max(0, i-40):i+1]))
			}
			stack = stack[:len(stack)-1]
		}
	}
	if inQuote || len(stack) > 0 {
		return fmt.Errorf("unclosed quote (%v) or brackets %q", inQuote, string(stack))
	}
	return nil
}

func TestScriptsBalanced(t *testing.T) {
	for name, s := range map[string]string{
		"evidence": EvidenceScript(Commands),
		"dns":      DNSScript("a'b.svc", 3*time.Second),
	} {
		if err := balanced(s); err != nil {
			t.Errorf("%s script: %v", name, err)
		}
	}
	if balanced("if ($a) { 'x' ") == nil || balanced("'it''s") == nil {
		t.Errorf("balanced accepts broken scripts")
	}
}
