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
	"github.com/calico-conformance/e2e/infra/lifecycle"
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
	// RouterName and RouterNetwork find the run's external router container (kind clusters the
	// suite created); SecondNetwork is the Docker network two workers share for the asymmetric
	// specs. Empty: the run has none.
	RouterName, RouterNetwork, SecondNetwork string
	// WindowsRegistry holds the agnhost Windows images (only with Windows nodes).
	WindowsRegistry string
	// CalicoUnderTest says which Calico the run's `up` installed (version, and a checkout's
	// commit and changes or each image's ID); empty for a cluster the suite did not set up.
	CalicoUnderTest string
}

// ConfigFromEnv reads and validates the configuration; errors are one line.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	v, err := versions.Pinned()
	if err != nil {
		return Config{}, err
	}
	k, err := lifecycle.ParseRunKnobs(getenv)
	if err != nil {
		return Config{}, err
	}
	c := Config{
		Kubeconfig:    getenv("KUBECONFIG"),
		RunID:         cmp.Or(getenv("RUN_ID"), "adhoc"),
		Provider:      cmp.Or(getenv("PROVIDER"), "existing"),
		Images:        cmp.Or(getenv("IMAGES"), "release"),
		Versions:      v,
		AgnhostImage:  cmp.Or(k.AgnhostImage, images.NamesFor(v, images.Release).Agnhost),
		NettoolsImage: cmp.Or(k.NettoolsImage, images.NamesFor(v, images.FromSource).Nettools),
		ClusterDomain: k.ClusterDomain,
		ProbeTimeout:  3 * time.Second,
		CellTimeout:   k.CellTimeout,
		Parallel:      8,
		MaxCaptures:   k.MaxCaptures,
		RouterName:    getenv("ROUTER_NAME"),
		RouterNetwork: cmp.Or(getenv("ROUTER_NETWORK"), lifecycle.KindNetwork),
		SecondNetwork: getenv("SECOND_NETWORK"),

		WindowsRegistry: k.WindowsRegistry,
		CalicoUnderTest: getenv("CALICO_UNDER_TEST"),
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
	return c, nil
}
