package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/calico-conformance/e2e/e2e/framework"
	"github.com/calico-conformance/e2e/infra/lifecycle"
)

// diagTimeout bounds `make diag` on the 3-node cluster.
const diagTimeout = 60 * time.Second

// diagCmd collects the evidence bundle and its findings from a running cluster: the run's
// (RUN_ID, default the latest), or with PROVIDER=existing the one KUBECONFIG points at. It
// writes to ARTIFACTS, else to a new diag-* folder under the run's artifacts.
func diagCmd(ctx context.Context) error {
	run, _, err := lifecycle.LoadRun(os.Getenv)
	if err != nil {
		kc := os.Getenv("KUBECONFIG")
		if os.Getenv("PROVIDER") != lifecycle.ProviderExisting || kc == "" {
			return err
		}
		if _, serr := os.Stat(kc); serr != nil {
			return lifecycle.UsageError{Msg: fmt.Sprintf("KUBECONFIG=%s: no such file: point it at the cluster's kubeconfig", kc)}
		}
		run = lifecycle.Run{Kubeconfig: kc, Provider: lifecycle.ProviderExisting, Artifacts: "_artifacts"}
	}
	now := time.Now()
	dir := os.Getenv("ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(run.Artifacts, lifecycle.NewRunID(now, "diag"))
	}
	cctx, cancel := context.WithTimeout(ctx, diagTimeout)
	defer cancel()
	fs, err := framework.Diagnose(cctx, framework.DiagOptions{Kubeconfig: run.Kubeconfig, RunID: run.RunID, Router: run.Router, Dir: dir})
	if err != nil {
		return fmt.Errorf("diag of %s: %w", run.Kubeconfig, err)
	}
	files, size := framework.BundleSize(dir)
	fmt.Printf("diag: %d files, %d KiB in %s (%.1fs)\n", files, size/1024, dir, time.Since(now).Seconds())
	if len(fs) == 0 {
		fmt.Println("findings: none of the known causes is in the evidence")
	}
	for _, f := range fs {
		fmt.Println("finding: " + f.String())
	}
	return nil
}
