// Package e2e is the suite's single Ginkgo entry: it wires the harness's suite hooks and
// blank-imports the spec packages of suites/. Run it through `make e2e-run` (or `make e2e`).
package e2e

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/calico-conformance/e2e/e2e/framework"
	_ "github.com/calico-conformance/e2e/suites/bgp"
	_ "github.com/calico-conformance/e2e/suites/calico"
	_ "github.com/calico-conformance/e2e/suites/connectivity"
	_ "github.com/calico-conformance/e2e/suites/dns"
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Calico networking conformance")
}

var _ = SynchronizedBeforeSuite(func(ctx context.Context) []byte {
	return framework.SetupSuite(ctx)
}, func(data []byte) {
	framework.AttachSuite(data)
})

var _ = SynchronizedAfterSuite(func() {
	framework.WritePairs()
}, func(ctx context.Context) {
	framework.TeardownSuite(ctx)
})

// Evidence before teardown: a failed spec's evidence is collected right after it, while the
// fixture and the cluster still exist.
var _ = JustAfterEach(func(ctx context.Context) {
	if !CurrentSpecReport().Failed() {
		return
	}
	s := framework.Current()
	dir := framework.EvidenceDir(s.Config.Artifacts, CurrentSpecReport())
	fs, err := framework.CollectAndAnalyze(ctx, s, dir)
	if err != nil {
		AddReportEntry("evidence", "collecting evidence failed: "+err.Error())
		return
	}
	AddReportEntry("evidence", dir)
	AddReportEntry("findings", framework.FormatFindings(fs, nil))
})

var _ = ReportAfterSuite("connectivity matrix", func(r Report) {
	framework.WriteReports(r)
})
