package lifecycle

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReadyNow runs a probe only for a running pod whose containers have started and whose probes
// are exec probes; every other pod is judged by the kubelet's Ready alone (no client is touched:
// the resources are nil here).
func TestReadyNowWithoutProbing(t *testing.T) {
	yes := true
	execProbe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/calico-node", "-felix-ready"}}}}
	httpProbe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready"}}}
	pod := func(phase corev1.PodPhase, ready bool, probe *corev1.Probe, started bool) corev1.Pod {
		p := corev1.Pod{
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "calico-node", ReadinessProbe: probe}}},
			Status: corev1.PodStatus{Phase: phase, Conditions: []corev1.PodCondition{{Type: corev1.PodReady,
				Status: map[bool]corev1.ConditionStatus{true: corev1.ConditionTrue, false: corev1.ConditionFalse}[ready]}}},
		}
		st := corev1.ContainerStatus{Name: "calico-node"}
		if started {
			st.Started, st.State.Running = &yes, &corev1.ContainerStateRunning{}
		}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{st}
		return p
	}
	deleting := pod(corev1.PodRunning, false, execProbe, true)
	deleting.DeletionTimestamp = &metav1.Time{}
	cases := []struct {
		name string
		pod  corev1.Pod
		want bool
	}{
		{"the kubelet says Ready", pod(corev1.PodRunning, true, execProbe, true), true},
		{"pending", pod(corev1.PodPending, false, execProbe, false), false},
		{"container not started", pod(corev1.PodRunning, false, execProbe, false), false},
		{"an HTTP probe waits for the kubelet", pod(corev1.PodRunning, false, httpProbe, true), false},
		{"being deleted", deleting, false},
	}
	for _, c := range cases {
		if got := ReadyNow(context.Background(), nil, c.pod); got != c.want {
			t.Errorf("%s: ReadyNow = %v, want %v", c.name, got, c.want)
		}
	}
}
