package framework

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient/wait"

	"github.com/calico-conformance/e2e/e2e/findings"
	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/e2e/windows"
)

// Windows nodes in a run: their probe pods (the agnhost Windows variant of each node's build,
// from WINDOWS_REGISTRY; the host-network one a HostProcess pod), their longer timeouts, and
// their evidence (a HostProcess pod that runs the collectors of e2e/windows on the node) and
// findings (the Windows rules). None of this has run on a real Windows node: it is tested
// against rendered pods and commands and recorded Windows output.

// privilegedLabel lets the fixture namespace admit the HostProcess pods of Windows nodes: the
// host-network probe pods and the evidence pods.
const privilegedLabel = "pod-security.kubernetes.io/enforce"

// agnhostVersion is the tag of the (Linux) agnhost image, which the Windows variants share.
func agnhostVersion(image string) string {
	if i := strings.LastIndex(image, ":"); i >= 0 && !strings.Contains(image[i:], "/") {
		return image[i+1:]
	}
	return "2.56"
}

// windowsImage is the agnhost image for a Windows node, or an error naming the node and what is
// missing (WINDOWS_REGISTRY, or an agnhost variant for its build).
func windowsImage(cfg Config, n Node) (string, error) {
	img, err := windows.AgnhostImage(cfg.WindowsRegistry, agnhostVersion(cfg.AgnhostImage), n.WindowsBuild)
	if err != nil {
		return "", fmt.Errorf("Windows node %s (build %q): %w", n.Name, n.WindowsBuild, err)
	}
	return img, nil
}

// windowsProbePod is a probe pod of site i on a Windows node: it serves exactly like the Linux
// ones (agnhost netexec on the given ports). The host-network one is a HostProcess pod.
func windowsProbePod(cfg Config, ns, name, role string, i int, n Node, hostNetwork bool, httpPort, udpPort int) (*corev1.Pod, error) {
	img, err := windowsImage(cfg, n)
	if err != nil {
		return nil, err
	}
	return windows.ProbePod{Namespace: ns, Name: name, Node: n.Name, Image: img, PullPolicy: pullPolicy(cfg),
		Labels:   map[string]string{runLabel: cfg.RunID, roleLabel: role, siteLabel: fmt.Sprint(i)},
		HTTPPort: httpPort, UDPPort: udpPort, HostNetwork: hostNetwork}.Pod(), nil
}

// hasWindows reports whether the facts list a Windows node.
func hasWindows(f Facts) bool { return len(f.NodesOf(matrix.Windows)) > 0 }

// fixtureTimeout is how long the probe pods may take to be Ready: Windows images are large.
func fixtureTimeout(f Facts) time.Duration {
	if hasWindows(f) {
		return windows.PodStartTimeout
	}
	return 3 * time.Minute
}

// cellTimeout is how long a cell retries: a cell with a Windows end waits at least for HNS to
// be programmed (kube-proxy's sync on Windows).
func cellTimeout(cfg Config, c matrix.Cell) time.Duration {
	if c.Src == matrix.Windows || c.Dst == matrix.Windows {
		return max(cfg.CellTimeout, windows.HNSProgrammingTimeout)
	}
	return cfg.CellTimeout
}

// windowsEvidence runs the HostProcess evidence pod on a Windows node and returns its log (the
// collectors' outputs under "### name: command" headers). It needs the fixture namespace (which
// admits privileged pods when the cluster has Windows nodes); the pod is deleted afterwards.
func windowsEvidence(ctx context.Context, s *Suite, cs kubernetes.Interface, n Node) (string, error) {
	return windowsCollect(ctx, s, cs, n, windows.Commands)
}

// windowsCollect runs the collectors cmds in a HostProcess pod on node n and returns its log.
func windowsCollect(ctx context.Context, s *Suite, cs kubernetes.Interface, n Node, cmds []windows.Command) (string, error) {
	if s.Topology.Namespace == "" {
		return "", fmt.Errorf("no suite namespace to run the HostProcess evidence pod in (run make e2e-run first)")
	}
	img, err := windowsImage(s.Config, n)
	if err != nil {
		return "", err
	}
	pod := windows.EvidencePod(s.Topology.Namespace, "evidence-"+shortHash(n.Name), n.Name, img, pullPolicy(s.Config),
		map[string]string{runLabel: s.Config.RunID}, cmds)
	r := s.Client.Resources()
	_ = r.Delete(ctx, pod) // a leftover of an earlier failure of this spec
	if err := r.Create(ctx, pod); err != nil {
		return "", fmt.Errorf("create the evidence pod on %s: %w", n.Name, err)
	}
	defer func() { _ = r.Delete(context.WithoutCancel(ctx), pod) }()
	done := func(ctx context.Context) (bool, error) {
		var p corev1.Pod
		if err := r.Get(ctx, pod.Name, pod.Namespace, &p); err != nil {
			return false, err
		}
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed, nil
	}
	if err := wait.For(done, wait.WithContext(ctx), wait.WithTimeout(windows.EvidenceTimeout(cmds)+time.Minute), wait.WithInterval(2*time.Second)); err != nil {
		return "", fmt.Errorf("the evidence pod on %s did not finish: %w", n.Name, err)
	}
	logs, err := cs.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: "evidence"}).DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("read the evidence pod's log on %s: %w", n.Name, err)
	}
	return string(logs), nil
}

// shortHash keeps a pod name short and valid for any node name.
func shortHash(s string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return fmt.Sprintf("%08x", h)
}

// analyzeWindows runs the Windows rules over every Windows node file of a bundle; the notes say
// which checks could not run and why.
func analyzeWindows(b findings.Bundle) ([]findings.Finding, []string) {
	// The Service range is not in the evidence (a cluster the suite did not make may use any):
	// the OutboundNAT exception check then covers the pool only.
	want := windows.Expect{}
	if b.Cluster.PoolCIDR != "" {
		want.PoolCIDRs = []string{b.Cluster.PoolCIDR}
	}
	if b.Cluster.Mode == "vxlan" {
		want.VNI, want.VXLANPort = 4096, 4789
	}
	var out []findings.Finding
	var notes []string
	for _, w := range b.Windows {
		ev := windows.NodeEvidence{Node: windows.Node{Name: w.Node, InternalIP: b.Cluster.Nodes[w.Node]}, Build: b.Cluster.WindowsNodes[w.Node]}
		fs, n := windows.AnalyzeNodeFile(ev, w.File, w.Text, want)
		out = append(out, fs...)
		notes = append(notes, n...)
	}
	return out, notes
}

// hnsNetworksOnly is the one collector the setup's management-IP check needs.
func hnsNetworksOnly() []windows.Command {
	for _, c := range windows.Commands {
		if c.Name == "hns-networks" {
			return []windows.Command{c}
		}
	}
	return nil
}

// ManagementIPProblems is the check after install on every Windows node: the HNS overlay
// network's management IP (HNS's VXLAN provider address) must be the node's InternalIP, else
// the VXLAN adapter is the wrong NIC (the Vagrant NAT trap: 10.0.2.15 on every box) and
// traffic between nodes dies silently. Each problem names both addresses and the fix.
func ManagementIPProblems(ctx context.Context, s *Suite, cs kubernetes.Interface) []string {
	var out []string
	for _, n := range s.Topology.Facts.NodesOf(matrix.Windows) {
		text, err := windowsCollect(ctx, s, cs, n, hnsNetworksOnly())
		if err != nil {
			out = append(out, fmt.Sprintf("node %s: the HNS networks could not be read: %v", n.Name, err))
			continue
		}
		out = append(out, managementIPProblems(n, text)...)
	}
	return out
}

// managementIPProblems reads one node's Get-HnsNetwork section (the collector's output).
func managementIPProblems(n Node, text string) []string {
	nets, err := windows.ParseHnsNetworks(windows.Texts(windows.SplitEvidence(text, hnsNetworksOnly()))["hns-networks.json"])
	if err != nil {
		return []string{fmt.Sprintf("node %s: Get-HnsNetwork output unreadable: %v", n.Name, err)}
	}
	var out []string
	node := windows.Node{Name: n.Name, InternalIP: n.IP}
	for _, f := range append(windows.ManagementIPMismatch(node, "", nets), windows.ManagementIPAPIPA(node, "", nets)...) {
		out = append(out, fmt.Sprintf("node %s: %s (fix: %s)", n.Name, f.Cause, f.Fix))
	}
	return out
}
