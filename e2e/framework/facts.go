package framework

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/e2e-framework/klient"

	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/provider"
)

// Node is a node of the cluster under test.
type Node struct {
	Name, IP, Kernel string
	OS               matrix.OS
	// WindowsBuild is the node.kubernetes.io/windows-build label of a Windows node.
	WindowsBuild string `json:",omitempty"`
}

// Facts are read from the live cluster once per run and never change afterwards.
type Facts struct {
	KubernetesVersion string
	CalicoVersion     string
	// CalicoNodeImages are the distinct images the calico-node containers run, each with the
	// image ID the kubelet reports ("image (imageID)"), sorted.
	CalicoNodeImages []string
	// Pool and backend as configured in the cluster.
	PoolName, PoolCIDR, IPIPMode, VXLANMode, Backend string
	// Mode is what the pool and backend amount to (vxlan, noencap, ipip), or "" if none.
	Mode  calico.Mode
	Nodes []Node
}

// Shape is what the matrix expectations need.
func (f Facts) Shape() matrix.ClusterShape {
	s := matrix.ClusterShape{Mode: string(f.Mode), Nodes: map[matrix.OS]int{}}
	for _, n := range f.Nodes {
		s.Nodes[n.OS]++
	}
	return s
}

// NodesOf returns the nodes of one OS.
func (f Facts) NodesOf(os matrix.OS) []Node {
	var out []Node
	for _, n := range f.Nodes {
		if n.OS == os {
			out = append(out, n)
		}
	}
	return out
}

// DescribeMode explains the pool and backend in one phrase.
func (f Facts) DescribeMode() string {
	return fmt.Sprintf("IPPool %s (%s) ipipMode=%s vxlanMode=%s, backend %s", f.PoolName, f.PoolCIDR, f.IPIPMode, f.VXLANMode, f.Backend)
}

// ModeOf derives the routing mode from the pool's encapsulation and the networking backend.
func ModeOf(ipipMode, vxlanMode, backend string) calico.Mode {
	on := func(m string) bool { return m == "Always" || m == "CrossSubnet" }
	switch {
	case on(vxlanMode) && !on(ipipMode):
		return calico.ModeVXLAN
	case on(ipipMode) && !on(vxlanMode):
		return calico.ModeIPIP
	case !on(ipipMode) && !on(vxlanMode) && backend == "bird":
		return calico.ModeNoEncap
	}
	return ""
}

var (
	ippoolGVK  = schema.GroupVersionKind{Group: "crd.projectcalico.org", Version: "v1", Kind: "IPPoolList"}
	clusterGVK = schema.GroupVersionKind{Group: "crd.projectcalico.org", Version: "v1", Kind: "ClusterInformation"}
	installGVK = schema.GroupVersionKind{Group: "operator.tigera.io", Version: "v1", Kind: "Installation"}
)

// DetectFacts reads the cluster: Kubernetes version, nodes and their OS, Calico version, the
// IPv4 pool's encapsulation and the networking backend. A fact that cannot be read is an
// error, never a silent default.
func DetectFacts(ctx context.Context, c klient.Client) (Facts, error) {
	var f Facts
	dc, err := discovery.NewDiscoveryClientForConfig(c.RESTConfig())
	if err != nil {
		return f, err
	}
	sv, err := dc.ServerVersion()
	if err != nil {
		return f, fmt.Errorf("read the Kubernetes version: %w", err)
	}
	f.KubernetesVersion = sv.GitVersion
	r := c.Resources()

	var nodes corev1.NodeList
	if err := r.List(ctx, &nodes); err != nil {
		return f, fmt.Errorf("list nodes: %w", err)
	}
	for _, n := range nodes.Items {
		node := Node{Name: n.Name, OS: matrix.OS(n.Labels[corev1.LabelOSStable]), Kernel: n.Status.NodeInfo.KernelVersion,
			WindowsBuild: n.Labels[provider.WindowsBuildLabel]}
		if node.OS == "" {
			node.OS = matrix.OS(n.Status.NodeInfo.OperatingSystem)
		}
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP && !strings.Contains(a.Address, ":") {
				node.IP = a.Address
			}
		}
		if node.IP == "" {
			return f, fmt.Errorf("node %s has no IPv4 InternalIP", n.Name)
		}
		f.Nodes = append(f.Nodes, node)
	}
	sort.Slice(f.Nodes, func(i, j int) bool { return f.Nodes[i].Name < f.Nodes[j].Name })

	ci := &unstructured.Unstructured{}
	ci.SetGroupVersionKind(clusterGVK)
	if err := r.Get(ctx, "default", "", ci); err != nil {
		return f, fmt.Errorf("read Calico's ClusterInformation (is Calico installed?): %w", err)
	}
	f.CalicoVersion, _, _ = unstructured.NestedString(ci.Object, "spec", "calicoVersion")
	cnPods, err := calicoNodePods(ctx, r)
	if err != nil {
		return f, err
	}
	f.CalicoNodeImages = calicoNodeImages(cnPods)

	pools := &unstructured.UnstructuredList{}
	pools.SetGroupVersionKind(ippoolGVK)
	if err := r.List(ctx, pools); err != nil {
		return f, fmt.Errorf("list Calico IPPools: %w", err)
	}
	for _, p := range pools.Items {
		cidr, _, _ := unstructured.NestedString(p.Object, "spec", "cidr")
		disabled, _, _ := unstructured.NestedBool(p.Object, "spec", "disabled")
		if strings.Contains(cidr, ":") || disabled {
			continue
		}
		f.PoolName, f.PoolCIDR = p.GetName(), cidr
		f.IPIPMode, _, _ = unstructured.NestedString(p.Object, "spec", "ipipMode")
		f.VXLANMode, _, _ = unstructured.NestedString(p.Object, "spec", "vxlanMode")
		f.IPIPMode, f.VXLANMode = cmp.Or(f.IPIPMode, "Never"), cmp.Or(f.VXLANMode, "Never")
		break
	}
	if f.PoolName == "" {
		return f, fmt.Errorf("the cluster has no enabled IPv4 Calico IPPool")
	}
	if f.Backend, err = detectBackend(ctx, c); err != nil {
		return f, err
	}
	f.Mode = ModeOf(f.IPIPMode, f.VXLANMode, f.Backend)
	return f, nil
}

// calicoNodeImages are the distinct images of the calico-node containers of pods, as the pod
// spec names them, with the image ID the kubelet reports once started.
func calicoNodeImages(pods map[string]corev1.Pod) []string {
	seen := map[string]bool{}
	for _, p := range pods {
		var img string
		for _, c := range p.Spec.Containers {
			if c.Name == "calico-node" {
				img = c.Image
			}
		}
		// the name the pod asked for, with the ID of what runs: the status's own image name is
		// whichever tag the runtime holds for that ID first (a user's retagged image shows as
		// the pinned name when both are on the node)
		for _, st := range p.Status.ContainerStatuses {
			if st.Name == "calico-node" && st.ImageID != "" {
				img = cmp.Or(img, st.Image) + " (" + st.ImageID + ")"
			}
		}
		if img != "" {
			seen[img] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// DescribeCalico is the Calico version the cluster reports and the images calico-node runs.
func (f Facts) DescribeCalico() string {
	if len(f.CalicoNodeImages) == 0 {
		return "Calico " + f.CalicoVersion
	}
	return fmt.Sprintf("Calico %s (calico-node image %s)", f.CalicoVersion, strings.Join(f.CalicoNodeImages, ", "))
}

// detectBackend reads calico_backend from the manifest install's ConfigMap, or the operator's
// Installation (bgp Enabled means bird).
func detectBackend(ctx context.Context, c klient.Client) (string, error) {
	var cm corev1.ConfigMap
	if err := c.Resources().Get(ctx, "calico-config", "kube-system", &cm); err == nil {
		if b := cm.Data["calico_backend"]; b != "" {
			return b, nil
		}
	}
	inst := &unstructured.Unstructured{}
	inst.SetGroupVersionKind(installGVK)
	if err := c.Resources().Get(ctx, "default", "", inst); err != nil {
		return "", fmt.Errorf("cannot tell Calico's networking backend: no kube-system/calico-config ConfigMap and no operator Installation (%v)", err)
	}
	if bgp, _, _ := unstructured.NestedString(inst.Object, "spec", "calicoNetwork", "bgp"); bgp == "Enabled" {
		return "bird", nil
	}
	return "vxlan", nil
}

// CheckMode fails when the cluster's configuration is not the requested mode.
func (f Facts) CheckMode(want calico.Mode) error {
	if f.Mode == want {
		return nil
	}
	got := string(f.Mode)
	if got == "" {
		got = "no routing mode the suite knows"
	}
	return fmt.Errorf("MODE=%s, but the cluster runs %s: %s. Run with MODE=%s, or test a cluster in %s mode", want, got, f.DescribeMode(), cmp.Or(string(f.Mode), "<its mode>"), want)
}
