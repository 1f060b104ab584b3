package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/lifecycle"
	"github.com/calico-conformance/e2e/infra/versions"
)

func cacheDir() string {
	if d := os.Getenv("E2E_CACHE_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "calico-e2e", "build")
}

// imagesCmd builds the source images (cached) or fetches the release ones, then prints what it did.
func imagesCmd(ctx context.Context, repo string) error {
	k, err := lifecycle.ParseImageKnobs(ctx, os.Getenv)
	if err != nil {
		return err
	}
	src := k.Source
	if err := lifecycle.DockerRunning(ctx); err != nil {
		return err
	}
	v, err := versions.Pinned()
	if err != nil {
		return err
	}
	names := k.Names(v)
	fmt.Printf("images: IMAGES=%s %s\n", src, v.Summary())
	if k.CalicoSrc != nil {
		fmt.Printf("calico: from source %s (identity %s), images tagged %s\n", k.CalicoSrc, k.CalicoSrc.Identity(), names.CalicoTag)
	}
	start := time.Now()
	if src == images.Release {
		err = fetchRelease(ctx, repo, v, names)
	} else {
		err = build(ctx, repo, v, names, images.Steps(names))
		if err == nil {
			err = exposeTools(repo, names)
		}
	}
	if err != nil {
		return err
	}
	fmt.Printf("images ready in %.1fs: node image %s (preloaded), router/tools %s\n", time.Since(start).Seconds(), names.PreloadedNode, names.Nettools)
	return nil
}

func build(ctx context.Context, repo string, v versions.Set, names images.Names, steps []images.Step) error {
	recs, err := images.Records(steps, v, os.DirFS(repo))
	if err != nil {
		return err
	}
	dir := cacheDir()
	plan := images.Plan(steps, recs, images.NewState(ctx, dir))
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tACTION\tWHY")
	for _, a := range plan {
		action, why := "cached", "key "+a.Record.Key+" unchanged, outputs present"
		if a.Build {
			action, why = "build", a.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Step.Name, action, why)
	}
	tw.Flush()
	if planOnly, err := lifecycle.Knob(os.Getenv, "PLAN_ONLY"); err != nil || planOnly {
		return err
	}
	b := images.Builder{Repo: repo, CacheDir: dir, Versions: v, Names: names, Out: os.Stdout}
	results, err := b.Run(ctx, plan)
	printStepTimes(results)
	return err
}

func printStepTimes(results []images.StepResult) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	var total time.Duration
	fmt.Fprintln(tw, "step\tseconds\t")
	for _, r := range results {
		switch {
		case r.Built:
			fmt.Fprintf(tw, "%s\t%.1f\t\n", r.Step, r.Duration.Seconds())
			total += r.Duration
		case r.Err != nil && r.Reason != "cached":
			fmt.Fprintf(tw, "%s\tnot built\t\n", r.Step)
		}
	}
	fmt.Fprintf(tw, "sum of built steps\t%.1f\t\n", total.Seconds())
	tw.Flush()
}

// fetchRelease makes the published images local (the only place the suite pulls, and only under
// IMAGES=release), then builds what is never published from them.
func fetchRelease(ctx context.Context, repo string, v versions.Set, names images.Names) error {
	for _, img := range names.Published() {
		if len(images.Missing(ctx, img)) == 0 {
			continue
		}
		fmt.Printf("fetching %s (IMAGES=release)\n", img)
		if _, err := images.Docker(ctx, "image", "pull", img); err != nil {
			return err
		}
	}
	return build(ctx, repo, v, names, images.ReleaseSteps(names))
}

// exposeTools puts the source-built calicoctl and kubectl (the pinned versions) in ./bin, for
// looking into a run's cluster: bin/kubectl --kubeconfig ..., DATASTORE_TYPE=kubernetes bin/calicoctl ...
// A build from a Calico checkout leaves ./bin/calicoctl as it is (the pinned one, if built).
func exposeTools(repo string, names images.Names) error {
	tools := []string{"calicoctl", "kubectl"}
	if names.CalicoSrc != nil {
		tools = tools[1:]
	}
	for _, tool := range tools {
		src := filepath.Join(cacheDir(), "bin", tool)
		dst := filepath.Join(repo, "bin", tool)
		b, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("expose %s: %w", tool, err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst+".tmp", b, 0o755); err != nil {
			return err
		}
		if err := os.Rename(dst+".tmp", dst); err != nil {
			return err
		}
	}
	for i, t := range tools {
		tools[i] = filepath.Join("bin", t)
	}
	fmt.Printf("tools: %s\n", strings.Join(tools, ", "))
	return nil
}
