package lifecycle

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/calico-conformance/e2e/internal/msg"
)

// ClusterPrefix starts the name of every kind cluster the suite creates by default.
const ClusterPrefix = "e2e-"

// Clean removes what the suite left on this host. Without RUN_ID it deletes every kind cluster
// the suite created (its run record says so, or its name has the suite's prefix and no record is
// left, as after a killed session), deletes the suite's namespaces in clusters it did not create
// (PROVIDER=existing runs), and removes the run records. Vagrant clusters the suite made are
// destroyed the same way. Clusters of other tools are left alone.
// With RUN_ID it only deletes the suite's namespaces in that run's cluster, which is kept.
func Clean(ctx context.Context, getenv func(string) string, repo string, log io.Writer) error {
	if getenv("RUN_ID") != "" {
		r, _, err := LoadRun(getenv)
		if err != nil {
			return err
		}
		n, err := CleanNamespaces(ctx, r.Kubeconfig, log)
		if err == nil {
			fmt.Fprintf(log, "clean: %d suite namespace(s) deleted in the cluster of run %s (the cluster is kept)\n", n, r.RunID)
		}
		return err
	}
	root := stateRoot(getenv)
	ours := map[string]string{} // provider/cluster -> run record dir
	var adopted []Run
	dirs, _ := os.ReadDir(root)
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		r, _, err := LoadRun(func(k string) string {
			switch k {
			case "E2E_STATE_DIR":
				return root
			case "RUN_ID":
				return d.Name()
			}
			return ""
		})
		switch {
		case err != nil:
		case r.Created && r.ClusterName != "":
			ours[cmp.Or(r.Provider, ProviderKind)+"/"+r.ClusterName] = filepath.Join(root, d.Name())
		case !r.Created:
			adopted = append(adopted, r)
		}
	}
	for _, r := range adopted {
		if n, err := CleanNamespaces(ctx, r.Kubeconfig, log); err != nil {
			fmt.Fprintf(log, "warning: run %s (PROVIDER=%s): %v\n", r.RunID, r.Provider, err)
		} else if n > 0 {
			fmt.Fprintf(log, "deleted %d suite namespace(s) of run %s in a cluster the suite did not create\n", n, r.RunID)
		}
		_ = os.RemoveAll(filepath.Join(root, r.RunID))
	}
	n := 0
	for _, reg := range providers {
		p, err := reg.open(getenv, repo, root, io.Discard)
		if err == nil && !p.Creates() {
			continue
		}
		if err != nil {
			if reg.cleanMust {
				return err
			}
			fmt.Fprintf(log, "warning: %s clusters not checked: %v\n", reg.name, err)
			continue
		}
		clusters, err := p.List(ctx)
		if err != nil {
			return err
		}
		for _, c := range clusters {
			key := reg.name + "/" + c
			if _, recorded := ours[key]; !recorded && !strings.HasPrefix(c, ClusterPrefix) {
				continue
			}
			if err := p.Delete(ctx, c, ""); err != nil {
				if reg.cleanMust {
					return err
				}
				// a VM cluster whose hypervisor is unreachable here: say so, clean the rest
				fmt.Fprintf(log, "warning: %s cluster %s not deleted: %v (delete it where its hypervisor runs: make e2e-down RUN_ID=...)\n", reg.name, c, msg.OneLine(err.Error()))
				continue
			}
			if dir, ok := ours[key]; ok {
				_ = os.RemoveAll(dir)
			}
			fmt.Fprintf(log, "deleted %s cluster %s\n", reg.name, c)
			n++
		}
	}
	if err := CleanRouters(ctx, log); err != nil {
		return err
	}
	for c, dir := range ours { // records whose cluster is already gone
		_ = os.RemoveAll(dir)
		delete(ours, c)
	}
	_ = os.Remove(filepath.Join(root, "latest"))
	fmt.Fprintf(log, "clean: %d suite cluster(s) deleted\n", n)
	return nil
}

// CleanNamespaces deletes every namespace that carries the suite's run label in the cluster of
// kubeconfig (fixtures of runs that were killed before their own cleanup) and returns how many.
// Deletion finishes in the background; nothing waits for it.
func CleanNamespaces(ctx context.Context, kubeconfig string, log io.Writer) (int, error) {
	c, err := klient.NewWithKubeConfigFile(kubeconfig)
	if err != nil {
		return 0, fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	var list corev1.NamespaceList
	if err := c.Resources().List(ctx, &list, resources.WithLabelSelector(RunLabel)); err != nil {
		return 0, fmt.Errorf("list the suite's namespaces: %w", err)
	}
	var names []string
	for _, ns := range list.Items {
		if ns.DeletionTimestamp != nil {
			continue
		}
		if err := c.Resources().Delete(ctx, &ns); err != nil && !strings.Contains(err.Error(), "not found") {
			return len(names), fmt.Errorf("delete namespace %s: %w", ns.Name, err)
		}
		names = append(names, ns.Name)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(log, "deleted namespace %s\n", n)
	}
	return len(names), nil
}
