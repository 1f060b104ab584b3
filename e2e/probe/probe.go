// Package probe runs connectivity checks from inside pods: one Probe is one source pod, one
// destination and one protocol, executed with agnhost's tools (the same CLI on Linux and
// Windows). Probes run in parallel batches; a failed probe prints as one line with a command
// the reader can paste to retry it.
package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/e2e/windows"
	"github.com/calico-conformance/e2e/internal/msg"
)

// Endpoint is a pod taking part in a probe.
type Endpoint struct {
	Namespace, Pod, Container string
	IP, Node                  string
	OS                        matrix.OS
	// NetexecPort is where the pod's own agnhost netexec listens (8080 for pods; another port
	// for host-network pods so it cannot clash with the node's services).
	NetexecPort int
	// HostProcess marks a Windows HostProcess pod (the host-network probe pod of a Windows
	// node): its commands run on the host, so they are written for it (windows.DialCommand).
	HostProcess bool `json:",omitempty"`
}

// Kind of check.
type Kind string

// Kinds of probe.
const (
	// Dial asks the source's own netexec to dial the target (protocol http or udp) and
	// return the target's answer to "hostname".
	Dial Kind = "dial"
	// Lookup resolves a DNS name in the source pod.
	Lookup Kind = "lookup"
	// Payload fetches a large echo from the target over TCP (path MTU).
	Payload Kind = "payload"
	// DontFragment sends one ICMP echo of the largest size the source pod's MTU allows, with
	// the don't-fragment bit set (Linux sources): a path that cannot carry a full-size packet
	// drops it instead of fragmenting it.
	DontFragment Kind = "dont-fragment"
)

// Probe is one check from one source to one target.
type Probe struct {
	Cell matrix.Cell
	Kind Kind
	Src  Endpoint
	// Target address: an IP or a DNS name, and a port (Dial, Payload).
	Host string
	Port int
	// Proto for Dial: tcp (HTTP over TCP) or udp.
	Proto matrix.Proto
	// DstDesc names the destination for humans ("b-1 on node w2", "svc-b-1 ClusterIP").
	DstDesc string
	// Want is the expected answer: the responding pod's hostname (Dial), the exact set of
	// addresses (Lookup, comma separated, sorted), or the payload size (Payload).
	Want string
	// DstNode is the node the traffic should end on (for diagnosis); empty for DNS.
	DstNode string
	// Timeout of one attempt.
	Timeout time.Duration
}

// PayloadBytes is the size of the large-payload probe: many full-size segments in each direction.
const PayloadBytes = 32 * 1024

// Command is the command run in the source pod's container.
func (p Probe) Command() []string {
	secs := strconv.Itoa(int(p.timeout().Seconds()))
	curl := "curl"
	if p.Src.OS == matrix.Windows {
		curl = "curl.exe"
	}
	switch p.Kind {
	case Lookup:
		if p.Src.OS == matrix.Windows {
			return windows.DNSCommand(p.Host, p.timeout())
		}
		return []string{"dig", "+short", "+search", "+time=" + secs, "+tries=1", p.Host}
	case DontFragment:
		// ICMP header 8 + IPv4 header 20 bytes on top of the payload fill the pod's MTU.
		return []string{"sh", "-c", fmt.Sprintf(`m=$(cat /sys/class/net/eth0/mtu) && out=$(ping -M do -c 1 -W %s -s $((m-28)) %s 2>&1); rc=$?; echo "mtu=$m rc=$rc"; [ $rc -eq 0 ] || echo "$out" | grep -vE '^(PING|---|$)' | head -n 3`, secs, p.Host)}
	case Payload:
		msg := strings.Repeat("x", PayloadBytes)
		return []string{curl, "-sS", "-g", "--max-time", secs, "-o", "/dev/null", "-w", "%{size_download}",
			fmt.Sprintf("http://%s/echo?msg=%s", hostPort(p.Host, p.Port), msg)}
	default:
		q := url.Values{}
		q.Set("request", "hostname")
		q.Set("protocol", map[matrix.Proto]string{matrix.TCP: "http", matrix.UDP: "udp"}[p.Proto])
		q.Set("host", p.Host)
		q.Set("port", strconv.Itoa(p.Port))
		q.Set("tries", "1")
		if p.Src.HostProcess {
			return windows.DialCommand(p.Src.NetexecPort, q, p.timeout())
		}
		return []string{curl, "-sS", "-g", "--max-time", secs,
			fmt.Sprintf("http://127.0.0.1:%d/dial?%s", p.Src.NetexecPort, q.Encode())}
	}
}

func (p Probe) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return 5 * time.Second
}

func hostPort(h string, port int) string {
	if strings.Contains(h, ":") {
		return fmt.Sprintf("[%s]:%d", h, port)
	}
	return fmt.Sprintf("%s:%d", h, port)
}

// Observe turns the command's output into the observed answer, or an error describing what
// went wrong in terms of the probe.
func (p Probe) Observe(stdout, stderr string, execErr error) (string, error) {
	switch p.Kind {
	case Lookup:
		if p.Src.OS == matrix.Windows {
			return windows.ParseDNSProbe(stdout, stderr, execErr)
		}
		if execErr != nil {
			return "", fmt.Errorf("dig failed: %v %s", execErr, msg.Short(stdout+stderr))
		}
		return ParseLookup(stdout), nil
	case DontFragment:
		return ParseDontFragment(stdout, stderr, execErr)
	case Payload:
		if execErr != nil {
			return "", fmt.Errorf("curl failed: %v %s", execErr, msg.Short(stderr))
		}
		return strings.TrimSpace(stdout), nil
	default:
		if execErr != nil {
			return "", fmt.Errorf("curl to the source's netexec failed: %v %s", execErr, msg.Short(stderr))
		}
		return ParseDial(stdout)
	}
}

// DontFragmentWant is what a DontFragment probe observes when the full-size packet got through.
const DontFragmentWant = "full-size packet answered"

var dfStatus = regexp.MustCompile(`mtu=(\d+) rc=(\d+)`)

// ParseDontFragment reads the DontFragment command's output: "mtu=<pod MTU> rc=<ping's exit
// code>", then ping's last lines when it failed.
func ParseDontFragment(stdout, stderr string, execErr error) (string, error) {
	m := dfStatus.FindStringSubmatch(stdout)
	if m == nil {
		return "", fmt.Errorf("don't-fragment ping did not run: %v %s", execErr, msg.Short(stdout+stderr))
	}
	if m[2] == "0" {
		return DontFragmentWant, nil
	}
	rest := msg.Short(strings.TrimSpace(stdout[strings.Index(stdout, m[0])+len(m[0]):]))
	return "", fmt.Errorf("a %s-byte packet (the pod's MTU) with don't-fragment set got no answer (ping exit %s): %s", m[1], m[2], rest)
}

// PayloadWant is the expected download size of a Payload probe.
func PayloadWant() string { return strconv.Itoa(PayloadBytes) }

// dialResponse is agnhost netexec's /dial answer.
type dialResponse struct {
	Responses []string `json:"responses"`
	Errors    []string `json:"errors"`
}

// ParseDial reads netexec's /dial JSON: the first response, or its errors.
func ParseDial(body string) (string, error) {
	var r dialResponse
	if err := json.Unmarshal([]byte(strings.TrimSpace(body)), &r); err != nil {
		return "", fmt.Errorf("unexpected /dial answer %q", msg.Short(body))
	}
	if len(r.Responses) > 0 {
		return strings.TrimSpace(r.Responses[0]), nil
	}
	if len(r.Errors) > 0 {
		return "", fmt.Errorf("%s", msg.Short(strings.Join(r.Errors, "; ")))
	}
	return "", fmt.Errorf("no response")
}

// ParseLookup reads `dig +short` output: the A records, sorted and comma separated (CNAME
// lines and comments are dropped).
func ParseLookup(out string) string {
	var ips []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, ";") || strings.HasSuffix(l, ".") {
			continue
		}
		ips = append(ips, l)
	}
	sort.Strings(ips)
	return strings.Join(ips, ",")
}

// Result of one probe.
type Result struct {
	Probe    Probe
	Observed string
	Err      error
}

// OK reports whether the probe saw what was wanted.
func (r Result) OK() bool { return r.Err == nil && r.Observed == r.Probe.Want }

// Line is the one-line report of a probe:
// "pod-to-pod/tcp linux -> linux (other node): ns/a-0 (10.0.0.1, node n0) -> b-1 on n1 (10.0.1.2:8080): expected "b-1", observed ...; retry: ..."
func (r Result) Line(kubectl string) string {
	p := r.Probe
	obs := fmt.Sprintf("%q", r.Observed)
	if r.Err != nil {
		obs = "error: " + r.Err.Error()
	}
	target := p.Host
	if p.Port != 0 {
		target = hostPort(p.Host, p.Port)
	}
	return fmt.Sprintf("%s: %s/%s (%s, node %s) -> %s (%s %s): expected %q, observed %s; retry: %s",
		p.Cell, p.Src.Namespace, p.Src.Pod, p.Src.IP, p.Src.Node, p.DstDesc, target, p.Proto, p.Want, obs, p.Retry(kubectl))
}

// Retry is a shell command that re-runs the probe by hand.
func (p Probe) Retry(kubectl string) string {
	args := []string{kubectl, "exec", "-n", p.Src.Namespace, p.Src.Pod}
	if p.Src.Container != "" {
		args = append(args, "-c", p.Src.Container)
	}
	args = append(args, "--")
	for _, a := range p.Command() {
		args = append(args, shellQuote(a))
	}
	return strings.Join(args, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '.' || r == '/' || r == ':' || r == '_' || r == '+' || r == '=' || r == ',' ||
			r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	if len(s) > 300 { // the payload probe's long URL
		return "'" + s[:120] + "...'"
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Exec runs a command in a pod's container.
type Exec func(ctx context.Context, namespace, pod, container string, cmd []string) (stdout, stderr string, err error)

// Run executes the probes in parallel, at most parallel at a time, and returns their results in
// the order given.
func Run(ctx context.Context, exec Exec, probes []Probe, parallel int) []Result {
	if parallel < 1 {
		parallel = 1
	}
	results := make([]Result, len(probes))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Add(1)
		go func(i int, p Probe) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			actx, cancel := context.WithTimeout(ctx, p.timeout()+10*time.Second)
			defer cancel()
			out, errOut, err := exec(actx, p.Src.Namespace, p.Src.Pod, p.Src.Container, p.Command())
			obs, oerr := p.Observe(out, errOut, err)
			results[i] = Result{Probe: p, Observed: obs, Err: oerr}
		}(i, p)
	}
	wg.Wait()
	return results
}

// Failed filters the results that did not see what was wanted.
func Failed(rs []Result) []Result {
	var out []Result
	for _, r := range rs {
		if !r.OK() {
			out = append(out, r)
		}
	}
	return out
}
