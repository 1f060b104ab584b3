package framework

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/calico-conformance/e2e/e2e/findings"
	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/e2e/probe"
)

var win = Node{Name: "winw1", IP: "10.20.30.11", OS: matrix.Windows, WindowsBuild: "10.0.20348"}

func TestWindowsProbePod(t *testing.T) {
	cfg := Config{RunID: "r1", AgnhostImage: "registry.k8s.io/e2e-test-images/agnhost:2.56", Images: "source"}
	if _, err := windowsProbePod(cfg, "ns", "b-1", "b", 1, win, false, HTTPPort, UDPPort); err == nil || !strings.Contains(err.Error(), "winw1") || !strings.Contains(err.Error(), "WINDOWS_REGISTRY") {
		t.Errorf("no registry: %v, want an error naming the node and WINDOWS_REGISTRY", err)
	}
	cfg.WindowsRegistry = "registry.example.com:5000/e2e"
	p, err := windowsProbePod(cfg, "ns", "b-1", "b", 1, win, false, HTTPPort, UDPPort)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Spec.Containers[0]
	if c.Image != "registry.example.com:5000/e2e/agnhost:2.56-windows-amd64-ltsc2022" || c.ImagePullPolicy != corev1.PullNever {
		t.Errorf("image %s pull %s", c.Image, c.ImagePullPolicy)
	}
	if p.Labels[roleLabel] != "b" || p.Labels[siteLabel] != "1" || p.Labels[runLabel] != "r1" {
		t.Errorf("labels %v: the site Service selects role and site", p.Labels)
	}
	if p.Spec.NodeSelector[corev1.LabelOSStable] != "windows" || p.Spec.NodeSelector[corev1.LabelHostname] != "winw1" {
		t.Errorf("node selector %v", p.Spec.NodeSelector)
	}
	if _, err := windowsProbePod(cfg, "ns", "b-1", "b", 1, Node{Name: "w25", OS: matrix.Windows, WindowsBuild: "10.0.26100"}, false, HTTPPort, UDPPort); err == nil || !strings.Contains(err.Error(), "w25") {
		t.Errorf("a build agnhost has no variant for must be named: %v", err)
	}
}

// A Windows site has three probe pods: a-i and b-i on the pod network, and host-i, the node's
// host-network source, a HostProcess pod on the run's host port in the privileged namespace.
func TestWindowsSitePods(t *testing.T) {
	cfg := Config{RunID: "r1", AgnhostImage: "registry.k8s.io/e2e-test-images/agnhost:2.56", Images: "source",
		WindowsRegistry: "registry.example.com:5000/e2e", Mode: "vxlan"}
	lin := Node{Name: "cp", IP: "172.18.0.2", OS: matrix.Linux}
	f := Facts{Nodes: []Node{lin, win}}
	objs, err := windowsSitePods(cfg, f, "e2e-conn-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 3 {
		t.Fatalf("%d Windows pods, want a-1, b-1 and host-1", len(objs))
	}
	port := HostPortFor("e2e-conn-1")
	for _, o := range objs {
		p := o.(*corev1.Pod)
		if p.Spec.NodeSelector[corev1.LabelHostname] != "winw1" || p.Labels[siteLabel] != "1" || p.Labels[runLabel] != "r1" {
			t.Errorf("%s: node selector %v labels %v", p.Name, p.Spec.NodeSelector, p.Labels)
		}
		hp := p.Spec.SecurityContext != nil && p.Spec.SecurityContext.WindowsOptions != nil &&
			p.Spec.SecurityContext.WindowsOptions.HostProcess != nil && *p.Spec.SecurityContext.WindowsOptions.HostProcess
		c := p.Spec.Containers[0]
		switch p.Name {
		case "host-1":
			if !hp || !p.Spec.HostNetwork || p.Labels[roleLabel] != "host" || c.Name != container {
				t.Errorf("host-1: hostProcess %v hostNetwork %v role %q container %q", hp, p.Spec.HostNetwork, p.Labels[roleLabel], c.Name)
			}
			if c.Ports[0].ContainerPort != int32(port) || c.Ports[1].ContainerPort != int32(port+1) ||
				!strings.Contains(strings.Join(c.Command, " "), fmt.Sprintf("netexec --http-port=%d --udp-port=%d", port, port+1)) {
				t.Errorf("host-1 listens on %+v with %q, want the run's host port %d", c.Ports, c.Command, port)
			}
			if c.Image != "registry.example.com:5000/e2e/agnhost:2.56-windows-amd64-ltsc2022" || c.ImagePullPolicy != corev1.PullNever {
				t.Errorf("host-1 image %s pull %s", c.Image, c.ImagePullPolicy)
			}
		case "a-1", "b-1":
			if hp || p.Spec.HostNetwork || c.Ports[0].ContainerPort != HTTPPort {
				t.Errorf("%s: hostProcess %v hostNetwork %v ports %+v, want a pod-network pod on %d", p.Name, hp, p.Spec.HostNetwork, c.Ports, HTTPPort)
			}
		default:
			t.Errorf("unexpected pod %s", p.Name)
		}
	}
	// IPIP gives Windows nodes no pod network: no site there, so no pods at all
	cfg.Mode = "ipip"
	if objs, err := windowsSitePods(cfg, f, "e2e-conn-1"); err != nil || len(objs) != 0 {
		t.Errorf("ipip: %d pods, %v; want none", len(objs), err)
	}
	cfg.Mode, cfg.WindowsRegistry = "vxlan", ""
	if _, err := windowsSitePods(cfg, f, "e2e-conn-1"); err == nil || !strings.Contains(err.Error(), "winw1") {
		t.Errorf("no registry: %v, want an error naming the node", err)
	}
}

// The host-to-pod cells from Windows probe from each Windows node's HostProcess pod, with the
// command written for it.
func TestWindowsHostToPodProbes(t *testing.T) {
	topo := testTopology()
	cfg := Config{ClusterDomain: "cluster.local"}
	ps := topo.Probes(matrix.Cell{Scenario: matrix.HostToPod, Proto: matrix.TCP, Src: matrix.Windows, Dst: matrix.Linux, Placement: matrix.OtherNode}, cfg)
	if len(ps) != 3 {
		t.Fatalf("%d probes from win1's host to the 3 Linux pods, want 3", len(ps))
	}
	for _, p := range ps {
		if p.Src.Pod != "host-3" || !p.Src.HostProcess || p.Src.NetexecPort != topo.HostPort || p.Src.IP != "172.18.0.9" {
			t.Errorf("source %+v, want host-3, the HostProcess pod on win1's address and the host port", p.Src)
		}
		if cmd := p.Command(); cmd[0] != "curl.exe" || strings.Contains(strings.Join(cmd, " "), "&") {
			t.Errorf("command %q, want the HostProcess dial (curl.exe, no & on the command line)", cmd)
		}
	}
	same := topo.Probes(matrix.Cell{Scenario: matrix.HostToPod, Proto: matrix.TCP, Src: matrix.Windows, Dst: matrix.Windows, Placement: matrix.SameNode}, cfg)
	if len(same) != 1 || same[0].Want != "b-3" || same[0].Host != "192.168.1.3" {
		t.Errorf("same-node probes %+v, want one from host-3 to b-3", same)
	}
	lin := topo.Probes(matrix.Cell{Scenario: matrix.HostToPod, Proto: matrix.TCP, Src: matrix.Linux, Dst: matrix.Windows, Placement: matrix.OtherNode}, cfg)
	for _, p := range lin {
		if p.Src.HostProcess || p.Src.OS != matrix.Linux {
			t.Errorf("a Linux host source marked HostProcess: %+v", p.Src)
		}
	}
}

func TestWindowsTimeouts(t *testing.T) {
	cfg := Config{CellTimeout: 20 * time.Second}
	if d := cellTimeout(cfg, matrix.Cell{Src: matrix.Linux, Dst: matrix.Windows}); d < time.Minute {
		t.Errorf("a Windows cell retries %s: less than HNS programming takes", d)
	}
	if d := cellTimeout(cfg, matrix.Cell{Src: matrix.Linux, Dst: matrix.Linux}); d != 20*time.Second {
		t.Errorf("a Linux cell retries %s, want CELL_TIMEOUT", d)
	}
	if fixtureTimeout(Facts{Nodes: []Node{win}}) <= fixtureTimeout(Facts{}) {
		t.Error("Windows probe pods must get longer to start")
	}
}

func TestWindowsDNSProbe(t *testing.T) {
	p := probe.Probe{Kind: probe.Lookup, Src: probe.Endpoint{OS: matrix.Windows}, Host: "kubernetes.default"}
	if cmd := strings.Join(p.Command(), " "); !strings.Contains(cmd, "Resolve-DnsName") || strings.Contains(cmd, "dig ") {
		t.Errorf("Windows lookup command %q", cmd)
	}
	p.Src.OS = matrix.Linux
	if cmd := p.Command(); cmd[0] != "dig" {
		t.Errorf("Linux lookup command %q", cmd)
	}
}

// A bundle with a Windows node: its file holds recorded Get-HnsNetwork output with the Vagrant
// NAT trap (management IP 10.0.2.15); the Windows rules name it, the Linux rules ignore the file.
func TestAnalyzeEvidenceWindowsNode(t *testing.T) {
	rec := filepath.Join("..", "..", "..", "shared", "reference", "windows-fixtures", "hns-network", "knabben-calico-overlay-mgmtip-vagrant-nat.txt")
	body, err := os.ReadFile(rec)
	if err != nil {
		t.Skipf("the recorded Windows outputs are not here (%v): they live in ../shared/reference/windows-fixtures", err)
	}
	dir := t.TempDir()
	cl := findings.Cluster{Mode: "vxlan", PoolCIDR: "100.244.0.0/16", Nodes: map[string]string{"winw1": "10.20.30.11"},
		WindowsNodes: map[string]string{"winw1": "10.0.17763.1432"}, DNSReadyEndpoints: 1}
	b, _ := json.Marshal(cl)
	if err := os.WriteFile(filepath.Join(dir, findings.ClusterFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	text := "### hns-networks: Get-HnsNetwork | ConvertTo-Json -Depth 20\n" + string(body)
	if err := os.WriteFile(filepath.Join(dir, "node-winw1.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	fs, err := AnalyzeEvidence(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].ID != "hns-mgmt-ip-mismatch" || !strings.Contains(fs[0].String(), "10.0.2.15") || fs[0].Evidence[0].File != "node-winw1.txt" {
		t.Fatalf("findings %v, want the management-IP mismatch on winw1 pointing into node-winw1.txt", fs)
	}
}

// The setup's check after install, on recorded Get-HnsNetwork output: the Vagrant NAT trap
// (management IP 10.0.2.15) is named with both addresses; the same output with the management
// IP equal to the InternalIP passes.
func TestManagementIPProblems(t *testing.T) {
	rec := filepath.Join("..", "..", "..", "shared", "reference", "windows-fixtures", "hns-network", "knabben-calico-overlay-mgmtip-vagrant-nat.txt")
	body, err := os.ReadFile(rec)
	if err != nil {
		t.Skipf("the recorded Windows outputs are not here (%v): they live in ../shared/reference/windows-fixtures", err)
	}
	text := "### hns-networks: Get-HnsNetwork | ConvertTo-Json -Depth 20\n" + string(body)
	node := Node{Name: "winw1", IP: "10.20.30.11", OS: matrix.Windows}
	ps := managementIPProblems(node, text)
	if len(ps) != 1 || !strings.Contains(ps[0], "10.0.2.15") || !strings.Contains(ps[0], "10.20.30.11") || !strings.Contains(ps[0], "fix:") {
		t.Fatalf("problems %q, want one naming 10.0.2.15 and 10.20.30.11 with the fix", ps)
	}
	node.IP = "10.0.2.15"
	if ps := managementIPProblems(node, text); len(ps) != 0 {
		t.Errorf("management IP = InternalIP: %q", ps)
	}
}
