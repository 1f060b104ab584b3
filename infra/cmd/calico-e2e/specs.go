package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/calico-conformance/e2e/infra/lifecycle"
)

// specsCmd prints every spec of a Ginkgo (dry-run) JSON report with its labels, one per line:
// the committed ci/specs.txt, so a change in what the suite runs shows in review.
func specsCmd() error {
	if len(os.Args) < 3 {
		return lifecycle.UsageError{Msg: "usage: calico-e2e specs <ginkgo json report>"}
	}
	b, err := os.ReadFile(os.Args[2])
	if err != nil {
		return err
	}
	var reports []types.Report
	if err := json.Unmarshal(b, &reports); err != nil || len(reports) == 0 {
		return fmt.Errorf("read %s: not a Ginkgo JSON report (%v)", os.Args[2], err)
	}
	var lines []string
	for _, s := range reports[0].SpecReports {
		if s.LeafNodeType == types.NodeTypeIt {
			lines = append(lines, fmt.Sprintf("%s [%s]", s.FullText(), strings.Join(s.Labels(), ", ")))
		}
	}
	sort.Strings(lines) // Ginkgo randomizes the order of top-level containers
	fmt.Println(strings.Join(lines, "\n"))
	return nil
}
