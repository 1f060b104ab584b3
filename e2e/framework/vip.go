package framework

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/e2e/probe"
	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/lifecycle"
	"github.com/calico-conformance/e2e/infra/router"
)

// Service VIPs reached from the external router: a Service's external IP and LoadBalancer IP
// (advertised by Calico in modes with BGP; static routes to every node in VXLAN), and the
// externalTrafficPolicy: Local routes: only nodes with endpoints advertise the VIP, the router
// spreads over them (ECMP), and a node whose last endpoint goes away withdraws it.

// vipLabel marks the server pods a Local-policy Service selects (set and removed by the spec).
const vipLabel = "e2e.calico-conformance.io/vip-local"

// vipFeature is the Calico feature an ingress VIP cell needs in modes with BGP.
func vipFeature(variant string) (calico.Feature, bool) {
	switch variant {
	case matrix.IngressExternalIP, matrix.IngressLocalPolicy:
		return calico.FeatureServiceExternalIPs, true
	case matrix.IngressLoadBalancerIP:
		return calico.FeatureServiceLoadBalancerIPs, true
	}
	return calico.Feature{}, false
}

// vipAddr is the n-th address of cidr (n < the range's size); Windows cells use a second set.
func vipAddr(cidr string, n int, os matrix.OS) string {
	if os == matrix.Windows {
		n += 100
	}
	a := netip.MustParsePrefix(cidr).Addr().As4()
	a[3] = byte(n)
	return netip.AddrFrom4(a).String()
}

func vipService(ns, name string, typ corev1.ServiceType, selector map[string]string, externalIPs []string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{Type: typ, Selector: selector, ExternalIPs: externalIPs,
			Ports: []corev1.ServicePort{{Name: "http", Port: HTTPPort, TargetPort: intstr.FromInt32(HTTPPort), Protocol: corev1.ProtocolTCP}}},
	}
}

// createForSpec creates obj and deletes it when the spec ends.
func createForSpec(ctx context.Context, r *resources.Resources, obj k8s.Object) {
	gomega.Expect(r.Create(ctx, obj)).To(gomega.Succeed(), "create %T %s", obj, obj.GetName())
	ginkgo.DeferCleanup(func(ctx context.Context) error { return r.Delete(ctx, obj) })
}

// runVIPReach checks that the router reaches, over TCP, a Service VIP for every server pod of
// the destination OS: an external IP, or a LoadBalancer IP the spec writes into the Service's
// status as a load-balancer controller would (kind has none).
func runVIPReach(ctx context.Context, s *Suite, c matrix.Cell) {
	r := s.Client.Resources()
	var targets []RouterTarget
	for _, site := range s.Topology.Sites {
		if site.Node.OS != c.Dst {
			continue
		}
		i := site.Index
		selector := map[string]string{roleLabel: "b", siteLabel: fmt.Sprint(i)}
		var svc *corev1.Service
		var ip, what string
		switch c.Variant {
		case matrix.IngressExternalIP:
			ip, what = vipAddr(lifecycle.ExternalIPRange, 10+i, c.Dst), "external IP"
			svc = vipService(s.Topology.Namespace, siteName("vip-ext", i), corev1.ServiceTypeClusterIP, selector, []string{ip})
			createForSpec(ctx, r, svc)
		case matrix.IngressLoadBalancerIP:
			ip, what = vipAddr(lifecycle.LoadBalancerIPRange, 10+i, c.Dst), "LoadBalancer IP"
			svc = vipService(s.Topology.Namespace, siteName("vip-lb", i), corev1.ServiceTypeLoadBalancer, selector, nil)
			createForSpec(ctx, r, svc)
			svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
			gomega.Expect(r.UpdateStatus(ctx, svc)).To(gomega.Succeed(), "set status.loadBalancer.ingress of %s to %s", svc.Name, ip)
		}
		targets = append(targets, RouterTarget{Proto: matrix.TCP, Host: ip, Port: HTTPPort, Want: site.Server.Pod, DstNode: site.Node.Name,
			DstDesc: fmt.Sprintf("%s of Service %s (backend %s on %s)", what, svc.Name, site.Server.Pod, site.Node.Name)})
	}
	gomega.Expect(targets).NotTo(gomega.BeEmpty(), "no %s pods to reach", c.Dst)
	expectFromRouter(ctx, s, c, targets, true)
}

// runLocalPolicy checks externalTrafficPolicy: Local end to end from the router. A NodePort
// Service with an external IP selects the server pods of all but one node of the destination
// OS (at most two): the router must learn the VIP's /32 with exactly those nodes as next hops
// (ECMP in its kernel when there are two), reach a backend with its own address preserved, and
// lose the next hop of a node as soon as that node's last endpoint leaves the Service.
func runLocalPolicy(ctx context.Context, s *Suite, c matrix.Cell) {
	r := s.Client.Resources()
	var sites []Site
	for _, site := range s.Topology.Sites {
		if site.Node.OS == c.Dst {
			sites = append(sites, site)
		}
	}
	if len(sites) < 2 {
		ginkgo.Skip(fmt.Sprintf("externalTrafficPolicy: Local needs a %s node without an endpoint next to one with; the cluster has %d", c.Dst, len(sites)))
	}
	chosen := sites[:min(2, len(sites)-1)]
	vip := vipAddr(lifecycle.ExternalIPRange, 200, c.Dst)
	svc := vipService(s.Topology.Namespace, "vip-local", corev1.ServiceTypeNodePort, map[string]string{roleLabel: "b", vipLabel: "yes"}, []string{vip})
	svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	createForSpec(ctx, r, svc)
	for _, site := range chosen {
		setPodLabel(ctx, r, site.Server, "yes")
		ginkgo.DeferCleanup(func(ctx context.Context) { setPodLabel(ctx, r, site.Server, "") })
	}
	prefix := vip + "/32"
	want := func(sites []Site) map[string]string {
		m := map[string]string{}
		for _, site := range sites {
			m[site.Node.IP] = site.Node.Name
		}
		return m
	}
	check := func(sites []Site, why string) {
		gomega.Eventually(ctx, func() ([]string, error) {
			return LocalPolicyProblems(ctx, s.Router, prefix, want(sites), s.Topology.Facts.Nodes)
		}).WithTimeout(bgpSettle).WithPolling(time.Second).Should(gomega.BeEmpty(),
			"%s: the router's routes to %s (Service %s/%s, externalTrafficPolicy: Local) must have exactly the nodes with endpoints as next hops; look at birdc show route %s all on the router and at the Service's EndpointSlices",
			why, prefix, svc.Namespace, svc.Name, prefix)
	}
	check(chosen, "with endpoints on "+nodeNames(chosen))

	// The request reaches a chosen backend and, with no SNAT on the way, sees the router's address.
	pods := map[string]bool{}
	for _, site := range chosen {
		pods[site.Server.Pod] = true
	}
	gomega.Eventually(ctx, func() error {
		host, _, err := s.Router.Exec(ctx, "curl", "-s", "-m", "3", fmt.Sprintf("http://%s:%d/hostname", vip, HTTPPort))
		if err != nil || !pods[strings.TrimSpace(host)] {
			return fmt.Errorf("router -> %s:%d/tcp answered %q (%v), want one of %s", vip, HTTPPort, strings.TrimSpace(host), err, strings.Join(sortedKeys(pods), ", "))
		}
		client, _, err := s.Router.Exec(ctx, "curl", "-s", "-m", "3", fmt.Sprintf("http://%s:%d/clientip", vip, HTTPPort))
		if ip, _, _ := strings.Cut(strings.TrimSpace(client), ":"); err != nil || ip != s.Router.IP() {
			return fmt.Errorf("backend saw the client as %q (%v), want the router's own address %s: externalTrafficPolicy: Local must not SNAT", strings.TrimSpace(client), err, s.Router.IP())
		}
		return nil
	}).WithTimeout(s.Config.CellTimeout).WithPolling(time.Second).Should(gomega.Succeed())

	// The last endpoint of one node leaves: that node withdraws the VIP.
	gone := chosen[len(chosen)-1]
	setPodLabel(ctx, r, gone.Server, "")
	check(chosen[:len(chosen)-1], fmt.Sprintf("after the last endpoint on %s (%s) left the Service", gone.Node.Name, gone.Server.Pod))
}

func nodeNames(sites []Site) string {
	var names []string
	for _, s := range sites {
		names = append(names, s.Node.Name)
	}
	return strings.Join(names, ", ")
}

// setPodLabel sets (value != "") or removes the vip label of a server pod.
func setPodLabel(ctx context.Context, r *resources.Resources, ep probe.Endpoint, value string) {
	ns, name := ep.Namespace, ep.Pod
	v := "null"
	if value != "" {
		v = fmt.Sprintf("%q", value)
	}
	patch := k8s.Patch{PatchType: types.MergePatchType, Data: fmt.Appendf(nil, `{"metadata":{"labels":{%q:%s}}}`, vipLabel, v)}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	gomega.Expect(r.Patch(ctx, pod, patch)).To(gomega.Succeed(), "label pod %s/%s %s=%s", ns, name, vipLabel, value)
}

// LocalPolicyProblems compares the router's routes to prefix with want (next-hop IP -> node):
// BIRD's BGP next hops over every session, and the gateways installed in the router's kernel,
// must both be exactly want's addresses; an empty want means the prefix must be withdrawn.
// nodes name the addresses in the problems.
func LocalPolicyProblems(ctx context.Context, rt *router.Router, prefix string, want map[string]string, nodes []Node) ([]string, error) {
	routes, err := rt.Routes(ctx)
	if err != nil {
		return nil, err
	}
	kernel, err := rt.KernelRoutes(ctx)
	if err != nil {
		return nil, err
	}
	var hops, gws []string
	for _, r := range routes[prefix] {
		if nh := r.BGPNextHop(); nh != "" && strings.HasPrefix(r.Proto, "node_") && !slices.Contains(hops, nh) {
			hops = append(hops, nh)
		}
	}
	if k, ok := kernel[prefix]; ok {
		for _, nh := range k.NextHops {
			gws = append(gws, nh.Gateway)
		}
	}
	wantIPs := sortedKeys(want)
	sort.Strings(hops)
	sort.Strings(gws)
	name := map[string]string{}
	for _, n := range nodes {
		name[n.IP] = n.Name
	}
	describe := func(ips []string) string {
		if len(ips) == 0 {
			return "none"
		}
		var out []string
		for _, ip := range ips {
			if n, ok := name[ip]; ok {
				out = append(out, ip+" ("+n+")")
			} else {
				out = append(out, ip)
			}
		}
		return strings.Join(out, ", ")
	}
	var problems []string
	if !slices.Equal(hops, wantIPs) {
		var extra []string
		for _, h := range hops {
			if _, ok := want[h]; !ok {
				extra = append(extra, h)
			}
		}
		line := fmt.Sprintf("BGP next hops of %s are %s, want %s", prefix, describe(hops), describe(wantIPs))
		if len(extra) > 0 {
			line += fmt.Sprintf(": %s without endpoints; the mesh re-advertises the /32 of nodes with endpoints with the advertising node as next hop unless the BGPPeer sets keepOriginalNextHop: true", describe(extra))
		}
		problems = append(problems, line)
	}
	if !slices.Equal(gws, wantIPs) {
		problems = append(problems, fmt.Sprintf("the router's kernel routes %s via %s, want %s", prefix, describe(gws), describe(wantIPs)))
	}
	return problems, nil
}
