package framework

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/calico-conformance/e2e/e2e/findings"
	"github.com/calico-conformance/e2e/infra/lifecycle"
	"github.com/calico-conformance/e2e/infra/router"
)

// DiagOptions say what `make diag` collects from: a run's cluster (kind or existing).
type DiagOptions struct {
	Kubeconfig string
	RunID      string // the suite's namespaces of this run are described, if any are left
	Router     *lifecycle.RouterFacts
	Dir        string // where the bundle is written
}

// Diagnose collects the evidence bundle of a running cluster on demand, the same one a failed
// spec gets (without a packet capture), and runs the findings rules over it. It needs no
// fixture: the suite's namespace of the run, when one is left, is described too. The caller
// bounds the time through ctx; each file is capped at MaxEvidenceFile bytes.
func Diagnose(ctx context.Context, o DiagOptions) ([]findings.Finding, error) {
	c, err := klient.NewWithKubeConfigFile(o.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", o.Kubeconfig, err)
	}
	facts, err := DetectFacts(ctx, c)
	if err != nil {
		return nil, err
	}
	s := &Suite{Client: c, Config: Config{RunID: o.RunID, Kubeconfig: o.Kubeconfig}, Topology: Topology{Facts: facts}}
	s.Topology.Namespace = latestSuiteNamespace(ctx, c.Resources(), o.RunID)
	if o.Router != nil && o.Router.Name != "" {
		if s.Router, err = router.Attach(ctx, o.Router.Name, o.Router.Network); err != nil {
			s.Router = nil // a router that is gone is not a reason to collect nothing
		}
	}
	if err := CollectEvidence(ctx, s, o.Dir); err != nil {
		return nil, err
	}
	return AnalyzeEvidence(o.Dir)
}

// latestSuiteNamespace is the newest suite namespace of the run, or "".
func latestSuiteNamespace(ctx context.Context, r *resources.Resources, runID string) string {
	if runID == "" {
		return ""
	}
	var nss corev1.NamespaceList
	if err := r.List(ctx, &nss, resources.WithLabelSelector(lifecycle.RunLabel+"="+runID)); err != nil || len(nss.Items) == 0 {
		return ""
	}
	sort.Slice(nss.Items, func(i, j int) bool {
		return nss.Items[i].CreationTimestamp.After(nss.Items[j].CreationTimestamp.Time)
	})
	return nss.Items[0].Name
}

// BundleSize is the total size of the files under dir.
func BundleSize(dir string) (files int, bytes int64) {
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				files++
				bytes += info.Size()
			}
		}
		return nil
	})
	return files, bytes
}
