// Package provider is the seam between the suite and whatever makes its clusters: kind, an
// existing cluster, Vagrant VMs. Like kind's own internal/providers, it is one small interface
// with one package per implementation, chosen once at the top; everything above it (Calico
// install, the specs, evidence) sees only a kubeconfig and a list of nodes.
package provider

import (
	"context"
	"io"
)

// OS names as Kubernetes labels them (kubernetes.io/os).
const (
	Linux   = "linux"
	Windows = "windows"
)

// Node is what the suite needs to know about one node.
type Node struct {
	Name         string
	OS           string // Linux or Windows
	WindowsBuild string // node.kubernetes.io/windows-build, e.g. "10.0.20348"; "" on Linux
	InternalIP   string
	ControlPlane bool
}

// Spec is the cluster a provider creates.
type Spec struct {
	Name           string
	Kubeconfig     string // where the admin kubeconfig is written (never an artifact)
	LinuxWorkers   int
	WindowsNodes   int
	WindowsVersion string // "2019" or "2022" (Windows providers)
	PodCIDR        string
	ServiceCIDR    string
	NodeImage      string // kind: the node image
	Log            io.Writer
}

// Provider creates, describes and deletes the suite's clusters. Implementations must make Create
// interruptible: when ctx is cancelled it stops at once and leaves what it made for Delete.
type Provider interface {
	// Name is the PROVIDER value that selects this provider.
	Name() string
	// Creates reports whether the provider makes (and so may delete) clusters; false for a
	// cluster the user brings.
	Creates() bool
	Create(ctx context.Context, s Spec) error
	Delete(ctx context.Context, name, kubeconfig string) error
	Exists(ctx context.Context, name string) (bool, error)
	// List names the clusters of this provider on this host (for `calico-e2e clean`).
	List(ctx context.Context) ([]string, error)
	// Nodes describes the cluster's nodes.
	Nodes(ctx context.Context, name, kubeconfig string) ([]Node, error)
}
