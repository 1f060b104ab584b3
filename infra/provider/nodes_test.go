package provider

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDescribeNodes(t *testing.T) {
	nodes := DescribeNodes([]corev1.Node{
		{ObjectMeta: metav1.ObjectMeta{Name: "win-1", Labels: map[string]string{corev1.LabelOSStable: "windows", WindowsBuildLabel: "10.0.20348"}},
			Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "fd00::5"}, {Type: corev1.NodeInternalIP, Address: "192.168.56.20"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "cp", Labels: map[string]string{corev1.LabelOSStable: "linux", "node-role.kubernetes.io/control-plane": ""}},
			Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "cp"}, {Type: corev1.NodeInternalIP, Address: "172.18.0.2"}}}},
	})
	want := []Node{
		{Name: "cp", OS: Linux, InternalIP: "172.18.0.2", ControlPlane: true},
		{Name: "win-1", OS: Windows, WindowsBuild: "10.0.20348", InternalIP: "192.168.56.20"},
	}
	if len(nodes) != len(want) {
		t.Fatalf("got %+v", nodes)
	}
	for i := range want {
		if nodes[i] != want[i] {
			t.Errorf("node %d: got %+v, want %+v", i, nodes[i], want[i])
		}
	}
}
