package framework

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/calico-conformance/e2e/infra/lifecycle"
	"github.com/calico-conformance/e2e/internal/msg"
)

// HealthProblems checks, before any spec, what would otherwise fail cells one by one or time
// out minutes later: every node Ready, and calico-node present and ready on every node. Each
// problem names the node and why, with the pod's latest warning event (a failing readiness
// probe says which of Felix and BIRD is not ready).
func HealthProblems(ctx context.Context, r *resources.Resources) ([]string, error) {
	var nodes corev1.NodeList
	if err := r.List(ctx, &nodes); err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	pods, err := calicoNodePods(ctx, r)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, n := range nodes.Items {
		if !lifecycle.NodeReady(n) {
			problems = append(problems, fmt.Sprintf("node %s is not Ready: %s", n.Name, nodeCondition(n)))
			continue
		}
		p, ok := pods[n.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("node %s has no calico-node pod", n.Name))
			continue
		}
		if lifecycle.ReadyNow(ctx, r, p) {
			continue
		}
		why := podState(p)
		if w := latestWarning(ctx, r, p); w != "" {
			why += "; " + w
		}
		problems = append(problems, fmt.Sprintf("node %s: calico-node %s/%s is not ready (%s)", n.Name, p.Namespace, p.Name, why))
	}
	sort.Strings(problems)
	return problems, nil
}

func nodeCondition(n corev1.Node) string {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return strings.TrimSpace(c.Reason + " " + c.Message)
		}
	}
	return "no Ready condition"
}

// latestWarning is the newest Warning event of a pod, as "Reason: message".
func latestWarning(ctx context.Context, r *resources.Resources, p corev1.Pod) string {
	var events corev1.EventList
	if err := r.WithNamespace(p.Namespace).List(ctx, &events); err != nil {
		return ""
	}
	var best *corev1.Event
	for i, e := range events.Items {
		if e.Type != corev1.EventTypeWarning || e.InvolvedObject.Name != p.Name || e.InvolvedObject.UID != p.UID {
			continue
		}
		if best == nil || e.LastTimestamp.After(best.LastTimestamp.Time) {
			best = &events.Items[i]
		}
	}
	if best == nil {
		return ""
	}
	return best.Reason + ": " + msg.OneLine(best.Message)
}
