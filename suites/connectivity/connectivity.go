// Package connectivity registers the pod-to-pod, pod-to-service, host-to-pod and path MTU cells
// of the matrix. Each entry probes every concrete node pair of its cell in parallel.
package connectivity

import (
	"context"

	. "github.com/onsi/ginkgo/v2"

	"github.com/calico-conformance/e2e/e2e/framework"
	"github.com/calico-conformance/e2e/e2e/matrix"
)

func entries(s matrix.Scenario) []TableEntry {
	return framework.Entries(s, func(c matrix.Cell) string { return string(c.Proto) + ": " + c.Title() })
}

func check(ctx context.Context, c matrix.Cell) { framework.RunCell(ctx, c) }

var _ = Describe("Pod-to-pod connectivity", Label("area:connectivity"), func() {
	DescribeTable("reaches the destination pod", check, entries(matrix.PodToPod))
})

var _ = Describe("Pod-to-Service connectivity", Label("area:services"), func() {
	DescribeTable("reaches the ClusterIP's backend", check, entries(matrix.PodToClusterIP))
	DescribeTable("reaches the NodePort's backend", check, entries(matrix.PodToNodePort))
})

var _ = Describe("Host-network connectivity", Label("area:connectivity"), func() {
	DescribeTable("reaches the pod from the node", check, entries(matrix.HostToPod))
})

var _ = Describe("Path MTU", Label("area:mtu"), func() {
	DescribeTable("carries a payload larger than the path MTU intact", check, entries(matrix.MTU))
})
