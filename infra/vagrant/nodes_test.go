package vagrant

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/calico-conformance/e2e/infra/provider"
)

func node(name string, labels map[string]string, addrs ...corev1.NodeAddress) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Status: corev1.NodeStatus{Addresses: addrs}}
}

func internal(ip string) corev1.NodeAddress {
	return corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip}
}

func TestNodesFromAPI(t *testing.T) {
	cs := fake.NewClientset(
		node("win-1", map[string]string{labelOS: "windows", labelWindowsBuild: "10.0.20348"},
			corev1.NodeAddress{Type: corev1.NodeHostName, Address: "win-1"}, internal("192.168.56.20")),
		node("controlplane", map[string]string{labelOS: "linux", labelControlPlane: ""}, internal("192.168.56.10")),
		node("linux-1", map[string]string{labelOS: "linux"},
			corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "203.0.113.7"}, internal("192.168.56.11"), internal("10.0.2.15")),
	)
	got, err := NodesFromAPI(context.Background(), cs)
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Node{
		{Name: "controlplane", OS: provider.Linux, InternalIP: "192.168.56.10", ControlPlane: true},
		{Name: "linux-1", OS: provider.Linux, InternalIP: "192.168.56.11"},
		{Name: "win-1", OS: provider.Windows, WindowsBuild: "10.0.20348", InternalIP: "192.168.56.20"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("node %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestNodesFromAPIErrors(t *testing.T) {
	for _, tc := range []struct {
		node *corev1.Node
		want string
	}{
		{node("a", nil, internal("10.0.0.1")), "node a has no kubernetes.io/os label"},
		{node("b", map[string]string{labelOS: "plan9"}, internal("10.0.0.1")), `node b has kubernetes.io/os="plan9"`},
		{node("c", map[string]string{labelOS: "linux"}), "node c reports no InternalIP address"},
	} {
		_, err := NodesFromAPI(context.Background(), fake.NewClientset(tc.node))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("got %v, want %q...", err, tc.want)
		}
	}
}

func TestNodesFromKubeconfigMissing(t *testing.T) {
	_, err := NodesFromKubeconfig(context.Background(), t.TempDir()+"/absent")
	if err == nil || !strings.Contains(err.Error(), "read kubeconfig") {
		t.Errorf("missing kubeconfig: %v", err)
	}
}
