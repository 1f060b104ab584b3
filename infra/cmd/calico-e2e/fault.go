package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/calico-conformance/e2e/e2e/report"
	"github.com/calico-conformance/e2e/infra/lifecycle"
)

// FaultVerdict is whether a cell behaved as a fault in one node's tunnel predicts: a cell whose
// traffic crosses the tunnel to or from that node must fail, every other cell must pass.
// Tunnel cells: other-node placement, and DNS (queries from the broken node go to CoreDNS on
// another node). Not a tunnel cell: pod -> NodePort of another node, because the pool's
// natOutgoing SNATs the request to the source node's IP and the backend is local to the target
// node, so both directions use the underlay (measured: it passes with VXLAN dropped).
func FaultVerdict(c report.Cell) (wantFail bool, ok bool) {
	if c.State == "skip" {
		return false, true
	}
	wantFail = c.Scenario == "dns" || c.Placement == "other-node" && c.Scenario != "pod-to-nodeport"
	return wantFail, (c.State == "fail") == wantFail
}

// expectFaultCmd reads $ARTIFACTS/report.json of a run made with one node's VXLAN traffic
// dropped and fails unless exactly the cross-node cells failed.
func expectFaultCmd() error {
	dir := os.Getenv("ARTIFACTS")
	if dir == "" {
		return lifecycle.UsageError{Msg: "ARTIFACTS is not set: give the artifacts directory of the faulted run"}
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		return err
	}
	var reports []types.Report
	if err := json.Unmarshal(b, &reports); err != nil || len(reports) == 0 {
		return fmt.Errorf("read %s/report.json: %v", dir, err)
	}
	cells := report.CellsFromReport(reports[0])
	var wrong, failed, passed int
	for _, c := range cells {
		wantFail, ok := FaultVerdict(c)
		switch {
		case !ok:
			wrong++
			fmt.Printf("UNEXPECTED %-5s %s/%s %s -> %s (%s): wanted %s\n", c.State, c.Scenario, c.Proto, c.SrcOS, c.DstOS, c.Placement,
				map[bool]string{true: "fail", false: "pass"}[wantFail])
		case c.State == "fail":
			failed++
		case c.State == "pass":
			passed++
		}
	}
	fmt.Printf("fault check: %d tunnel cells failed as predicted, %d other cells passed, %d cells behaved otherwise\n", failed, passed, wrong)
	if wrong > 0 || failed == 0 || passed == 0 {
		return fmt.Errorf("the injected fault did not fail exactly the cells that cross the tunnel")
	}
	return nil
}
