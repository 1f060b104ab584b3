package vagrant

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/calico-conformance/e2e/infra/provider"
)

// Node labels NodesFromAPI reads.
const (
	labelOS           = "kubernetes.io/os"
	labelWindowsBuild = "node.kubernetes.io/windows-build"
	labelControlPlane = "node-role.kubernetes.io/control-plane"
)

// NodesFromKubeconfig describes the nodes of the cluster a kubeconfig file points at.
func NodesFromKubeconfig(ctx context.Context, kubeconfig string) ([]provider.Node, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig %s: %w", kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for kubeconfig %s: %w", kubeconfig, err)
	}
	return NodesFromAPI(ctx, cs)
}

// NodesFromAPI describes every node as the API server reports it, sorted by name: OS from the
// kubernetes.io/os label, Windows build from node.kubernetes.io/windows-build, the InternalIP
// address, and whether it carries the control-plane role label. A node without an OS label or an
// InternalIP is an error naming the node: the suite must not guess either.
func NodesFromAPI(ctx context.Context, cs kubernetes.Interface) ([]provider.Node, error) {
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	nodes := make([]provider.Node, 0, len(list.Items))
	for _, n := range list.Items {
		node := provider.Node{
			Name:         n.Name,
			OS:           n.Labels[labelOS],
			WindowsBuild: n.Labels[labelWindowsBuild],
		}
		_, node.ControlPlane = n.Labels[labelControlPlane]
		switch node.OS {
		case provider.Linux, provider.Windows:
		case "":
			return nil, fmt.Errorf("node %s has no %s label: kubelet sets it; is the node registered by a kubelet?", n.Name, labelOS)
		default:
			return nil, fmt.Errorf("node %s has %s=%q: the suite knows %s and %s", n.Name, labelOS, node.OS, provider.Linux, provider.Windows)
		}
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP && node.InternalIP == "" {
				node.InternalIP = a.Address
			}
		}
		if node.InternalIP == "" {
			return nil, fmt.Errorf("node %s reports no InternalIP address: kubelet's --node-ip or the node's status is missing", n.Name)
		}
		nodes = append(nodes, node)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	return nodes, nil
}
