// Package calico registers specs about Calico's own state on the cluster under test.
package calico

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/calico-conformance/e2e/e2e/framework"
)

var _ = Describe("Calico BGP mesh", Label("area:calico"), func() {
	It("has an Established session from every node to every other node", func(ctx context.Context) {
		s := framework.Current()
		if s.Topology.Facts.Backend != "bird" {
			Skip("the cluster's networking backend is " + s.Topology.Facts.Backend + ": no BGP")
		}
		Eventually(ctx, func() ([]string, error) {
			return framework.BGPMeshProblems(ctx, s)
		}).WithTimeout(30*time.Second).WithPolling(2*time.Second).Should(BeEmpty(), "BGP mesh problems (birdcl show protocols in each calico-node)")
	})
})
