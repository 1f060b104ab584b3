package framework

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient/wait"

	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/e2e/probe"
)

// captureSeconds bounds a capture; the failed probe is retried inside it.
const captureSeconds = 8

// CaptureFilter is the tcpdump filter for a failed probe: the tunnel (VXLAN) and every packet of
// the source and, when it is an address, the target.
func CaptureFilter(p probe.Probe) string {
	parts := []string{"udp port 4789", "host " + p.Src.IP}
	if ip := net.ParseIP(p.Host); ip != nil && p.Host != p.Src.IP {
		parts = append(parts, "host "+p.Host)
	}
	return strings.Join(parts, " or ")
}

func capturePod(ns, name, node, image, filter string) *corev1.Pod {
	grace := int64(0)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{roleLabel: "capture"}},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			HostNetwork:                   true,
			RestartPolicy:                 corev1.RestartPolicyNever,
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{
				Name:  "tcpdump",
				Image: image,
				// Never: a node without the nettools image skips the capture instead of pulling.
				ImagePullPolicy: corev1.PullNever,
				Command:         []string{"timeout", "-s", "INT", fmt.Sprint(captureSeconds), "tcpdump", "-i", "any", "-nn", "-l", "-c", "400", filter},
				SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"}}},
			}},
		},
	}
}

// CaptureFailure captures packets on the source and destination nodes of a failed probe while
// the probe is retried, and writes what tcpdump decoded to dir/capture-<node>.txt. Linux nodes
// only; the nettools image must already be on the node (it is in the suite's node image).
func CaptureFailure(ctx context.Context, s *Suite, r probe.Result, dir string) error {
	nodes := []string{r.Probe.Src.Node}
	if r.Probe.DstNode != "" && r.Probe.DstNode != r.Probe.Src.Node {
		nodes = append(nodes, r.Probe.DstNode)
	}
	for _, n := range s.Topology.Facts.Nodes {
		if n.OS != matrix.Linux {
			for i, want := range nodes {
				if want == n.Name {
					nodes = append(nodes[:i], nodes[i+1:]...)
				}
			}
		}
	}
	if len(nodes) == 0 {
		return fmt.Errorf("no Linux node to capture on")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(s.Client.RESTConfig())
	if err != nil {
		return err
	}
	res := s.Client.Resources()
	ns, filter := s.Topology.Namespace, CaptureFilter(r.Probe)
	stamp := time.Now().UnixNano() % 1e9
	pods := make([]*corev1.Pod, len(nodes))
	for i, n := range nodes {
		pods[i] = capturePod(ns, fmt.Sprintf("capture-%d-%d", stamp, i), n, s.Config.NettoolsImage, filter)
		if err := res.Create(ctx, pods[i]); err != nil {
			return fmt.Errorf("create capture pod on %s: %w", n, err)
		}
		defer func(p *corev1.Pod) { _ = res.Delete(context.WithoutCancel(ctx), p) }(pods[i])
	}
	logs := func(p *corev1.Pod) string {
		b, _ := cs.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
		return string(b)
	}
	// tcpdump says "listening on" once it captures; a pod that cannot start says why
	for i, p := range pods {
		err := wait.For(func(ctx context.Context) (bool, error) {
			var cur corev1.Pod
			if err := res.Get(ctx, p.Name, ns, &cur); err != nil {
				return false, err
			}
			for _, c := range cur.Status.ContainerStatuses {
				if w := c.State.Waiting; w != nil && (w.Reason == "ErrImageNeverPull" || strings.Contains(w.Reason, "Err")) {
					return false, fmt.Errorf("capture pod on %s cannot start: %s (%s)", nodes[i], w.Reason, s.Config.NettoolsImage)
				}
			}
			return strings.Contains(logs(p), "listening on"), nil
		}, wait.WithContext(ctx), wait.WithTimeout(20*time.Second), wait.WithInterval(500*time.Millisecond))
		if err != nil {
			return err
		}
	}
	probe.Run(ctx, s.exec, []probe.Probe{r.Probe}, 1)
	var wg sync.WaitGroup
	errs := make([]error, len(pods))
	for i, p := range pods {
		wg.Add(1)
		go func(i int, p *corev1.Pod) {
			defer wg.Done()
			errs[i] = wait.For(func(ctx context.Context) (bool, error) {
				var cur corev1.Pod
				if err := res.Get(ctx, p.Name, ns, &cur); err != nil {
					return false, err
				}
				return cur.Status.Phase == corev1.PodSucceeded || cur.Status.Phase == corev1.PodFailed, nil
			}, wait.WithContext(ctx), wait.WithTimeout((captureSeconds+15)*time.Second), wait.WithInterval(time.Second))
			header := fmt.Sprintf("# tcpdump -i any -nn '%s' on node %s while retrying:\n# %s\n"+
				"# (kubelet's readiness probes, GET /healthz from the node's IP every second, show up too)\n", filter, nodes[i], r.Probe.Retry("kubectl"))
			_ = os.WriteFile(filepath.Join(dir, "capture-"+nodes[i]+".txt"), []byte(header+Redact(logs(p))), 0o644)
		}(i, p)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
