package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/calico-conformance/e2e/infra/versions"
)

// Docker runs the docker CLI and returns its output; errors carry the command and its output.
func Docker(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// Missing returns the images of the list that are not in the local Docker engine.
func Missing(ctx context.Context, imgs ...string) []string {
	var missing []string
	for _, img := range imgs {
		if _, err := Docker(ctx, "image", "inspect", "--format", "{{.Id}}", img); err != nil {
			missing = append(missing, img)
		}
	}
	return missing
}

// Require fails with one line naming every missing image and how to get it. It never pulls.
func Require(ctx context.Context, src Source, imgs ...string) error {
	missing := Missing(ctx, imgs...)
	if len(missing) == 0 {
		return nil
	}
	how := "build them with 'make images IMAGES=source'"
	if src == Release {
		how = "fetch them with 'make images IMAGES=release' (needs a registry)"
	}
	return fmt.Errorf("missing local image(s) %s (IMAGES=%s): %s", strings.Join(missing, ", "), src, how)
}

// cacheState reads stamps from the cache directory and image labels from the Docker engine.
type cacheState struct {
	ctx context.Context
	dir string
}

// NewState returns the State of a cache directory and the local Docker engine.
func NewState(ctx context.Context, cacheDir string) State { return cacheState{ctx: ctx, dir: cacheDir} }

func (c cacheState) Stamp(step string) (Record, bool) {
	b, err := os.ReadFile(filepath.Join(c.dir, "stamps", step+".json"))
	if err != nil {
		return Record{}, false
	}
	r, err := UnmarshalStamp(b)
	return r, err == nil
}

func (c cacheState) ImageKey(img string) (string, bool) {
	out, err := Docker(c.ctx, "image", "inspect", "--format", `{{index .Config.Labels "e2e.build-key"}}`, img)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(out), true
}

func (c cacheState) FileExists(rel string) bool {
	_, err := os.Stat(filepath.Join(c.dir, rel))
	return err == nil
}

// Builder runs the build steps of a plan.
type Builder struct {
	Repo     string // repository root (scripts are read from here)
	CacheDir string
	Versions versions.Set
	Names    Names
	Out      io.Writer // progress lines
}

// StepResult is how one step of a run went.
type StepResult struct {
	Step     string
	Built    bool
	Reason   string
	Duration time.Duration
	Err      error
}

// Run builds the stale steps of the plan, at most two at a time and at most one Go-heavy step
// at a time, each after its dependencies. It stops starting new steps at the first failure
// or when ctx is cancelled (a running step's process group is killed).
func (b Builder) Run(ctx context.Context, plan []Action) ([]StepResult, error) {
	for _, d := range []string{"stamps", "logs"} {
		if err := os.MkdirAll(filepath.Join(b.CacheDir, d), 0o755); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(map[string]chan struct{}, len(plan))
	for _, a := range plan {
		done[a.Step.Name] = make(chan struct{})
	}
	var (
		mu       sync.Mutex
		results  = make([]StepResult, len(plan))
		firstErr error
		wg       sync.WaitGroup
		slots    = make(chan struct{}, 2)
		goSlot   = make(chan struct{}, 1)
	)
	for i, a := range plan {
		wg.Add(1)
		go func(i int, a Action) {
			defer wg.Done()
			defer close(done[a.Step.Name])
			res := StepResult{Step: a.Step.Name, Reason: a.Reason}
			defer func() { mu.Lock(); results[i] = res; mu.Unlock() }()
			for _, d := range a.Step.Deps {
				select {
				case <-done[d]:
				case <-ctx.Done():
					res.Err = ctx.Err()
					return
				}
			}
			if !a.Build || ctx.Err() != nil {
				res.Err = ctx.Err()
				return
			}
			if a.Step.Go {
				goSlot <- struct{}{}
				defer func() { <-goSlot }()
			}
			slots <- struct{}{}
			defer func() { <-slots }()
			if ctx.Err() != nil {
				res.Err = ctx.Err()
				return
			}
			fmt.Fprintf(b.Out, "[%s] build %-18s (%s)\n", time.Now().Format("15:04:05"), a.Step.Name, a.Reason)
			start := time.Now()
			res.Err = b.runStep(ctx, a)
			res.Built, res.Duration = res.Err == nil, time.Since(start)
			if res.Err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = res.Err
				}
				mu.Unlock()
				cancel()
				return
			}
			fmt.Fprintf(b.Out, "[%s] done  %-18s %6.1fs\n", time.Now().Format("15:04:05"), a.Step.Name, res.Duration.Seconds())
		}(i, a)
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return results, firstErr
}

func (b Builder) runStep(ctx context.Context, a Action) error {
	logPath := filepath.Join(b.CacheDir, "logs", a.Step.Name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	script := filepath.Join(b.Repo, a.Step.Script())
	cmd := exec.Command("bash", script)
	cmd.Dir = b.Repo
	cmd.Env = append(os.Environ(), b.Versions.Env()...)
	cmd.Env = append(cmd.Env, b.Names.Env()...)
	cmd.Env = append(cmd.Env, "CACHE_DIR="+b.CacheDir, "BUILD_KEY="+a.Record.Key)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err = <-waitErr:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		err = <-waitErr
		if err == nil {
			err = ctx.Err()
		}
	}
	if err != nil {
		return &StepError{Step: a.Step.Name, Log: logPath, Tail: tail(logPath, 15), Err: err,
			Rerun: fmt.Sprintf("CACHE_DIR=%s BUILD_KEY=%s %s %s bash %s", b.CacheDir, a.Record.Key,
				strings.Join(b.Versions.Env(), " "), strings.Join(b.Names.Env(), " "), script)}
	}
	stamp, err := MarshalStamp(a.Record)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.CacheDir, "stamps", a.Step.Name+".json"), stamp, 0o644)
}

// StepError is a failed build step, with the end of its log and a command that re-runs it.
type StepError struct {
	Step, Log, Tail, Rerun string
	Err                    error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("image build step %s failed (%v); log %s:\n%s\nre-run it alone with:\n  %s", e.Step, e.Err, e.Log, e.Tail, e.Rerun)
}

func (e *StepError) Unwrap() error { return e.Err }

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}
