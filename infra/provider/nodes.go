package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Optional abilities of a provider, found by type assertion.
type (
	// ImageLoader copies images of this host into the cluster's nodes.
	ImageLoader interface {
		LoadImages(ctx context.Context, name string, images ...string) error
	}
	// PullAuditor counts image pull attempts per node (IMAGES=source must have none).
	PullAuditor interface {
		PullAttempts(ctx context.Context, name string) (map[string]int, error)
	}
	// NetworkChooser picks the cluster's pod and Service ranges itself (its machines' private
	// network must not overlap them).
	NetworkChooser interface {
		Networks() (podCIDR, serviceCIDR string)
	}
	// OperatorInstaller is a provider whose clusters get Calico through the Tigera operator
	// (Windows nodes need it): Installation is the rendered operator Installation (and the
	// objects that go with it) of the named cluster.
	OperatorInstaller interface {
		Installation(name string) ([]byte, error)
	}
	// EarlyControlPlane is a provider whose Create (still running) can hand out the admin
	// kubeconfig of the control plane before every worker has joined, so that Calico installs
	// while they join. ControlPlaneKubeconfig fails until kubeadm has written it.
	EarlyControlPlane interface {
		ControlPlaneKubeconfig(ctx context.Context, name string) ([]byte, error)
	}
)

// WindowsBuildLabel is the label kubelet puts on Windows nodes with their OS build.
const WindowsBuildLabel = "node.kubernetes.io/windows-build"

// NodesFromAPI describes a cluster's nodes from the Kubernetes API: every provider's Nodes once
// the cluster answers. Nodes are sorted by name; an IPv4 InternalIP is preferred.
func NodesFromAPI(ctx context.Context, kubeconfig string) ([]Node, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return DescribeNodes(list.Items), nil
}

// DescribeNodes turns API nodes into provider nodes.
func DescribeNodes(items []corev1.Node) []Node {
	out := make([]Node, 0, len(items))
	for _, n := range items {
		node := Node{Name: n.Name, OS: n.Labels[corev1.LabelOSStable], WindowsBuild: n.Labels[WindowsBuildLabel]}
		if node.OS == "" {
			node.OS = Linux
		}
		_, node.ControlPlane = n.Labels["node-role.kubernetes.io/control-plane"]
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP && (node.InternalIP == "" || strings.Contains(node.InternalIP, ":")) {
				node.InternalIP = a.Address
			}
		}
		out = append(out, node)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
