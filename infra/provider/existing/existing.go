// Package existing is the provider of a cluster the user brings (PROVIDER=existing, with
// KUBECONFIG): the suite never creates, reconfigures or deletes it; it only reads its nodes.
package existing

import (
	"context"
	"fmt"

	"github.com/calico-conformance/e2e/infra/provider"
)

// Provider is PROVIDER=existing.
type Provider struct{}

var _ provider.Provider = Provider{}

// Name is "existing".
func (Provider) Name() string { return "existing" }

// Creates is false: the cluster belongs to the user.
func (Provider) Creates() bool { return false }

// Create refuses: an existing cluster is never created by the suite.
func (Provider) Create(context.Context, provider.Spec) error {
	return fmt.Errorf("PROVIDER=existing uses the cluster KUBECONFIG points at; it never creates one")
}

// Delete leaves the cluster as it is.
func (Provider) Delete(context.Context, string, string) error { return nil }

// Exists is true: the user says the cluster is there (its API answers or the run fails).
func (Provider) Exists(context.Context, string) (bool, error) { return true, nil }

// List names no cluster: there is none of the suite's to clean up.
func (Provider) List(context.Context) ([]string, error) { return nil, nil }

// Nodes reads the nodes from the cluster's API, with their OS and Windows build.
func (Provider) Nodes(ctx context.Context, _, kubeconfig string) ([]provider.Node, error) {
	return provider.NodesFromAPI(ctx, kubeconfig)
}
