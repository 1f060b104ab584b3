package lifecycle

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/calico-conformance/e2e/infra/kind"
)

// ClusterPrefix starts the name of every kind cluster the suite creates by default.
const ClusterPrefix = "e2e-"

// Clean deletes every kind cluster on this host that the suite created (its run record says
// so, or its name has the suite's prefix and no record is left, as after a killed session) and
// removes the run records. Clusters of other tools are left alone.
func Clean(getenv func(string) string, repo string, log io.Writer) error {
	root := cmp.Or(getenv("E2E_STATE_DIR"), defaultStateDir(getenv))
	ours := map[string]string{} // cluster -> run record dir
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
		if err == nil && r.Created && r.ClusterName != "" {
			ours[r.ClusterName] = filepath.Join(root, d.Name())
		}
	}
	if _, err := kind.UseShimIfNeeded(repo); err != nil {
		return err
	}
	p := kind.NewProvider()
	clusters, err := p.List()
	if err != nil {
		return err
	}
	n := 0
	for _, c := range clusters {
		if _, recorded := ours[c]; !recorded && !strings.HasPrefix(c, ClusterPrefix) {
			continue
		}
		if err := p.Delete(c, ""); err != nil {
			return err
		}
		if dir, ok := ours[c]; ok {
			_ = os.RemoveAll(dir)
		}
		fmt.Fprintf(log, "deleted kind cluster %s\n", c)
		n++
	}
	for c, dir := range ours { // records whose cluster is already gone
		_ = os.RemoveAll(dir)
		delete(ours, c)
	}
	_ = os.Remove(filepath.Join(root, "latest"))
	fmt.Fprintf(log, "clean: %d suite cluster(s) deleted\n", n)
	return nil
}
