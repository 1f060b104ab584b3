package probe

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/calico-conformance/e2e/e2e/matrix"
)

var src = Endpoint{Namespace: "ns", Pod: "a-0", Container: "agnhost", IP: "192.168.1.5", Node: "w1", OS: matrix.Linux, NetexecPort: 8080}

func TestDialCommandAndParse(t *testing.T) {
	p := Probe{Kind: Dial, Src: src, Host: "192.168.2.7", Port: 8081, Proto: matrix.UDP, Want: "b-1"}
	cmd := strings.Join(p.Command(), " ")
	for _, want := range []string{"curl -sS -g --max-time 5", "http://127.0.0.1:8080/dial?", "protocol=udp", "host=192.168.2.7", "port=8081", "request=hostname", "tries=1"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("command %q lacks %q", cmd, want)
		}
	}
	// recorded netexec answers (agnhost 2.56)
	got, err := p.Observe(`{"responses":["b-1"]}`, "", nil)
	if err != nil || got != "b-1" {
		t.Fatalf("Observe(success) = %q, %v", got, err)
	}
	if !(Result{Probe: p, Observed: got}).OK() {
		t.Fatal("matching answer not OK")
	}
	_, err = p.Observe(`{"errors":["reading from udp connection failed. err:'read udp 192.168.1.5:41231-\u003e192.168.2.7:8081: i/o timeout'"]}`, "", nil)
	if err == nil || !strings.Contains(err.Error(), "i/o timeout") {
		t.Fatalf("Observe(errors) = %v, want the netexec error", err)
	}
	if _, err := p.Observe("", "curl: (7) Failed to connect", errors.New("exit 7")); err == nil || !strings.Contains(err.Error(), "Failed to connect") {
		t.Fatalf("Observe(curl failure) = %v", err)
	}
	if _, err := p.Observe("<html>", "", nil); err == nil {
		t.Fatal("Observe accepted a non-JSON answer")
	}
	win := p
	win.Src.OS = matrix.Windows
	if win.Command()[0] != "curl.exe" {
		t.Errorf("windows source uses %q, want curl.exe", win.Command()[0])
	}
}

// From a Windows HostProcess pod (the host-network source of a Windows node) the dial asks
// netexec the same question: the parameters of the URL the other sources send, as curl -G
// arguments that curl joins into that URL.
func TestDialFromHostProcess(t *testing.T) {
	hp := Endpoint{Namespace: "ns", Pod: "host-3", Container: "agnhost", IP: "10.20.30.11", Node: "win1", OS: matrix.Windows, NetexecPort: 23456, HostProcess: true}
	p := Probe{Kind: Dial, Src: hp, Host: "192.168.2.7", Port: 8080, Proto: matrix.TCP, Want: "b-1"}
	cmd := p.Command()
	if cmd[0] != "curl.exe" || !containsSeq(cmd, "-G", "http://127.0.0.1:23456/dial") {
		t.Fatalf("command %q, want curl.exe -G to the pod's own netexec on the host port", cmd)
	}
	// the URL curl -G builds: the base, then each --data-urlencode value joined by &
	var data []string
	for i, a := range cmd {
		if a == "--data-urlencode" {
			data = append(data, cmd[i+1])
		}
	}
	got, err := url.ParseQuery(strings.Join(data, "&"))
	if err != nil {
		t.Fatal(err)
	}
	podSrc := p
	podSrc.Src.HostProcess = false
	u, err := url.Parse(podSrc.Command()[len(podSrc.Command())-1])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, u.Query()) {
		t.Errorf("HostProcess dial parameters %v, want those of the pod-network dial %v", got, u.Query())
	}
	for _, a := range cmd {
		if strings.ContainsAny(a, "&|<>^") {
			t.Errorf("argument %q: cmd.exe would read it as an operator", a)
		}
	}
	// the answer is netexec's /dial JSON, read as from every other source: the agnhost 2.56
	// answer of TestDialCommandAndParse (no agnhost output from a Windows node is recorded in
	// ../shared/reference/windows-fixtures)
	if obs, err := p.Observe(`{"responses":["b-1"]}`, "", nil); err != nil || obs != "b-1" {
		t.Errorf("Observe = %q, %v", obs, err)
	}
	if r := p.Retry("kubectl"); !strings.HasPrefix(r, "kubectl exec -n ns host-3 -c agnhost -- curl.exe ") {
		t.Errorf("retry %q", r)
	}
}

func containsSeq(s []string, seq ...string) bool {
	for i := 0; i+len(seq) <= len(s); i++ {
		if reflect.DeepEqual(s[i:i+len(seq)], seq) {
			return true
		}
	}
	return false
}

func TestLookup(t *testing.T) {
	p := Probe{Kind: Lookup, Src: src, Host: "b-all", Want: "192.168.1.9,192.168.2.7"}
	if got := strings.Join(p.Command(), " "); got != "dig +short +search +time=5 +tries=1 b-all" {
		t.Errorf("command = %q", got)
	}
	got, err := p.Observe("192.168.2.7\n192.168.1.9\n", "", nil)
	if err != nil || got != p.Want {
		t.Fatalf("Observe = %q, %v; want %q", got, err, p.Want)
	}
	if got := ParseLookup("kubernetes.default.svc.cluster.local.\n10.96.0.1\n;; connection timed out\n"); got != "10.96.0.1" {
		t.Errorf("ParseLookup dropped nothing: %q", got)
	}
	if got := ParseLookup(""); got != "" {
		t.Errorf("ParseLookup(empty) = %q", got)
	}
}

func TestPayload(t *testing.T) {
	p := Probe{Kind: Payload, Src: src, Host: "192.168.2.7", Port: 8080, Want: PayloadWant()}
	cmd := p.Command()
	if last := cmd[len(cmd)-1]; !strings.HasPrefix(last, "http://192.168.2.7:8080/echo?msg=xxx") || len(last) < PayloadBytes {
		t.Errorf("payload URL %q... is not a %d-byte echo", last[:40], PayloadBytes)
	}
	got, err := p.Observe("32768", "", nil)
	if err != nil || !(Result{Probe: p, Observed: got}).OK() {
		t.Fatalf("Observe = %q, %v", got, err)
	}
}

func TestLineHasEverythingToRetry(t *testing.T) {
	c := matrix.Cell{Scenario: matrix.PodToPod, Proto: matrix.TCP, Src: matrix.Linux, Dst: matrix.Linux, Placement: matrix.OtherNode}
	p := Probe{Cell: c, Kind: Dial, Src: src, Host: "192.168.2.7", Port: 8080, Proto: matrix.TCP, Want: "b-1", DstDesc: "b-1 on w2"}
	line := Result{Probe: p, Err: errors.New("i/o timeout")}.Line("kubectl --kubeconfig /k")
	for _, want := range []string{"pod-to-pod/tcp linux -> linux (other node)", "ns/a-0 (192.168.1.5, node w1)", "b-1 on w2 (192.168.2.7:8080 tcp)",
		`expected "b-1"`, "observed error: i/o timeout", "retry: kubectl --kubeconfig /k exec -n ns a-0 -c agnhost -- curl -sS -g --max-time 5 'http://127.0.0.1:8080/dial?"} {
		if !strings.Contains(line, want) {
			t.Errorf("line lacks %q:\n%s", want, line)
		}
	}
	if strings.Contains(line, "\n") {
		t.Errorf("line is not one line: %q", line)
	}
}

func TestRunIsParallelBoundedAndOrdered(t *testing.T) {
	var inflight, peak int32
	exec := func(ctx context.Context, ns, pod, c string, cmd []string) (string, string, error) {
		n := atomic.AddInt32(&inflight, 1)
		for {
			p := atomic.LoadInt32(&peak)
			if n <= p || atomic.CompareAndSwapInt32(&peak, p, n) {
				break
			}
		}
		defer atomic.AddInt32(&inflight, -1)
		host := ""
		for _, a := range cmd {
			if i := strings.Index(a, "host="); i >= 0 {
				host = strings.SplitN(a[i+5:], "&", 2)[0]
			}
		}
		if host == "10.0.0.3" {
			return `{"errors":["timeout"]}`, "", nil
		}
		return `{"responses":["` + host + `"]}`, "", nil
	}
	var probes []Probe
	for _, h := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"} {
		probes = append(probes, Probe{Kind: Dial, Src: src, Host: h, Port: 8080, Proto: matrix.TCP, Want: h})
	}
	rs := Run(context.Background(), exec, probes, 2)
	if peak > 2 {
		t.Errorf("%d probes ran at once, limit 2", peak)
	}
	for i, r := range rs {
		if r.Probe.Host != probes[i].Host {
			t.Fatalf("result %d is for %s, want %s", i, r.Probe.Host, probes[i].Host)
		}
	}
	if f := Failed(rs); len(f) != 1 || f[0].Probe.Host != "10.0.0.3" {
		t.Fatalf("Failed = %+v, want only 10.0.0.3", f)
	}
}

func TestParseDontFragment(t *testing.T) {
	if got, err := ParseDontFragment("mtu=1450 rc=0\n", "", nil); err != nil || got != DontFragmentWant {
		t.Errorf("answered: %q %v", got, err)
	}
	// as iputils ping printed it in the veth_mtu fault run (pod MTU 1500 over vxlan.calico 1450)
	out := "mtu=1500 rc=1\nPING 192.168.1.5 (192.168.1.5) 1472(1500) bytes of data.\nping: local error: message too long, mtu=1450\n--- 192.168.1.5 ping statistics ---\n"
	_, err := ParseDontFragment(out, "", nil)
	if err == nil || !strings.Contains(err.Error(), "1500-byte packet") || !strings.Contains(err.Error(), "message too long, mtu=1450") {
		t.Errorf("too long: %v", err)
	}
	if _, err := ParseDontFragment("", "sh: ping: not found", errors.New("exit status 127")); err == nil || !strings.Contains(err.Error(), "did not run") {
		t.Errorf("no ping: %v", err)
	}
}
