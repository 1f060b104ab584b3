package lifecycle

import (
	"bytes"
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
)

// PodReady reports whether the kubelet has marked the pod Ready.
func PodReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// ReadyNow reports whether a pod is ready: the kubelet says so, or its containers' own exec
// readiness probes pass when run now. The kubelet runs calico-node's probe (`calico-node
// -felix-ready`, and `-bird-ready` with BGP) every 10 s in the release manifest, so a node it
// first found not ready waits up to 10 s more for a verdict it could have had at once. Running
// the same command from the pod's spec every second gives the kubelet's answer sooner without
// changing the manifest under test (calico-kube-controllers' `check-status -r` is the same case).
// Only exec probes are run here: a pod with another kind of probe (CoreDNS's HTTP one) is ready
// when the kubelet says so. Nothing routes by these pods' Ready condition, unlike a Service
// backend's, whose endpoints follow the kubelet.
func ReadyNow(ctx context.Context, r *resources.Resources, p corev1.Pod) bool {
	if PodReady(p) {
		return true
	}
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning || len(p.Spec.Containers) == 0 {
		return false
	}
	started := map[string]bool{}
	for _, st := range p.Status.ContainerStatuses {
		started[st.Name] = st.State.Running != nil && st.Started != nil && *st.Started
	}
	for _, c := range p.Spec.Containers {
		probe := c.ReadinessProbe
		if probe == nil {
			if !started[c.Name] {
				return false
			}
			continue
		}
		if probe.Exec == nil || len(probe.Exec.Command) == 0 || !started[c.Name] {
			return false
		}
		var stdout, stderr bytes.Buffer
		if err := r.ExecInPod(ctx, p.Namespace, p.Name, c.Name, probe.Exec.Command, &stdout, &stderr); err != nil {
			return false
		}
	}
	return true
}

// podsReadyNow counts the pods of a selector in ns that are ReadyNow.
func podsReadyNow(ctx context.Context, r *resources.Resources, ns string, selector *metav1.LabelSelector) (int32, error) {
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return 0, err
	}
	var pods corev1.PodList
	if err := r.WithNamespace(ns).List(ctx, &pods, resources.WithLabelSelector(sel.String())); err != nil {
		return 0, err
	}
	var ready int32
	for _, p := range pods.Items {
		if ReadyNow(ctx, r, p) {
			ready++
		}
	}
	return ready, nil
}

// daemonSetReadyNow is WaitReady's step for a DaemonSet whose pods' readiness is asked with
// ReadyNow: done when every scheduled pod is up to date and ready.
func daemonSetReadyNow(r *resources.Resources, name, ns string) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		var ds appsv1.DaemonSet
		if err := r.Get(ctx, name, ns, &ds); err != nil {
			return false, "not created yet", nil
		}
		want := ds.Status.DesiredNumberScheduled
		if want == 0 {
			return false, "no pod scheduled yet", nil
		}
		ready, err := podsReadyNow(ctx, r, ns, ds.Spec.Selector)
		if err != nil {
			return false, "", err
		}
		return ready >= want && ds.Status.UpdatedNumberScheduled == want, fmt.Sprintf("%d/%d ready", ready, want), nil
	}
}

// deploymentReadyNow is WaitReady's step for a Deployment: done when its wanted replicas are
// available, or as many of its pods are ReadyNow (calico-kube-controllers' exec probe also runs
// every 10 s; CoreDNS's HTTP probe is left to the kubelet, whose Ready makes kube-dns endpoints).
// Scaled to zero counts as done, as Kubernetes' Available condition has it: the setup's checks and
// the findings say what that breaks (e.g. DNS), not a timeout here.
func deploymentReadyNow(r *resources.Resources, name, ns string) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		var d appsv1.Deployment
		if err := r.Get(ctx, name, ns, &d); err != nil {
			return false, "not created yet", nil
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if d.Status.AvailableReplicas >= want {
			return true, fmt.Sprintf("%d/%d available", d.Status.AvailableReplicas, want), nil
		}
		ready, err := podsReadyNow(ctx, r, ns, d.Spec.Selector)
		return ready >= want, fmt.Sprintf("%d/%d available", ready, want), err
	}
}
