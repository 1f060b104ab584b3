// Package dns registers the DNS cells of the matrix: Service FQDN, short name through the
// search path, headless Service records and kubernetes.default, resolved in the probe pods.
package dns

import (
	"context"

	. "github.com/onsi/ginkgo/v2"

	"github.com/calico-conformance/e2e/e2e/framework"
	"github.com/calico-conformance/e2e/e2e/matrix"
)

var _ = Describe("Cluster DNS", Label("area:dns"), func() {
	var entries []TableEntry
	for _, c := range matrix.ForScenario(matrix.DNS) {
		entries = append(entries, Entry(c.Variant+": "+c.Title(), c.Labels(), c))
	}
	DescribeTable("resolves to the expected addresses", func(ctx context.Context, c matrix.Cell) {
		framework.RunCell(ctx, c)
	}, entries)
})
