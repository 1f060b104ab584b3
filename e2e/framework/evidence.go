package framework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/yaml"

	"github.com/calico-conformance/e2e/e2e/matrix"
)

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// EvidenceDir is where a failed spec's evidence goes: one folder per spec.
func EvidenceDir(artifacts string, r types.SpecReport) string {
	name := strings.Trim(unsafeChars.ReplaceAllString(r.FullText(), "_"), "_")
	if len(name) > 120 {
		name = name[:120]
	}
	return filepath.Join(artifacts, "evidence", name)
}

var secretLine = regexp.MustCompile(`(?i)(password|passwd|token|secret|client-key-data|client-certificate-data|authorization)(["']?\s*[:=]\s*)[^\n]+`)

// Redact masks values that look like credentials, so artifacts never carry them.
func Redact(s string) string { return secretLine.ReplaceAllString(s, "${1}${2}[REDACTED]") }

// nodeCommands are run inside calico-node (host network, privileged) on every Linux node.
var nodeCommands = []struct{ name, cmd string }{
	{"addresses", "ip -d addr"},
	{"routes", "ip route show table all"},
	{"neighbours", "ip neigh"},
	{"vxlan-fdb", "bridge fdb show dev vxlan.calico 2>&1 || true"},
	{"iptables", "(iptables-save -c 2>/dev/null || iptables-legacy-save -c) | grep -E '^\\*|^:|cali|KUBE' | head -600"},
	{"bird-protocols", "birdcl -s /var/run/calico/bird.ctl show protocols all 2>&1 || echo 'no BIRD (vxlan backend)'"},
	{"bird-routes", "birdcl -s /var/run/calico/bird.ctl show route 2>&1 | head -200 || true"},
	{"sysctl", "sysctl net.ipv4.ip_forward 2>&1; for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo \"$f = $(cat $f)\"; done"},
	{"drop-counters", "grep -E '^(TcpExt|IpExt):' /proc/net/netstat; grep -E '^(Ip|Udp):' /proc/net/snmp"},
}

// CollectEvidence writes what a reader needs to explain a failure, before anything is deleted:
// the fixture's objects, Calico's pools and pods, and per node routes, FDB, iptables and BIRD
// state plus calico-node's log. Everything passes through Redact.
func CollectEvidence(ctx context.Context, s *Suite, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name, content string) {
		_ = os.WriteFile(filepath.Join(dir, name), []byte(Redact(content)), 0o644)
	}
	r := s.Client.Resources()
	var b strings.Builder
	var pods corev1.PodList
	if err := r.WithNamespace(s.Topology.Namespace).List(ctx, &pods, resources.WithLabelSelector(runLabel+"="+s.Config.RunID)); err == nil {
		for _, p := range pods.Items {
			fmt.Fprintf(&b, "pod %s/%s node=%s ip=%s phase=%s ready=%v\n", p.Namespace, p.Name, p.Spec.NodeName, p.Status.PodIP, p.Status.Phase, podReady(p))
		}
	}
	var svcs corev1.ServiceList
	if err := r.WithNamespace(s.Topology.Namespace).List(ctx, &svcs); err == nil {
		for _, sv := range svcs.Items {
			fmt.Fprintf(&b, "service %s type=%s clusterIP=%s ports=%v\n", sv.Name, sv.Spec.Type, sv.Spec.ClusterIP, sv.Spec.Ports)
		}
	}
	write("objects.txt", b.String())

	pools := &unstructured.UnstructuredList{}
	pools.SetGroupVersionKind(ippoolGVK)
	if err := r.List(ctx, pools); err == nil {
		var items []map[string]interface{}
		for _, p := range pools.Items {
			unstructured.RemoveNestedField(p.Object, "metadata", "managedFields")
			items = append(items, p.Object)
		}
		y, _ := yaml.Marshal(items)
		write("ippools.yaml", string(y))
	}
	if s.Router != nil {
		write("router.txt", routerEvidence(ctx, s.Router))
	}
	cs, err := kubernetes.NewForConfig(s.Client.RESTConfig())
	if err != nil {
		return err
	}
	calicoPods, err := calicoNodePods(ctx, r)
	if err != nil {
		write("calico-node.txt", err.Error())
		return nil
	}
	for _, n := range s.Topology.Facts.NodesOf(matrix.Linux) {
		p, ok := calicoPods[n.Name]
		if !ok {
			write("node-"+n.Name+".txt", "no calico-node pod on this node")
			continue
		}
		var nb strings.Builder
		for _, c := range nodeCommands {
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			out, errOut, err := s.exec(cctx, p.Namespace, p.Name, "calico-node", []string{"sh", "-c", c.cmd})
			cancel()
			fmt.Fprintf(&nb, "### %s: %s\n%s%s", c.name, c.cmd, out, errOut)
			if err != nil {
				fmt.Fprintf(&nb, "(error: %v)\n", err)
			}
		}
		write("node-"+n.Name+".txt", nb.String())
		tailLines := int64(300)
		logs, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: "calico-node", TailLines: &tailLines}).DoRaw(ctx)
		if err == nil {
			write("calico-node-"+n.Name+".log", string(logs))
		}
	}
	return nil
}

// calicoNodePods maps node name to its calico-node pod (manifest or operator install).
func calicoNodePods(ctx context.Context, r *resources.Resources) (map[string]corev1.Pod, error) {
	out := map[string]corev1.Pod{}
	var listErr error
	for _, ns := range []string{"kube-system", "calico-system"} {
		var pods corev1.PodList
		if err := r.WithNamespace(ns).List(ctx, &pods, resources.WithLabelSelector("k8s-app=calico-node")); err != nil {
			listErr = err
			continue
		}
		for _, p := range pods.Items {
			out[p.Spec.NodeName] = p
		}
	}
	if len(out) == 0 {
		if listErr != nil {
			return nil, fmt.Errorf("list calico-node pods: %w", listErr)
		}
		return nil, fmt.Errorf("no calico-node pods in kube-system or calico-system")
	}
	return out, nil
}

// ipipPreflight fails in seconds when a Linux node's kernel cannot make IPIP tunnels, naming
// the node: it creates a tunnel inside a probe pod's own network namespace (nothing on the node
// changes).
func ipipPreflight(ctx context.Context, c klient.Client, t Topology) error {
	s := &Suite{Client: c}
	var bad []string
	for _, site := range t.Sites {
		if site.Node.OS != matrix.Linux {
			continue
		}
		_, errOut, err := s.exec(ctx, t.Namespace, site.Client.Pod, container, []string{"sh", "-c", "ip link add e2e-ipip0 type ipip && ip link del e2e-ipip0"})
		if err != nil {
			bad = append(bad, fmt.Sprintf("node %s (kernel %s): %s", site.Node.Name, site.Node.Kernel, strings.TrimSpace(errOut)))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("preflight: MODE=ipip needs IPIP tunnel support in every Linux node's kernel; %s", strings.Join(bad, "; "))
	}
	return nil
}
