// Package framework is the suite's harness: the run's configuration, the facts detected from
// the cluster under test, the shared probe fixture, the execution of matrix cells, and the
// evidence kept when a spec fails. Spec packages (suites/...) import it; it imports none of them.
package framework

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/versions"
)

// Config is the run's configuration, read once from the environment that hack/e2e-run.sh sets.
type Config struct {
	Kubeconfig    string
	Mode          calico.Mode
	RunID         string
	Artifacts     string
	Provider      string
	Images        string
	Versions      versions.Set
	AgnhostImage  string
	NettoolsImage string // tcpdump for packet captures; built locally, preloaded in the node image
	ClusterDomain string
	// ProbeTimeout bounds one probe attempt; CellTimeout bounds the retries of a cell.
	ProbeTimeout, CellTimeout time.Duration
	Parallel                  int
	// MaxCaptures bounds the packet captures of a run (per Ginkgo process).
	MaxCaptures int
}

// ConfigFromEnv reads and validates the configuration; errors are one line.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	v, err := versions.Pinned()
	if err != nil {
		return Config{}, err
	}
	c := Config{
		Kubeconfig:    getenv("KUBECONFIG"),
		RunID:         cmp.Or(getenv("RUN_ID"), "adhoc"),
		Provider:      cmp.Or(getenv("PROVIDER"), "existing"),
		Images:        cmp.Or(getenv("IMAGES"), "release"),
		Versions:      v,
		AgnhostImage:  cmp.Or(getenv("AGNHOST_IMAGE"), images.NamesFor(v, images.Release).Agnhost),
		NettoolsImage: cmp.Or(getenv("NETTOOLS_IMAGE"), images.NamesFor(v, images.FromSource).Nettools),
		ClusterDomain: cmp.Or(getenv("CLUSTER_DOMAIN"), "cluster.local"),
		ProbeTimeout:  3 * time.Second,
		CellTimeout:   20 * time.Second,
		Parallel:      8,
		MaxCaptures:   3,
	}
	c.Artifacts = cmp.Or(getenv("ARTIFACTS"), filepath.Join("_artifacts", c.RunID))
	if c.Kubeconfig == "" {
		return c, fmt.Errorf("KUBECONFIG is not set: run through 'make e2e-run', or set KUBECONFIG=<the cluster's kubeconfig>")
	}
	if _, err := os.Stat(c.Kubeconfig); err != nil {
		return c, fmt.Errorf("KUBECONFIG %s does not exist", c.Kubeconfig)
	}
	if c.Mode, err = calico.ParseMode(getenv("MODE")); err != nil {
		return c, err
	}
	if d := getenv("CELL_TIMEOUT"); d != "" {
		if c.CellTimeout, err = time.ParseDuration(d); err != nil {
			return c, fmt.Errorf("CELL_TIMEOUT %q is not a duration (e.g. 20s)", d)
		}
	}
	if m := getenv("MAX_CAPTURES"); m != "" {
		if _, err := fmt.Sscanf(m, "%d", &c.MaxCaptures); err != nil || c.MaxCaptures < 0 {
			return c, fmt.Errorf("MAX_CAPTURES %q is not a number of captures (e.g. 3; 0 for none)", m)
		}
	}
	return c, nil
}
