package lifecycle

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"os/exec"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/router"
)

// The external router of kind clusters: a container on kind's Docker network, eBGP (AS 65001)
// to every node (AS 64512) in modes with BGP, static routes in VXLAN mode.
const (
	KindNetwork = "kind"
	RouterPeer  = "e2e-router" // the Calico BGPPeer
	// PasswordSecret holds the sessions' TCP MD5 password (kube-system, key "password"): a
	// random value per run that lives only there and in the router's BIRD configuration.
	PasswordSecret = "e2e-bgp-password"
	RouterAS       = router.DefaultLocalAS
	ClusterAS      = router.DefaultClusterAS
	routerSuffix   = "-router"
	asymSuffix     = "-asym"
)

// The Service VIP ranges the cluster advertises to the router (BGPConfiguration
// serviceExternalIPs and serviceLoadBalancerIPs) or the router routes to every node (VXLAN). They
// are in 198.18.0.0/15, the benchmarking range (RFC 2544), which no real network uses; every node
// gets an unreachable route for all of it, so a packet to a VIP that kube-proxy has not
// translated yet is dropped on the node instead of following the node's default route off the
// machine.
const (
	ExternalIPRange     = "198.18.10.0/24"
	LoadBalancerIPRange = "198.18.20.0/24"
	VIPGuardRange       = "198.18.0.0/15"
)

// RouterFacts is what the suite needs to find the router and the second network.
type RouterFacts struct {
	Name          string `json:"name"`
	Network       string `json:"network"`
	SecondNetwork string `json:"secondNetwork,omitempty"`
}

// StartRouter brings up the run's router next to the kind cluster: in modes with BGP it peers
// with every node (Calico BGPPeer with keepOriginalNextHop, BGPConfiguration advertising the
// Service ClusterIP range); in VXLAN mode it routes each node's pod blocks to that node and the
// Service range to every node (static routes). It also attaches two workers to a second Docker
// network for the asymmetric-route specs. Everything carries the run's label.
func StartRouter(ctx context.Context, r *resources.Resources, o Options, image, calicoVersion string, log io.Writer) (RouterFacts, error) {
	f := RouterFacts{Name: o.ClusterName + routerSuffix, Network: KindNetwork}
	nodes, err := nodeAddresses(ctx, r)
	if err != nil {
		return f, err
	}
	if err := guardVIPs(ctx, nodes); err != nil {
		return f, err
	}
	cfg := router.Config{LocalAS: RouterAS, ClusterAS: ClusterAS}
	if o.Mode == calico.ModeVXLAN {
		if cfg.StaticRoutes, err = staticRoutes(ctx, r, nodes); err != nil {
			return f, err
		}
	}
	password := ""
	if o.Mode != calico.ModeVXLAN {
		password = newPassword()
		for _, n := range nodes {
			cfg.Peers = append(cfg.Peers, router.Peer{Node: n.name, IP: n.ip, AS: ClusterAS, Password: password})
		}
	}
	conf, err := router.Render(cfg)
	if err != nil {
		return f, err
	}
	rt, err := router.Start(ctx, router.StartOptions{Name: f.Name, Network: f.Network, Image: image,
		Labels: map[string]string{RunLabel: o.RunID}, Config: conf})
	if err != nil {
		return f, err
	}
	fmt.Fprintf(log, "external router %s at %s (AS %d; %s)\n", f.Name, rt.IP(), RouterAS, map[bool]string{true: "static routes", false: "eBGP to every node"}[o.Mode == calico.ModeVXLAN])
	if o.Mode != calico.ModeVXLAN {
		if err := applyBGP(ctx, r, rt.IP(), password, calicoVersion); err != nil {
			return f, err
		}
	}
	if f.SecondNetwork, err = secondNetwork(ctx, o, nodes); err != nil {
		return f, err
	}
	return f, nil
}

// StopRouter removes the run's router and second network (also those of a killed run).
func StopRouter(ctx context.Context, runID, cluster string) error {
	if _, err := router.RemoveByLabel(ctx, RunLabel+"="+runID); err != nil {
		return err
	}
	if cluster == "" {
		return nil
	}
	return removeNetwork(ctx, cluster+asymSuffix)
}

type nodeAddr struct{ name, ip string }

func nodeAddresses(ctx context.Context, r *resources.Resources) ([]nodeAddr, error) {
	var nodes corev1.NodeList
	if err := r.List(ctx, &nodes); err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	var out []nodeAddr
	for _, n := range nodes.Items {
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP && !strings.Contains(a.Address, ":") {
				out = append(out, nodeAddr{n.Name, a.Address})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	if len(out) == 0 {
		return nil, fmt.Errorf("no node has an IPv4 InternalIP")
	}
	return out, nil
}

var blockAffinityGVK = schema.GroupVersionKind{Group: "crd.projectcalico.org", Version: "v1", Kind: "BlockAffinityList"}

// BlockOwners maps each confirmed IPAM block (CIDR) to the node that owns it.
func BlockOwners(ctx context.Context, r *resources.Resources) (map[string]string, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(blockAffinityGVK)
	if err := r.List(ctx, list); err != nil {
		return nil, fmt.Errorf("list Calico block affinities: %w", err)
	}
	out := map[string]string{}
	for _, b := range list.Items {
		cidr, _, _ := unstructured.NestedString(b.Object, "spec", "cidr")
		node, _, _ := unstructured.NestedString(b.Object, "spec", "node")
		state, _, _ := unstructured.NestedString(b.Object, "spec", "state")
		if state == "confirmed" && cidr != "" && node != "" && !strings.Contains(cidr, ":") {
			out[cidr] = node
		}
	}
	return out, nil
}

// staticRoutes: each block via its owner, the Service range via every node (ECMP).
func staticRoutes(ctx context.Context, r *resources.Resources, nodes []nodeAddr) ([]router.StaticRoute, error) {
	owners, err := BlockOwners(ctx, r)
	if err != nil {
		return nil, err
	}
	ip := map[string]string{}
	for _, n := range nodes {
		ip[n.name] = n.ip
	}
	var routes []router.StaticRoute
	for cidr, node := range owners {
		if ip[node] != "" {
			routes = append(routes, router.StaticRoute{Prefix: cidr, Via: ip[node]})
		}
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].Prefix < routes[j].Prefix })
	for _, prefix := range []string{ServiceSubnet, ExternalIPRange, LoadBalancerIPRange} {
		for _, n := range nodes {
			routes = append(routes, router.StaticRoute{Prefix: prefix, Via: n.ip})
		}
	}
	return routes, nil
}

// guardVIPs adds the unreachable route for VIPGuardRange on every node (kind node containers).
func guardVIPs(ctx context.Context, nodes []nodeAddr) error {
	for _, n := range nodes {
		if out, err := exec.CommandContext(ctx, "docker", "exec", n.name, "ip", "route", "replace", "unreachable", VIPGuardRange).CombinedOutput(); err != nil {
			return fmt.Errorf("node %s: ip route replace unreachable %s: %v: %s", n.name, VIPGuardRange, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

func newPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// applyBGP creates the global BGPPeer to the router (its TCP MD5 password from a Secret that
// calico-node may read). Up has created the default BGPConfiguration before calico-node started
// (ApplyBGPConfiguration).
func applyBGP(ctx context.Context, r *resources.Resources, routerIP, password, calicoVersion string) error {
	objs := []k8s.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: PasswordSecret, Namespace: "kube-system"}, StringData: map[string]string{"password": password}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: PasswordSecret, Namespace: "kube-system"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{PasswordSecret}, Verbs: []string{"get", "list", "watch"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: PasswordSecret, Namespace: "kube-system"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: PasswordSecret},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "calico-node", Namespace: "kube-system"}}},
	}
	for _, o := range objs {
		if err := r.Create(ctx, o); err != nil {
			return fmt.Errorf("create %s: %w", o.GetName(), err)
		}
	}
	if ok, reason, err := calico.FeatureKeepOriginalNextHop.Supported(calicoVersion); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("the external router needs each block advertised with its owner as next hop: %s", reason)
	}
	peer, err := router.BGPPeer{Name: RouterPeer, Spec: router.BGPPeerSpec{PeerIP: routerIP, ASNumber: router.ASNumber(RouterAS), KeepOriginalNextHop: true,
		Password: &router.BGPPassword{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: PasswordSecret}, Key: "password"}}}}.Unstructured()
	if err != nil {
		return err
	}
	if err := r.Create(ctx, peer); err != nil {
		return fmt.Errorf("create Calico %s %s: %w", peer.GetKind(), peer.GetName(), err)
	}
	return nil
}

// ApplyBGPConfiguration creates the default BGPConfiguration the router needs (mesh on, the
// cluster's AS, the Service ranges this Calico can advertise). Up creates it right after the
// Calico manifest, before calico-node starts, so that the router's start later
// changes one confd template (the BGPPeer's, bird.cfg) rather than three at once. Measured in CI:
// the three reloads confd sends within 10 ms when both arrive together can leave BIRD 1.6 without
// the new peer (it read its configuration twice for three SIGHUPs; BIRD 1.6 clears its SIGHUP
// flag after reading, so a SIGHUP arriving while it reads is lost), and that node's session to
// the router never came up.
func ApplyBGPConfiguration(ctx context.Context, r *resources.Resources, calicoVersion string) error {
	mesh, as := true, router.ASNumber(ClusterAS)
	spec, err := bgpConfiguration(calicoVersion)
	if err != nil {
		return err
	}
	spec.NodeToNodeMeshEnabled, spec.ASNumber = &mesh, &as
	conf, err := router.BGPConfiguration{Name: "default", Spec: spec}.Unstructured()
	if err != nil {
		return err
	}
	var last error
	create := func(ctx context.Context) (bool, error) {
		// the manifest's CRDs were created a moment ago: retry until the API serves the kind
		last = r.Create(ctx, conf.DeepCopy())
		return last == nil || apierrors.IsAlreadyExists(last), nil
	}
	if err := wait.For(create, wait.WithContext(ctx), wait.WithTimeout(30*time.Second), wait.WithInterval(500*time.Millisecond), wait.WithImmediate()); err != nil {
		return fmt.Errorf("create Calico BGPConfiguration default: %v (%w)", last, err)
	}
	return nil
}

// bgpConfiguration advertises the Service ranges this Calico version can advertise: ClusterIPs,
// external IPs and LoadBalancer IPs, each behind its version gate.
func bgpConfiguration(calicoVersion string) (router.BGPConfigurationSpec, error) {
	spec := router.BGPConfigurationSpec{LogSeverityScreen: "Info"}
	for _, g := range []struct {
		f   calico.Feature
		set func()
	}{
		{calico.FeatureServiceClusterIPs, func() { spec.ServiceClusterIPs = []router.ServiceClusterIPBlock{{CIDR: ServiceSubnet}} }},
		{calico.FeatureServiceExternalIPs, func() { spec.ServiceExternalIPs = []router.ServiceExternalIPBlock{{CIDR: ExternalIPRange}} }},
		{calico.FeatureServiceLoadBalancerIPs, func() {
			spec.ServiceLoadBalancerIPs = []router.ServiceLoadBalancerIPBlock{{CIDR: LoadBalancerIPRange}}
		}},
	} {
		ok, _, err := g.f.Supported(calicoVersion)
		if err != nil {
			return spec, err
		}
		if ok {
			g.set()
		}
	}
	return spec, nil
}

// secondNetwork attaches the first two workers to a Docker network of their own: the path the
// asymmetric second-network spec forwards over. Calico keeps its node address on eth0 (the
// manifest pins IP autodetection to it), so the new interface changes nothing else.
func secondNetwork(ctx context.Context, o Options, nodes []nodeAddr) (string, error) {
	var workers []string
	for _, n := range nodes {
		if !strings.HasSuffix(n.name, "-control-plane") {
			workers = append(workers, n.name)
		}
	}
	if len(workers) < 2 {
		return "", nil
	}
	name := o.ClusterName + asymSuffix
	if err := createNetwork(ctx, name, o.RunID); err != nil {
		return "", err
	}
	for _, w := range workers[:2] {
		if out, err := exec.CommandContext(ctx, "docker", "network", "connect", name, w).CombinedOutput(); err != nil {
			return name, fmt.Errorf("docker network connect %s %s: %v: %s", name, w, err, strings.TrimSpace(string(out)))
		}
	}
	return name, nil
}

// createNetwork makes the second network with a subnet of its own in 172.30.0.0/16. The subnet
// is always given: Docker's own choice moves on through its pools run after run and reached
// 192.168.16.0/20 here, inside Calico's pod pool, which broke the node joining it.
func createNetwork(ctx context.Context, name, runID string) error {
	h := fnv.New32a()
	h.Write([]byte(name))
	var last string
	for i := uint32(0); i < 16; i++ {
		subnet := fmt.Sprintf("172.30.%d.0/24", (h.Sum32()+i*17)%256)
		out, err := exec.CommandContext(ctx, "docker", "network", "create", "--subnet", subnet, "--label", RunLabel+"="+runID, name).CombinedOutput()
		if err == nil {
			return nil
		}
		last = strings.TrimSpace(string(out))
		if !strings.Contains(last, "overlap") {
			return fmt.Errorf("docker network create --subnet %s %s: %v: %s", subnet, name, err, last)
		}
	}
	return fmt.Errorf("docker network create %s: no free /24 in 172.30.0.0/16 after 16 tries: %s", name, last)
}

// removeNetwork deletes a Docker network, disconnecting what is still attached; a network that
// does not exist is not an error.
func removeNetwork(ctx context.Context, name string) error {
	out, err := exec.CommandContext(ctx, "docker", "network", "inspect", "--format", "{{range .Containers}}{{.Name}} {{end}}", name).Output()
	if err != nil {
		return nil // gone already
	}
	for _, c := range strings.Fields(string(out)) {
		_ = exec.CommandContext(ctx, "docker", "network", "disconnect", "-f", name, c).Run()
	}
	if out, err := exec.CommandContext(ctx, "docker", "network", "rm", name).CombinedOutput(); err != nil {
		return fmt.Errorf("docker network rm %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// CleanRouters removes every router container and second network of the suite on this host
// (any run), as `make e2e-clean` does after killed runs.
func CleanRouters(ctx context.Context, log io.Writer) error {
	names, err := router.RemoveByLabel(ctx, RunLabel)
	if err != nil {
		return err
	}
	for _, n := range names {
		fmt.Fprintf(log, "deleted router container %s\n", n)
	}
	out, err := exec.CommandContext(ctx, "docker", "network", "ls", "-q", "--filter", "label="+RunLabel, "--format", "{{.Name}}").Output()
	if err != nil {
		return fmt.Errorf("docker network ls: %w", err)
	}
	for _, n := range strings.Fields(string(out)) {
		if err := removeNetwork(ctx, n); err != nil {
			return err
		}
		fmt.Fprintf(log, "deleted network %s\n", n)
	}
	return nil
}
