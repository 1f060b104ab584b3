// Package bgp registers the specs of the suite's external router: BGP ingress (sessions, next
// hops, pods and ClusterIPs reached from outside the cluster) and asymmetric routes (a request
// entering through one node, its reply leaving through another).
package bgp

import (
	"context"

	. "github.com/onsi/ginkgo/v2"

	"github.com/calico-conformance/e2e/e2e/framework"
	"github.com/calico-conformance/e2e/e2e/matrix"
)

func entries(s matrix.Scenario) []TableEntry {
	return framework.Entries(s, func(c matrix.Cell) string { return c.Variant + "/" + string(c.Proto) + ": " + c.Title() })
}

var _ = Describe("BGP ingress from an external router", Label("area:bgp"), func() {
	DescribeTable("learns the cluster's routes and reaches its pods and Services",
		func(ctx context.Context, c matrix.Cell) { framework.RunIngress(ctx, c) }, entries(matrix.BGPIngress))
})

var _ = Describe("Asymmetric routes", Label("area:bgp"), func() {
	DescribeTable("answer or drop as the nodes' conntrack and reverse-path filtering decide",
		func(ctx context.Context, c matrix.Cell) { framework.RunAsymmetric(ctx, c) }, entries(matrix.Asymmetric))
})
