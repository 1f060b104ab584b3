package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/yaml"

	"github.com/calico-conformance/e2e/e2e/findings"
	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/infra/lifecycle"
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
	// the BGP protocols confd's bird.cfg defines (names only: no passwords), next to the ones BIRD runs
	{"bird-config", "grep -hE '^protocol bgp ' /etc/calico/confd/config/bird.cfg 2>/dev/null || echo 'no BGP protocol in bird.cfg (vxlan backend, or no peer)'"},
	{"sysctl", "sysctl net.ipv4.ip_forward 2>&1; for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo \"$f = $(cat $f)\"; done"},
	{"nftables", `for t in $(nft list tables 2>/dev/null | awk '{print $2":"$3}'); do case $t in ip:filter|ip:nat|ip:mangle|ip:raw|ip:security|ip6:*) ;; *) nft list table ${t%%:*} ${t#*:} ;; esac; done`},
	{"service-rules", "{ iptables-nft-save -t nat 2>/dev/null; iptables-legacy-save -t nat 2>/dev/null; } | grep -- '-A KUBE-SERVICES' | head -300"},
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
		_ = os.WriteFile(filepath.Join(dir, name), []byte(capSize(Redact(content))), 0o644)
	}
	r := s.Client.Resources()
	var b strings.Builder
	var pods corev1.PodList
	if err := r.WithNamespace(s.Topology.Namespace).List(ctx, &pods, resources.WithLabelSelector(runLabel+"="+s.Config.RunID)); err == nil {
		for _, p := range pods.Items {
			fmt.Fprintf(&b, "pod %s/%s node=%s ip=%s phase=%s ready=%v\n", p.Namespace, p.Name, p.Spec.NodeName, p.Status.PodIP, p.Status.Phase, lifecycle.PodReady(p))
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
	cl, notes := clusterEvidence(ctx, s)
	if b, err := json.MarshalIndent(cl, "", "  "); err == nil {
		write(findings.ClusterFile, string(b))
	}
	if len(notes) > 0 {
		write("collection-errors.txt", strings.Join(notes, "\n")+"\n")
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
	// one exec per node, every node at once: the commands run in one shell, each under its
	// "### name: command" header (the sections the findings rules read)
	var wg sync.WaitGroup
	for _, n := range s.Topology.Facts.NodesOf(matrix.Linux) {
		p, ok := calicoPods[n.Name]
		if !ok {
			write("node-"+n.Name+".txt", "no calico-node pod on this node")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			out, errOut, err := s.exec(cctx, p.Namespace, p.Name, "calico-node", []string{"sh", "-c", nodeScript()})
			if err != nil {
				out += fmt.Sprintf("(error: %v %s)\n", err, errOut)
			}
			write("node-"+n.Name+".txt", out)
			tailLines := int64(300)
			if logs, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: "calico-node", TailLines: &tailLines}).DoRaw(cctx); err == nil {
				write("calico-node-"+n.Name+".log", string(logs))
			}
		}()
	}
	for _, n := range s.Topology.Facts.NodesOf(matrix.Windows) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := windowsEvidence(ctx, s, cs, n)
			if err != nil {
				out += fmt.Sprintf("(error: %v)\n", err)
			}
			write("node-"+n.Name+".txt", out)
		}()
	}
	wg.Wait()
	return nil
}

// MaxEvidenceFile caps each evidence file: a runaway log or table cannot fill the disk of a CI
// runner or make a bundle too large to upload.
const MaxEvidenceFile = 2 << 20

func capSize(s string) string {
	if len(s) <= MaxEvidenceFile {
		return s
	}
	return s[:MaxEvidenceFile] + fmt.Sprintf("\n[truncated: %d more bytes; the cap is %d bytes per file]\n", len(s)-MaxEvidenceFile, MaxEvidenceFile)
}

// nodeScript runs every node command in one shell, each output under its header.
func nodeScript() string {
	var b strings.Builder
	for _, c := range nodeCommands {
		fmt.Fprintf(&b, "echo %s; ( %s ) 2>&1\n", shellQuote("### "+c.name+": "+c.cmd), c.cmd)
	}
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'" }

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

var (
	gnpGVK = schema.GroupVersionKind{Group: "crd.projectcalico.org", Version: "v1", Kind: "GlobalNetworkPolicyList"}
	cnpGVK = schema.GroupVersionKind{Group: "crd.projectcalico.org", Version: "v1", Kind: "NetworkPolicyList"}
)

// clusterEvidence gathers the cluster-wide facts the findings rules read: mode, nodes, block
// owners, the system pods per node, kube-dns's ready endpoints, the fixture's ClusterIPs and the
// network policies that can apply to the probe pods. What cannot be read is left empty and
// named in the returned notes; collection never fails as a whole.
func clusterEvidence(ctx context.Context, s *Suite) (findings.Cluster, []string) {
	r := s.Client.Resources()
	f := s.Topology.Facts
	c := findings.Cluster{Mode: string(f.Mode), PoolCIDR: f.PoolCIDR, Nodes: map[string]string{}, DNSReadyEndpoints: -1}
	var notes []string
	for _, n := range f.Nodes {
		c.Nodes[n.Name] = n.IP
		if n.OS == matrix.Windows {
			if c.WindowsNodes == nil {
				c.WindowsNodes = map[string]string{}
			}
			c.WindowsNodes[n.Name] = n.WindowsBuild
		}
	}
	for _, site := range s.Topology.Sites {
		c.FixtureClusterIPs = append(c.FixtureClusterIPs, site.ClusterIP)
	}
	var err error
	if c.Blocks, err = lifecycle.BlockOwners(ctx, r); err != nil {
		notes = append(notes, err.Error())
	}
	if c.Advertised, c.VIPs, err = vipEvidence(ctx, r, s.Topology.Namespace); err != nil {
		notes = append(notes, err.Error())
	}
	if c.Peers, c.MeshEnabled, err = peerEvidence(ctx, r); err != nil {
		notes = append(notes, err.Error())
	}
	var pods corev1.PodList
	if err := r.WithNamespace("").List(ctx, &pods, resources.WithLabelSelector("k8s-app in (calico-node, kube-proxy, kube-dns)")); err != nil {
		notes = append(notes, "list system pods: "+err.Error())
	}
	for _, p := range pods.Items {
		app := p.Labels["k8s-app"]
		if app == "kube-dns" {
			app = "coredns"
		}
		var restarts int32
		for _, cs := range p.Status.ContainerStatuses {
			restarts += cs.RestartCount
		}
		c.Pods = append(c.Pods, findings.Pod{Name: p.Name, Namespace: p.Namespace, Node: p.Spec.NodeName, App: app,
			Ready: lifecycle.PodReady(p), State: podState(p), Restarts: restarts})
	}
	var slices discoveryv1.EndpointSliceList
	if err := r.WithNamespace("kube-system").List(ctx, &slices, resources.WithLabelSelector(discoveryv1.LabelServiceName+"=kube-dns")); err != nil {
		notes = append(notes, "list kube-dns endpoints: "+err.Error())
	} else {
		c.DNSReadyEndpoints = 0
		for _, sl := range slices.Items {
			for _, ep := range sl.Endpoints {
				if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
					c.DNSReadyEndpoints++
				}
			}
		}
	}
	var nps networkingv1.NetworkPolicyList
	if err := r.WithNamespace(s.Topology.Namespace).List(ctx, &nps); err == nil {
		for _, np := range nps.Items {
			var types []string
			for _, t := range np.Spec.PolicyTypes {
				types = append(types, string(t))
			}
			c.Policies = append(c.Policies, findings.Policy{Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name,
				Selector: metav1.FormatLabelSelector(&np.Spec.PodSelector), Types: types})
		}
	}
	// Calico policies: those of the fixture namespace, and global ones whose selector can match
	// the probe pods: every pod (empty, all()) or one of the suite's labels. (Other selectors are
	// not evaluated: a policy selecting by another label cannot match the suite's pods.)
	for _, gvk := range []schema.GroupVersionKind{gnpGVK, cnpGVK} {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk)
		if err := r.List(ctx, list); err != nil {
			continue // Calico's CRDs absent (operator install without them): nothing to read
		}
		for _, p := range list.Items {
			sel, _, _ := unstructured.NestedString(p.Object, "spec", "selector")
			types, _, _ := unstructured.NestedStringSlice(p.Object, "spec", "types")
			global := gvk == gnpGVK
			applies := (!global && p.GetNamespace() == s.Topology.Namespace) ||
				(global && (strings.TrimSpace(sel) == "" || strings.TrimSpace(sel) == "all()" || strings.Contains(sel, "e2e.calico-conformance.io")))
			if applies {
				kind := strings.TrimSuffix(gvk.Kind, "List")
				c.Policies = append(c.Policies, findings.Policy{Kind: "Calico " + kind, Namespace: p.GetNamespace(), Name: p.GetName(), Selector: sel, Types: types})
			}
		}
	}
	return c, notes
}

// FindingsFile holds a spec's findings, next to its evidence.
const FindingsFile = "findings.json"

// AnalyzeEvidence runs the Linux findings rules over an evidence directory and writes
// findings.json there. A healthy cluster yields none.
func AnalyzeEvidence(dir string) ([]findings.Finding, error) {
	b, err := findings.LoadBundle(dir)
	if err != nil {
		return nil, fmt.Errorf("read the evidence in %s: %w", dir, err)
	}
	fs := findings.Analyze(b, findings.LinuxRules)
	if len(b.Windows) > 0 {
		wfs, notes := analyzeWindows(b)
		fs = append(fs, wfs...)
		findings.Sort(fs)
		if len(notes) > 0 {
			_ = os.WriteFile(filepath.Join(dir, "windows-checks-skipped.txt"), []byte(strings.Join(notes, "\n")+"\n"), 0o644)
		}
	}
	out, err := json.MarshalIndent(fs, "", "  ")
	if err != nil {
		return fs, err
	}
	return fs, os.WriteFile(filepath.Join(dir, FindingsFile), out, 0o644)
}

// CollectAndAnalyze collects a failed spec's evidence once (later calls for the same directory
// reuse it) and returns the findings read from it.
func CollectAndAnalyze(ctx context.Context, s *Suite, dir string) ([]findings.Finding, error) {
	if b, err := os.ReadFile(filepath.Join(dir, FindingsFile)); err == nil {
		var fs []findings.Finding
		return fs, json.Unmarshal(b, &fs)
	}
	if err := CollectEvidence(ctx, s, dir); err != nil {
		return nil, err
	}
	return AnalyzeEvidence(dir)
}

// RunFindings reads every findings.json under the run's evidence, without duplicates: what
// the report lists.
func RunFindings(artifacts string) []findings.Finding {
	files, _ := filepath.Glob(filepath.Join(artifacts, "evidence", "*", FindingsFile))
	seen := map[string]bool{}
	var all []findings.Finding
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var fs []findings.Finding
		if json.Unmarshal(b, &fs) != nil {
			continue
		}
		for _, x := range fs {
			key := x.ID + "|" + strings.Join(x.Nodes, ",") + "|" + x.Cause
			if !seen[key] {
				seen[key] = true
				all = append(all, x)
			}
		}
	}
	findings.Sort(all)
	return all
}

// FormatFindings renders findings for a failure message: one line each, or a line saying the
// evidence names no known cause.
func FormatFindings(fs []findings.Finding, err error) string {
	if err != nil {
		return "findings: none (the evidence could not be read: " + err.Error() + ")"
	}
	if len(fs) == 0 {
		return "findings: none of the known causes is in the evidence"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "findings (%d):", len(fs))
	for _, f := range fs {
		b.WriteString("\n  " + f.String())
	}
	return b.String()
}

var bgpConfigGVK = schema.GroupVersionKind{Group: "crd.projectcalico.org", Version: "v1", Kind: "BGPConfiguration"}

// vipEvidence reads the Service ranges of the default BGPConfiguration and the external and
// LoadBalancer IPs of the fixture namespace's Services.
func vipEvidence(ctx context.Context, r *resources.Resources, ns string) (map[string][]string, []findings.VIP, error) {
	var advertised map[string][]string
	conf := &unstructured.Unstructured{}
	conf.SetGroupVersionKind(bgpConfigGVK)
	if err := r.Get(ctx, "default", "", conf); err == nil {
		advertised = map[string][]string{}
		for _, field := range []string{"serviceClusterIPs", "serviceExternalIPs", "serviceLoadBalancerIPs"} {
			blocks, _, _ := unstructured.NestedSlice(conf.Object, "spec", field)
			for _, b := range blocks {
				if m, ok := b.(map[string]any); ok {
					if cidr, ok := m["cidr"].(string); ok {
						advertised[field] = append(advertised[field], cidr)
					}
				}
			}
		}
	} else if !apierrors.IsNotFound(err) {
		return nil, nil, fmt.Errorf("get BGPConfiguration default: %w", err)
	}
	var svcs corev1.ServiceList
	if err := r.WithNamespace(ns).List(ctx, &svcs); err != nil {
		return advertised, nil, fmt.Errorf("list Services of %s: %w", ns, err)
	}
	var vips []findings.VIP
	for _, svc := range svcs.Items {
		id, policy := svc.Namespace+"/"+svc.Name, string(svc.Spec.ExternalTrafficPolicy)
		for _, ip := range svc.Spec.ExternalIPs {
			vips = append(vips, findings.VIP{Service: id, Field: "serviceExternalIPs", IP: ip, TrafficPolicy: policy})
		}
		for _, in := range svc.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				vips = append(vips, findings.VIP{Service: id, Field: "serviceLoadBalancerIPs", IP: in.IP, TrafficPolicy: policy})
			}
		}
	}
	return advertised, vips, nil
}

var bgpPeerGVK = schema.GroupVersionKind{Group: "crd.projectcalico.org", Version: "v1", Kind: "BGPPeerList"}

// peerEvidence reads the Calico BGPPeers and the mesh setting of the default BGPConfiguration.
func peerEvidence(ctx context.Context, r *resources.Resources) ([]findings.Peer, *bool, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(bgpPeerGVK)
	if err := r.List(ctx, list); err != nil {
		return nil, nil, fmt.Errorf("list Calico BGPPeers: %w", err)
	}
	var peers []findings.Peer
	for _, p := range list.Items {
		spec, _, _ := unstructured.NestedMap(p.Object, "spec")
		str := func(k string) string { v, _ := spec[k].(string); return v }
		keep, _ := spec["keepOriginalNextHop"].(bool)
		as, _, _ := unstructured.NestedInt64(p.Object, "spec", "asNumber")
		peers = append(peers, findings.Peer{Name: p.GetName(), PeerIP: str("peerIP"), Node: str("node"), NodeSelector: str("nodeSelector"),
			ASNumber: as, KeepOriginalNextHop: keep})
	}
	conf := &unstructured.Unstructured{}
	conf.SetGroupVersionKind(bgpConfigGVK)
	if err := r.Get(ctx, "default", "", conf); err == nil {
		if mesh, ok, _ := unstructured.NestedBool(conf.Object, "spec", "nodeToNodeMeshEnabled"); ok {
			return peers, &mesh, nil
		}
	}
	return peers, nil, nil
}
