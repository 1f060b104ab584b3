package framework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/e2e/probe"
	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/lifecycle"
)

// Ports of the probe pods' agnhost netexec.
const (
	HTTPPort  = 8080
	UDPPort   = 8081
	container = "agnhost"
	runLabel  = lifecycle.RunLabel
	roleLabel = "e2e.calico-conformance.io/role"
	siteLabel = "e2e.calico-conformance.io/site"
	headless  = "b-all"
)

// Site is the probe fixture on one node: a client pod (a-i, probes start there), a server pod
// (b-i, the destination), a host-network netexec (host-i; on Windows a HostProcess pod) and a
// NodePort Service whose only backend is b-i.
type Site struct {
	// Index is the site's number: its pods' and Service's names and site label (the node's
	// position in Facts.Nodes; a node without a site leaves a gap).
	Index      int
	Node       Node
	Client     probe.Endpoint
	Server     probe.Endpoint
	Host       *probe.Endpoint `json:",omitempty"`
	Service    string
	ClusterIP  string
	NodePort   int
	UDPNodePrt int
}

// Topology is the fixture every spec probes; process 1 builds it, every process reads it.
type Topology struct {
	Namespace    string
	Facts        Facts
	Sites        []Site
	HostPort     int
	KubernetesIP string
}

// HostPortFor picks the host-network netexec port from the fixture namespace, so suite runs
// sharing a cluster (or following each other while the previous fixture is still being
// deleted) do not collide on the nodes' ports.
func HostPortFor(namespace string) int {
	h := fnv.New32a()
	h.Write([]byte(namespace))
	return 20000 + int(h.Sum32()%10000)
}

func siteName(role string, i int) string { return fmt.Sprintf("%s-%d", role, i) }

// NewNamespace names the fixture namespace of one suite run: unique per invocation, so a run
// never waits on, nor collides with, the fixture of a previous run that is still being deleted.
func NewNamespace() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "e2e-conn-" + hex.EncodeToString(b)
}

// pullPolicy of the probe pods: under IMAGES=source the suite never pulls (a node without the
// image fails the setup at once, naming it); published images may be pulled by the cluster.
func pullPolicy(cfg Config) corev1.PullPolicy {
	if cfg.Images == "source" {
		return corev1.PullNever
	}
	return corev1.PullIfNotPresent
}

func probePod(cfg Config, ns, name, role string, i int, n Node, hostNetwork bool, httpPort, udpPort int) *corev1.Pod {
	grace := int64(1)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
			Labels: map[string]string{runLabel: cfg.RunID, roleLabel: role, siteLabel: fmt.Sprint(i)}},
		Spec: corev1.PodSpec{
			NodeName:                      n.Name,
			NodeSelector:                  map[string]string{corev1.LabelOSStable: string(n.OS)},
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			HostNetwork:                   hostNetwork,
			TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{
				Name:            container,
				Image:           cfg.AgnhostImage,
				ImagePullPolicy: pullPolicy(cfg),
				Args:            []string{"netexec", fmt.Sprintf("--http-port=%d", httpPort), fmt.Sprintf("--udp-port=%d", udpPort)},
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: int32(httpPort)},
					{Name: "udp", ContainerPort: int32(udpPort), Protocol: corev1.ProtocolUDP}},
				// NET_ADMIN lets the IPIP preflight create a tunnel inside the pod's own namespace.
				SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}}},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(int32(httpPort))}},
					PeriodSeconds: 1,
				},
			}},
		},
	}
}

func siteService(ns string, i int) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: siteName("svc-b", i), Namespace: ns},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeNodePort,
			Selector: map[string]string{roleLabel: "b", siteLabel: fmt.Sprint(i)},
			Ports: []corev1.ServicePort{
				{Name: "http", Port: HTTPPort, TargetPort: intstr.FromInt32(HTTPPort), Protocol: corev1.ProtocolTCP},
				{Name: "udp", Port: UDPPort, TargetPort: intstr.FromInt32(UDPPort), Protocol: corev1.ProtocolUDP},
			},
		},
	}
}

// siteOn reports whether node n gets probe pods: every Linux node, and Windows nodes when the
// mode gives them pod networking (Calico for Windows has no IPIP).
func siteOn(cfg Config, n Node) bool {
	if n.OS != matrix.Windows {
		return true
	}
	ok, _ := calico.WindowsPodNetwork(cfg.Mode)
	return ok
}

// windowsSitePods are the probe pods of every Windows site of namespace ns: a-i and b-i, and
// host-i, a HostProcess pod on the run's host port. An error names the node whose image cannot
// be chosen.
func windowsSitePods(cfg Config, f Facts, ns string) ([]k8s.Object, error) {
	hostPort := HostPortFor(ns)
	var pods []k8s.Object
	for i, n := range f.Nodes {
		if !siteOn(cfg, n) || n.OS != matrix.Windows {
			continue
		}
		for _, role := range []string{"a", "b", "host"} {
			host, httpPort, udpPort := false, HTTPPort, UDPPort
			if role == "host" {
				host, httpPort, udpPort = true, hostPort, hostPort+1
			}
			p, err := windowsProbePod(cfg, ns, siteName(role, i), role, i, n, host, httpPort, udpPort)
			if err != nil {
				return nil, err
			}
			pods = append(pods, p)
		}
	}
	return pods, nil
}

// CreateFixture creates the namespace ns (labelled with the run id, so cleanup finds it), the
// probe pods of every node and their Services.
func CreateFixture(ctx context.Context, r *resources.Resources, cfg Config, f Facts, ns string) error {
	// Windows probe pods need their image from WINDOWS_REGISTRY: check before creating anything
	winPods, err := windowsSitePods(cfg, f, ns)
	if err != nil {
		return &FixtureError{Permanent: true, Msg: err.Error()}
	}
	labels := map[string]string{runLabel: cfg.RunID, lifecycle.InvocationLabel: ns}
	if len(winPods) > 0 {
		labels[privilegedLabel] = "privileged" // the HostProcess probe and evidence pods of Windows nodes
	}
	if err := r.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: labels}}); err != nil {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	hostPort := HostPortFor(ns)
	objs := winPods
	for i, n := range f.Nodes {
		if !siteOn(cfg, n) {
			continue
		}
		if n.OS == matrix.Linux {
			objs = append(objs, probePod(cfg, ns, siteName("a", i), "a", i, n, false, HTTPPort, UDPPort),
				probePod(cfg, ns, siteName("b", i), "b", i, n, false, HTTPPort, UDPPort))
		}
		objs = append(objs, siteService(ns, i))
		if n.OS == matrix.Linux {
			objs = append(objs, probePod(cfg, ns, siteName("host", i), "host", i, n, true, hostPort, hostPort+1))
		}
	}
	objs = append(objs, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: headless, Namespace: ns},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{roleLabel: "b"},
			Ports: []corev1.ServicePort{{Name: "http", Port: HTTPPort}}},
	})
	for _, o := range objs {
		if err := r.Create(ctx, o); err != nil {
			return fmt.Errorf("create %s/%s: %w", ns, o.GetName(), err)
		}
	}
	return nil
}

// ReadTopology reads the fixture of namespace ns back; it fails (so a caller can retry) until
// every probe pod is Ready and every Service has its addresses. A pod that can never start
// (its image is absent under pull policy Never, it was rejected by the node, it crash-loops)
// is a *FixtureError with Permanent set: waiting longer cannot help.
func ReadTopology(ctx context.Context, r *resources.Resources, cfg Config, f Facts, ns string) (Topology, error) {
	t := Topology{Namespace: ns, Facts: f, HostPort: HostPortFor(ns)}
	var pods corev1.PodList
	if err := r.WithNamespace(ns).List(ctx, &pods, resources.WithLabelSelector(runLabel+"="+cfg.RunID)); err != nil {
		return t, err
	}
	byName := map[string]corev1.Pod{}
	var notReady, fatal []string
	for _, p := range pods.Items {
		byName[p.Name] = p
		if lifecycle.PodReady(p) {
			continue
		}
		line := fmt.Sprintf("%s on node %s: %s", p.Name, p.Spec.NodeName, podState(p))
		if why, ok := podCannotStart(p); ok {
			fatal = append(fatal, line+": "+why)
		} else {
			notReady = append(notReady, line)
		}
	}
	if len(fatal) > 0 {
		sort.Strings(fatal)
		return t, &FixtureError{Permanent: true, Msg: "probe pods cannot start: " + strings.Join(fatal, "; ")}
	}
	if len(notReady) > 0 {
		sort.Strings(notReady)
		return t, &FixtureError{Msg: "probe pods not ready: " + strings.Join(notReady, "; ")}
	}
	var kube corev1.Service
	if err := r.Get(ctx, "kubernetes", "default", &kube); err != nil {
		return t, err
	}
	t.KubernetesIP = kube.Spec.ClusterIP
	for i, n := range f.Nodes {
		if !siteOn(cfg, n) {
			continue
		}
		s := Site{Index: i, Node: n, Service: siteName("svc-b", i)}
		ep := func(name string, port int) (probe.Endpoint, error) {
			p, ok := byName[name]
			if !ok {
				return probe.Endpoint{}, fmt.Errorf("probe pod %s/%s is missing", ns, name)
			}
			return probe.Endpoint{Namespace: ns, Pod: name, Container: container, IP: p.Status.PodIP, Node: n.Name, OS: n.OS, NetexecPort: port}, nil
		}
		var err error
		if s.Client, err = ep(siteName("a", i), HTTPPort); err != nil {
			return t, err
		}
		if s.Server, err = ep(siteName("b", i), HTTPPort); err != nil {
			return t, err
		}
		h, err := ep(siteName("host", i), t.HostPort)
		if err != nil {
			return t, err
		}
		h.HostProcess = n.OS == matrix.Windows
		s.Host = &h
		var svc corev1.Service
		if err := r.Get(ctx, s.Service, ns, &svc); err != nil {
			return t, err
		}
		s.ClusterIP = svc.Spec.ClusterIP
		for _, p := range svc.Spec.Ports {
			if p.Protocol == corev1.ProtocolUDP {
				s.UDPNodePrt = int(p.NodePort)
			} else {
				s.NodePort = int(p.NodePort)
			}
		}
		t.Sites = append(t.Sites, s)
	}
	return t, nil
}

// FixtureError says why the probe fixture is not usable (yet).
type FixtureError struct {
	Msg       string
	Permanent bool // retrying cannot help
}

func (e *FixtureError) Error() string { return e.Msg }

// Waiting reasons of a container that will not start without someone changing the node or the
// pod: retrying the wait only delays the verdict.
var fatalWaiting = map[string]bool{
	"ErrImageNeverPull": true, "InvalidImageName": true, "ErrImagePull": true, "ImagePullBackOff": true,
	"CreateContainerConfigError": true, "CreateContainerError": true, "CrashLoopBackOff": true,
}

// podCannotStart reports a pod that will never become Ready on its own, and why.
func podCannotStart(p corev1.Pod) (string, bool) {
	if p.Status.Phase == corev1.PodFailed {
		return strings.TrimSpace(p.Status.Reason + " " + p.Status.Message), true
	}
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && fatalWaiting[w.Reason] {
			return w.Message, true
		}
	}
	return "", false
}

func podState(p corev1.Pod) string {
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil {
			return w.Reason
		}
	}
	return string(p.Status.Phase)
}

// DeleteFixture deletes the fixture namespace ns (its deletion finishes in the background).
func DeleteFixture(ctx context.Context, r *resources.Resources, ns string) error {
	err := r.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	if err != nil && !strings.Contains(err.Error(), "not found") {
		return err
	}
	return nil
}
