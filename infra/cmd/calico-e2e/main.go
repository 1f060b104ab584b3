// Command calico-e2e is the suite's lifecycle tool, run by the Makefile through hack/ scripts:
//
//	calico-e2e images   build (IMAGES=source) or fetch (IMAGES=release) every image a run needs
//	calico-e2e check    validate the run's settings (and that Docker answers, for PROVIDER=kind)
//	calico-e2e up       create the cluster and install Calico in MODE (or adopt PROVIDER=existing)
//	calico-e2e down     check for image pulls, delete the cluster the suite created
//	calico-e2e run-id   print a new unique run id (PREFIX-MMDD-HHMMSS-random) for scripts
//	calico-e2e clean    delete every kind cluster the suite created on this host (and run records),
//	                    and the suite's namespaces in clusters it did not create; with RUN_ID, only
//	                    the suite's namespaces in that run's cluster (which is kept)
//	calico-e2e env      validate the run knobs, print the run's KUBECONFIG, ARTIFACTS, MODE... for
//	                    one suite run (ARTIFACTS: as given, else a new folder under the run's)
//	calico-e2e is NAME  exit 0 when the boolean knob NAME (KEEP_CLUSTER, ...) is true, 1 when false
//	calico-e2e timings  print the run's phase timing table
//	calico-e2e expect-fault  check a run's report against an injected fault (see hack/test-fault.sh)
//
// Configuration comes from the environment (MODE, PROVIDER, IMAGES, KUBECONFIG, RUN_ID,
// ARTIFACTS, ...; see the README). Bad input exits 2 with one line; a preflight verdict exits 3.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/calico-conformance/e2e/e2e/report"
	"github.com/calico-conformance/e2e/infra/lifecycle"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: calico-e2e images|check|up|down|clean|diag|env|timings|expect-fault")
		os.Exit(lifecycle.ExitBadInput)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	repo, err := repoRoot()
	if err == nil {
		switch os.Args[1] {
		case "images":
			err = imagesCmd(ctx, repo)
		case "up":
			err = upCmd(ctx, repo)
		case "down":
			err = downCmd(ctx, repo)
		case "check":
			err = checkCmd(ctx, repo)
		case "run-id":
			err = runIDCmd()
		case "clean":
			err = lifecycle.Clean(ctx, os.Getenv, repo, os.Stdout)
		case "is":
			err = isCmd()
		case "specs":
			err = specsCmd()
		case "lanes":
			err = lanesCmd()
		case "expect-fault":
			err = expectFaultCmd()
		case "env":
			err = envCmd()
		case "timings":
			err = timingsCmd()
		case "diag":
			err = diagCmd(ctx)
		case "operator-check":
			err = operatorCheckCmd(ctx)
		case "modes":
			err = modesCmd(ctx)
		case "combine":
			err = combineCmd()
		default:
			err = lifecycle.UsageError{Msg: fmt.Sprintf("unknown command %q: valid commands are images, check, up, down, clean, diag, operator-check, modes, combine, is, run-id, env, timings, expect-fault, lanes, specs", os.Args[1])}
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(os.Stderr, "calico-e2e %s: interrupted; everything it had created is removed\n", os.Args[1])
			os.Exit(130)
		}
		fmt.Fprintf(os.Stderr, "calico-e2e %s: %v\n", os.Args[1], err)
		os.Exit(lifecycle.ExitCode(err))
	}
}

// repoRoot finds the repository (scripts and the kind shim live there) from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "hack", "images", "lib.sh")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", lifecycle.UsageError{Msg: "run calico-e2e from inside the repository (hack/images/lib.sh not found above " + dir + ")"}
		}
	}
}

func phaseRecorder(artifacts string) lifecycle.Phase {
	return func(name string, d time.Duration) {
		if err := report.AppendPhase(artifacts, name, d); err != nil {
			fmt.Fprintf(os.Stderr, "warning: record phase %s: %v\n", name, err)
		}
		fmt.Printf("phase %-14s %6.1fs\n", name, d.Seconds())
	}
}

func upCmd(ctx context.Context, repo string) error {
	o, err := lifecycle.ParseOptions(os.Getenv, time.Now())
	if err != nil {
		return err
	}
	run, err := lifecycle.Up(ctx, o, repo, os.Stdout, phaseRecorder(o.Artifacts))
	if err != nil {
		return err
	}
	fmt.Printf("cluster ready: RUN_ID=%s MODE=%s PROVIDER=%s IMAGES=%s\n", run.RunID, run.Mode, run.Provider, run.Images)
	return nil
}

func downCmd(ctx context.Context, repo string) error {
	run, dir, err := lifecycle.LoadRun(os.Getenv)
	if err != nil {
		return err
	}
	// teardown must finish even when the user interrupts again
	return lifecycle.Down(context.WithoutCancel(ctx), run, dir, repo, os.Getenv, os.Stdout, phaseRecorder(run.Artifacts))
}

// envCmd validates the knobs of a suite run and prints the run as shell assignments for
// hack/e2e-run.sh. ARTIFACTS is the one given, else a new folder under the run's.
func envCmd() error {
	if _, err := lifecycle.ParseRunKnobs(os.Getenv); err != nil {
		return err
	}
	run, _, err := lifecycle.LoadRun(os.Getenv)
	if err != nil {
		return err
	}
	artifacts := lifecycle.RunArtifacts(os.Getenv, run, time.Now())
	for _, kv := range [][2]string{{"RUN_ID", run.RunID}, {"KUBECONFIG", run.Kubeconfig}, {"ARTIFACTS", artifacts},
		{"MODE", string(run.Mode)}, {"PROVIDER", run.Provider}, {"IMAGES", string(run.Images)},
		{"CLUSTER_NAME", run.ClusterName}, {"E2E_VERSIONS", run.Versions}, {"ROUTER_NAME", routerField(run, "name")},
		{"ROUTER_NETWORK", routerField(run, "network")}, {"SECOND_NETWORK", routerField(run, "second")},
		{"CALICO_UNDER_TEST", run.Calico}} {
		fmt.Printf("%s=%q\n", kv[0], kv[1])
	}
	return nil
}

// timingsCmd prints the phase table of one run, or, for several ARTIFACTS directories
// (space separated), each run's phases side by side with the median: the e2e benchmark report.
func timingsCmd() error {
	dirs := strings.Fields(os.Getenv("ARTIFACTS"))
	if len(dirs) == 0 {
		return lifecycle.UsageError{Msg: "ARTIFACTS is not set: give the run's artifacts directory (several, space separated, for a benchmark table)"}
	}
	runs := make([][]report.Phase, len(dirs))
	for i, d := range dirs {
		phases, err := report.LoadPhases(d)
		if err != nil {
			return err
		}
		runs[i] = phases
	}
	if len(runs) == 1 {
		fmt.Print(report.FormatPhases(runs[0]))
		return nil
	}
	fmt.Print(report.FormatBenchmark(runs))
	return nil
}

// modesCmd prints the modes MODES asks for, one per line (MODES=all: those this host can run).
func modesCmd(ctx context.Context) error {
	modes, err := lifecycle.ParseModes(os.Getenv, func() bool { ok, _ := lifecycle.HostIPIPSupport(ctx); return ok })
	for _, m := range modes {
		fmt.Println(m)
	}
	return err
}

// combineCmd shows the runs of a MODES run as one matrix: it reads each mode's run from the
// directories given (ARTIFACTS/<mode>), prints the combined grid and writes matrix.md and
// matrix.html to ARTIFACTS.
func combineCmd() error {
	out := os.Getenv("ARTIFACTS")
	if out == "" || len(os.Args) < 3 {
		return lifecycle.UsageError{Msg: "usage: ARTIFACTS=<dir> calico-e2e combine <mode's artifacts dir>..."}
	}
	var runs []report.ModeResults
	for _, dir := range os.Args[2:] {
		r, err := report.LoadRun(dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "warning: %v\n", err)
			r.Mode = filepath.Base(dir)
		}
		runs = append(runs, r)
	}
	fmt.Printf("\nConnectivity matrix of every mode (%d modes)\n", len(runs))
	fmt.Print(report.CombinedSummary(runs))
	if err := os.WriteFile(filepath.Join(out, "matrix.md"), []byte(report.CombinedMarkdown(runs)), 0o644); err != nil {
		return err
	}
	return report.WriteHTML(filepath.Join(out, report.HTMLFile), runs)
}

// checkCmd validates everything a run needs before anything is created.
func checkCmd(ctx context.Context, repo string) error {
	o, err := lifecycle.ParseOptions(os.Getenv, time.Now())
	if err != nil {
		return err
	}
	if err := lifecycle.CheckFilterSelects(os.Getenv("LABEL_FILTER"), filepath.Join(repo, "ci", "specs.txt")); err != nil {
		return err
	}
	return lifecycle.Check(ctx, o)
}

// runIDCmd prints a new run id with the given prefix (a word of lowercase letters; anything
// else, such as an invalid MODE, becomes "run" so the later check reports the real problem).
func runIDCmd() error {
	prefix := "run"
	if len(os.Args) > 2 && regexp.MustCompile(`^[a-z]+$`).MatchString(os.Args[2]) {
		prefix = os.Args[2]
	}
	fmt.Println(lifecycle.NewRunID(time.Now(), prefix))
	return nil
}

// isCmd answers a boolean knob for the scripts: exit 0 when true, 1 when false, 2 when its value
// is not a boolean.
func isCmd() error {
	if len(os.Args) < 3 {
		return lifecycle.UsageError{Msg: "usage: calico-e2e is KEEP_CLUSTER|PRELOAD|SKIP_IMAGES|PLAN_ONLY"}
	}
	on, err := lifecycle.Knob(os.Getenv, os.Args[2])
	if err != nil {
		return err
	}
	if !on {
		os.Exit(1)
	}
	return nil
}

func routerField(r lifecycle.Run, which string) string {
	if r.Router == nil {
		return ""
	}
	switch which {
	case "name":
		return r.Router.Name
	case "network":
		return r.Router.Network
	}
	return r.Router.SecondNetwork
}
