// Command capz-recipe writes the CAPZ recipe of package capz into a directory:
//
//	go run ./infra/capz/cmd/capz-recipe -out _capz
//
// Knobs come from the environment (CLUSTER_NAME, KUBERNETES_VERSION, MODE, WINDOWS_NODES,
// AZURE_CONTROL_PLANE_MACHINE_TYPE, AZURE_NODE_MACHINE_TYPE). It writes files only: nothing is
// created on Azure until the written recipe.sh is run.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/calico-conformance/e2e/infra/capz"
)

func main() {
	out := flag.String("out", "", "directory to write the recipe into (created if missing)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "capz-recipe: want -out <directory> and no arguments, e.g. go run ./infra/capz/cmd/capz-recipe -out _capz")
		os.Exit(2)
	}
	o, err := capz.ParseOptions(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "capz-recipe:", err)
		os.Exit(2)
	}
	files, err := capz.Render(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "capz-recipe:", err)
		os.Exit(1)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "capz-recipe:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		mode := os.FileMode(0o644)
		if name == capz.RecipeFile {
			mode = 0o755
		}
		path := filepath.Join(*out, name)
		if err := os.WriteFile(path, files[name], mode); err != nil {
			fmt.Fprintln(os.Stderr, "capz-recipe:", err)
			os.Exit(1)
		}
		fmt.Println(path)
	}
	fmt.Printf("next: read docs/capz.md, export %v, then %s\n", capz.UserEnv, filepath.Join(*out, capz.RecipeFile))
}
