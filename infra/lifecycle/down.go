package lifecycle

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/provider"
)

// Down deletes the run's kind cluster (only one the suite created) after checking that no node
// tried to pull an image. A cluster the suite did not create is left alone. The provider reads
// its knobs through getenv.
func Down(ctx context.Context, r Run, stateDir, repo string, getenv func(string) string, log io.Writer, phase Phase) error {
	if !r.Created {
		fmt.Fprintf(log, "run %s uses a cluster the suite did not create: leaving it as it is\n", r.RunID)
		return os.RemoveAll(stateDir)
	}
	reg, err := registered(r.Provider)
	if err != nil {
		return err
	}
	p, err := reg.open(getenv, repo, filepath.Dir(stateDir), log)
	if err != nil {
		return err
	}
	var pullErr error
	if exists, err := p.Exists(ctx, r.ClusterName); err != nil {
		return err
	} else if a, ok := p.(provider.PullAuditor); ok && exists {
		counts, err := a.PullAttempts(ctx, r.ClusterName)
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
	if err := p.Delete(ctx, r.ClusterName, r.Kubeconfig); err != nil {
		return err
	}
	phase("teardown", time.Since(start))
	fmt.Fprintf(log, "deleted %s cluster %s\n", p.Name(), r.ClusterName)
	if err := os.RemoveAll(stateDir); err != nil {
		return err
	}
	return pullErr
}
