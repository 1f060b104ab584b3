package lifecycle

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/kind"
)

// PullAttempts counts containerd's PullImage log lines on every node of a kind cluster: with a
// preloaded node image nothing may ever be pulled. A node whose log shows no RunPodSandbox
// either is an error: a log that cannot be read must not pass as "no pulls".
func PullAttempts(ctx context.Context, p kind.Provider, cluster string) (map[string]int, error) {
	nodes, err := p.NodeNames(cluster)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, n := range nodes {
		b, err := exec.CommandContext(ctx, "docker", "exec", n, "sh", "-c",
			"journalctl -u containerd --no-pager -o cat 2>/dev/null > /tmp/containerd.log; grep -c PullImage /tmp/containerd.log; grep -c RunPodSandbox /tmp/containerd.log; rm -f /tmp/containerd.log").Output()
		if err != nil && len(b) == 0 {
			return nil, fmt.Errorf("read containerd's log on %s: %w", n, err)
		}
		f := strings.Fields(string(b))
		if len(f) != 2 {
			return nil, fmt.Errorf("count PullImage on %s: unexpected output %q", n, b)
		}
		pulls, err1 := strconv.Atoi(f[0])
		sandboxes, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("count PullImage on %s: unexpected output %q", n, b)
		}
		if sandboxes == 0 {
			return nil, fmt.Errorf("containerd's log on %s shows no RunPodSandbox: it cannot be read, so pulls cannot be ruled out", n)
		}
		out[n] = pulls
	}
	return out, nil
}

// Down deletes the run's kind cluster (only one the suite created) after checking that no node
// tried to pull an image. A cluster the suite did not create is left alone.
func Down(ctx context.Context, r Run, stateDir, repo string, log io.Writer, phase Phase) error {
	if !r.Created || r.Provider != ProviderKind {
		fmt.Fprintf(log, "run %s uses a cluster the suite did not create: leaving it as it is\n", r.RunID)
		return os.RemoveAll(stateDir)
	}
	if _, err := kind.UseShimIfNeeded(repo); err != nil {
		return err
	}
	p := kind.NewProvider()
	var pullErr error
	if exists, err := p.Exists(r.ClusterName); err != nil {
		return err
	} else if exists {
		counts, err := PullAttempts(ctx, p, r.ClusterName)
		if err != nil {
			fmt.Fprintf(log, "warning: %v\n", err)
		}
		var pulled []string
		for n, c := range counts {
			if c > 0 {
				pulled = append(pulled, fmt.Sprintf("%s: %d", n, c))
			}
		}
		if len(pulled) > 0 && r.Images == images.FromSource {
			pullErr = fmt.Errorf("containerd tried to pull images under IMAGES=source (PullImage log lines %s)", strings.Join(pulled, ", "))
		} else if err == nil {
			fmt.Fprintf(log, "image pull attempts on the nodes: none (%d nodes checked)\n", len(counts))
		}
	}
	start := time.Now()
	if err := StopRouter(ctx, r.RunID, r.ClusterName); err != nil {
		fmt.Fprintf(log, "warning: %v\n", err)
	}
	if err := p.Delete(r.ClusterName, r.Kubeconfig); err != nil {
		return err
	}
	phase("teardown", time.Since(start))
	fmt.Fprintf(log, "deleted kind cluster %s\n", r.ClusterName)
	if err := os.RemoveAll(stateDir); err != nil {
		return err
	}
	return pullErr
}
