// Package lifecycle brings a test cluster up and down: it validates what the user asked for,
// runs the preflight checks, creates the kind cluster (or adopts an existing one), installs
// Calico in the requested mode, waits for it, and records the run so later steps find it.
package lifecycle

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/versions"
)

// Exit codes of the lifecycle commands.
const (
	ExitFailure   = 1 // something went wrong while running
	ExitBadInput  = 2 // the user asked for something invalid, or a prerequisite is missing
	ExitPreflight = 3 // the cluster cannot run the requested mode (e.g. IPIP without kernel support)
)

// UsageError is bad input: one line saying what is wrong and what would be right.
type UsageError struct{ Msg string }

func (e UsageError) Error() string { return e.Msg }

// PreflightError means the requested mode cannot work on this cluster or host.
type PreflightError struct{ Msg string }

func (e PreflightError) Error() string { return "preflight: " + e.Msg }

// ExitCode maps an error to the command's exit code.
func ExitCode(err error) int {
	var u UsageError
	var p PreflightError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u):
		return ExitBadInput
	case errors.As(err, &p):
		return ExitPreflight
	}
	return ExitFailure
}

// Options is one run's configuration, read from the environment the Makefile passes.
type Options struct {
	Mode        calico.Mode
	Provider    string
	Images      images.Source
	Kubeconfig  string // PROVIDER=existing: the cluster's kubeconfig; kind: where ours is written
	ClusterName string
	RunID       string
	Artifacts   string // reports and evidence; never holds secrets
	StateDir    string // run state and the kind kubeconfig (holds credentials: not an artifact)
	Workers     int
	// WindowsNodes is how many Windows workers the provider creates (vagrant: WINDOWS_NODES).
	WindowsNodes int
	// WindowsRegistry mirrors the images Windows nodes run (WINDOWS_REGISTRY).
	WindowsRegistry string
	Preload         bool // use the node image with Calico and probe images already in containerd
	Router          bool // bring up the external router with a kind cluster (ROUTER, default on)
	// CalicoSrc is the Calico checkout the Calico images are built from (CALICO_SRC); nil:
	// the pinned module.
	CalicoSrc *images.CalicoSource
	// CalicoImages are Calico images already in the local Docker engine that the cluster runs
	// instead of the pinned ones (CALICO_IMAGES), by component.
	CalicoImages images.CalicoImages
	// getenv is the environment the options were read from: the provider reads its own knobs
	// from it when it is opened.
	getenv func(string) string
}

// env is the environment o was read from (the process's own for Options built in code).
func (o Options) env() func(string) string {
	if o.getenv == nil {
		return os.Getenv
	}
	return o.getenv
}

// maxWorkers bounds WORKERS: each kind node is a container of this host.
const maxWorkers = 10

var namePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// ParseOptions validates the environment. Every error is a UsageError of one line.
func ParseOptions(getenv func(string) string, now time.Time) (Options, error) {
	o := Options{Provider: cmp.Or(getenv("PROVIDER"), ProviderKind), Workers: 2, getenv: getenv}
	mode, err := calico.ParseMode(getenv("MODE"))
	if err != nil {
		return o, UsageError{err.Error()}
	}
	o.Mode = mode
	ik, err := ParseImageKnobs(context.Background(), getenv)
	if err != nil {
		return o, err
	}
	o.Images, o.CalicoSrc, o.CalicoImages = ik.Source, ik.CalicoSrc, ik.CalicoImages
	if o.Preload, err = Knob(getenv, "PRELOAD"); err != nil {
		return o, err
	}
	if o.Router, err = Knob(getenv, "ROUTER"); err != nil {
		return o, err
	}
	k, err := ParseRunKnobs(getenv)
	if err != nil {
		return o, err
	}
	o.WindowsRegistry = k.WindowsRegistry
	o.RunID = getenv("RUN_ID")
	if o.RunID == "" {
		o.RunID = NewRunID(now, string(mode))
	} else if !namePattern.MatchString(o.RunID) {
		return o, UsageError{fmt.Sprintf("RUN_ID %q is not valid: use lowercase letters, digits and '-'", o.RunID)}
	}
	o.StateDir = filepath.Join(stateRoot(getenv), o.RunID)
	o.Artifacts = cmp.Or(getenv("ARTIFACTS"), filepath.Join("_artifacts", o.RunID))
	r, err := registered(o.Provider)
	if err != nil {
		return o, err
	}
	if err := r.options(getenv, &o); err != nil {
		return o, err
	}
	if (o.CalicoSrc != nil || o.CalicoImages != nil) && !r.ownCalico {
		knob := "CALICO_SRC"
		if o.CalicoImages != nil {
			knob = "CALICO_IMAGES"
		}
		return o, UsageError{fmt.Sprintf("%s needs a cluster the suite installs Calico on from its manifest and can load local images into (PROVIDER=kind); PROVIDER=%s does not: unset %s, or use PROVIDER=kind", knob, o.Provider, knob)}
	}
	return o, nil
}

// ImageKnobs say where a run's images come from: IMAGES, and the Calico under test when it is
// not the pinned one (CALICO_SRC or CALICO_IMAGES).
type ImageKnobs struct {
	Source       images.Source
	CalicoSrc    *images.CalicoSource
	CalicoImages images.CalicoImages
}

// ParseImageKnobs validates IMAGES, CALICO_SRC and CALICO_IMAGES (the format only: whether the
// images exist is Check's) and reads the checkout's identity. Every bad input is one UsageError
// line.
func ParseImageKnobs(ctx context.Context, getenv func(string) string) (ImageKnobs, error) {
	var k ImageKnobs
	src, err := images.ParseSource(cmp.Or(getenv("IMAGES"), string(images.Release)))
	if err != nil {
		return k, UsageError{err.Error()}
	}
	k.Source = src
	dir, list := getenv("CALICO_SRC"), getenv("CALICO_IMAGES")
	switch {
	case dir != "" && list != "":
		return k, UsageError{"CALICO_SRC and CALICO_IMAGES are both set: use CALICO_SRC=<checkout> to build the Calico images from source, or CALICO_IMAGES=<component=image,...> to run images you have, not both"}
	case dir != "" && src != images.FromSource:
		return k, UsageError{fmt.Sprintf("CALICO_SRC builds the Calico images here, which needs IMAGES=source (IMAGES=%s runs the published Calico images): add IMAGES=source", src)}
	case dir != "":
		cs, err := images.ReadCalicoSource(ctx, dir)
		var se *images.SourceError
		if errors.As(err, &se) {
			return k, UsageError{se.Msg}
		} else if err != nil {
			return k, err
		}
		k.CalicoSrc = &cs
	case list != "":
		ci, err := images.ParseCalicoImages(list)
		if err != nil {
			return k, UsageError{err.Error()}
		}
		k.CalicoImages = ci
	}
	return k, nil
}

// Names are the images of a run with these knobs: a checkout's build has its own Calico and
// node image names; CALICO_IMAGES changes no name (those images are loaded besides).
func (k ImageKnobs) Names(v versions.Set) images.Names {
	if k.CalicoSrc != nil {
		return images.CalicoSourceNames(v, *k.CalicoSrc)
	}
	return images.NamesFor(v, k.Source)
}

// imageKnobs are o's image settings.
func (o Options) imageKnobs() ImageKnobs {
	return ImageKnobs{Source: o.Images, CalicoSrc: o.CalicoSrc, CalicoImages: o.CalicoImages}
}

func defaultStateDir(getenv func(string) string) string {
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "calico-e2e", "runs")
	}
	return filepath.Join(cmp.Or(getenv("HOME"), os.TempDir()), ".cache", "calico-e2e", "runs")
}

// NewRunID is unique per run so parallel runs never share a cluster name or directory.
func NewRunID(now time.Time, mode string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%s-%s", mode, now.UTC().Format("0102-150405"), hex.EncodeToString(b))
}

// Run is what `up` records for `run` and `down`.
type Run struct {
	RunID       string        `json:"runID"`
	Mode        calico.Mode   `json:"mode"`
	Provider    string        `json:"provider"`
	Images      images.Source `json:"images"`
	ClusterName string        `json:"clusterName,omitempty"`
	Kubeconfig  string        `json:"kubeconfig"`
	Artifacts   string        `json:"artifacts"`
	NodeImage   string        `json:"nodeImage,omitempty"`
	Versions    string        `json:"versions"`
	Created     bool          `json:"created"` // the suite created the cluster and may delete it
	Router      *RouterFacts  `json:"router,omitempty"`
	// Calico says exactly which Calico the suite installed (version, and the checkout's commit
	// and changes or each image's ID); empty for a cluster it did not install.
	Calico string `json:"calico,omitempty"`
}

func runFile(stateDir string) string { return filepath.Join(stateDir, "run.json") }

// Save writes the run record and points <state root>/latest at it.
func (r Run) Save(stateDir string) error {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(runFile(stateDir), b, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(filepath.Dir(stateDir), "latest"), []byte(r.RunID+"\n"), 0o600)
}

// LoadRun reads the record of RUN_ID, or of the latest run when RUN_ID is empty.
func LoadRun(getenv func(string) string) (Run, string, error) {
	root := cmp.Or(getenv("E2E_STATE_DIR"), defaultStateDir(getenv))
	id := getenv("RUN_ID")
	if id == "" {
		b, err := os.ReadFile(filepath.Join(root, "latest"))
		if err != nil {
			return Run{}, "", UsageError{"no run to use: run 'make e2e-up' first, or set RUN_ID=<id printed by e2e-up>"}
		}
		id = strings.TrimSpace(string(b))
	}
	dir := filepath.Join(root, id)
	b, err := os.ReadFile(runFile(dir))
	if err != nil {
		return Run{}, dir, UsageError{fmt.Sprintf("no run %q under %s: run 'make e2e-up' first, or set RUN_ID to a run it printed", id, root)}
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return Run{}, dir, fmt.Errorf("read %s: %w", runFile(dir), err)
	}
	return r, dir, nil
}

// RunArtifacts is where one `e2e-run` of run r writes its reports and evidence: ARTIFACTS when
// given, else a folder of its own under the run's artifacts, so several runs on one kept
// cluster never overwrite or mix each other's reports.
func RunArtifacts(getenv func(string) string, r Run, now time.Time) string {
	if a := getenv("ARTIFACTS"); a != "" {
		return a
	}
	return filepath.Join(r.Artifacts, NewRunID(now, "e2e-run"))
}
