package framework

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Every suite run gets a namespace of its own, so a run started while the previous one's
// namespace is still being deleted never collides with it ("object is being deleted").
func TestNewNamespaceIsUniquePerRun(t *testing.T) {
	seen := map[string]bool{}
	ports := map[int]int{}
	for i := 0; i < 200; i++ {
		ns := NewNamespace()
		if seen[ns] || !strings.HasPrefix(ns, "e2e-conn-") || len(ns) > 63 {
			t.Fatalf("namespace %q (seen before: %v)", ns, seen[ns])
		}
		seen[ns] = true
		ports[HostPortFor(ns)]++
		if p := HostPortFor(ns); p < 20000 || p >= 30000 {
			t.Fatalf("host port %d out of range", p)
		}
	}
	if len(ports) < 190 {
		t.Errorf("200 runs share only %d host ports", len(ports))
	}
}

func TestPullPolicyNeverUnderSourceImages(t *testing.T) {
	if pullPolicy(Config{Images: "source"}) != corev1.PullNever || pullPolicy(Config{Images: "release"}) != corev1.PullIfNotPresent {
		t.Error("IMAGES=source must never pull; release may pull if not present")
	}
}

func TestPodCannotStart(t *testing.T) {
	waiting := func(reason, msg string) corev1.Pod {
		return corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
			{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}}}}
	}
	never := waiting("ErrImageNeverPull", `Container image "e2e.local/agnhost:absent" is not present with pull policy of Never`)
	if why, ok := podCannotStart(never); !ok || !strings.Contains(why, "e2e.local/agnhost:absent") {
		t.Errorf("ErrImageNeverPull: %q %v", why, ok)
	}
	rejected := corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "OutOfhostPort", Message: "Pod was rejected: node didn't have free ports"}}
	if why, ok := podCannotStart(rejected); !ok || !strings.HasPrefix(why, "OutOfhostPort") {
		t.Errorf("rejected pod: %q %v", why, ok)
	}
	for _, p := range []corev1.Pod{waiting("ContainerCreating", ""), {Status: corev1.PodStatus{Phase: corev1.PodPending}}} {
		if why, ok := podCannotStart(p); ok {
			t.Errorf("a pod still starting is not fatal: %q", why)
		}
	}
}
