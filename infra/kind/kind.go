// Package kind owns the lifecycle of the suite's throwaway kind clusters through kind's Go API:
// create (with the unprivileged-host substitute when needed), load images, delete.
package kind

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindcmd "sigs.k8s.io/kind/pkg/cmd"
)

// ClusterLabel is the label kind puts on every node container of a cluster.
const ClusterLabel = "io.x-k8s.kind.cluster"

// capSysResource is the bit of CAP_SYS_RESOURCE in a capability set.
const capSysResource = 24

// NeedsShim reports whether this host cannot run `docker run --privileged` because the capability
// bounding set lacks CAP_SYS_RESOURCE (these machines, some microVM CI runners). status is the
// content of /proc/self/status.
func NeedsShim(status string) (bool, error) {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			bnd, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return false, fmt.Errorf("parse CapBnd %q: %w", v, err)
			}
			return bnd&(1<<capSysResource) == 0, nil
		}
	}
	return false, fmt.Errorf("no CapBnd line in /proc/self/status")
}

// UseShimIfNeeded detects the unprivileged host once and, when needed, puts repo/hack/kind-shim
// first in PATH so kind's docker calls go through it. It returns the line to show the user, or "".
func UseShimIfNeeded(repo string) (string, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "", err
	}
	need, err := NeedsShim(string(status))
	if err != nil || !need {
		return "", err
	}
	if os.Getenv("REAL_DOCKER") == "" {
		real, err := exec.LookPath("docker")
		if err != nil {
			return "", fmt.Errorf("docker is not installed: %w", err)
		}
		os.Setenv("REAL_DOCKER", real)
	}
	shim := filepath.Join(repo, "hack", "kind-shim")
	if !strings.HasPrefix(os.Getenv("PATH"), shim+":") {
		os.Setenv("PATH", shim+":"+os.Getenv("PATH"))
	}
	return "host cannot run privileged containers (no CAP_SYS_RESOURCE in the capability bounding set): kind nodes run with explicit capabilities through hack/kind-shim/docker", nil
}

// Config is the cluster shape the suite uses.
type Config struct {
	Name           string
	NodeImage      string
	Workers        int
	PodSubnet      string
	ServiceSubnet  string
	KubeconfigPath string
}

// controllerManagerQPS lifts kube-controller-manager's client rate limit (20 requests/s, burst
// 30). Measured on kind: kubeadm runs it with a service account per controller, and starting its
// ~40 controllers (about 140 requests) took 5 s at that limit before any of them worked; the
// certificate signers the workers' kubelets wait for and the DaemonSet controller that creates
// calico-node come last. Nothing the suite qualifies depends on this limit.
const controllerManagerQPS = `apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
controllerManager:
  extraArgs:
    kube-api-qps: "200"
    kube-api-burst: "300"
`

// V1Alpha4 is the kind configuration for c: no default CNI (the suite installs Calico).
func (c Config) V1Alpha4() *v1alpha4.Cluster {
	cfg := &v1alpha4.Cluster{
		TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Networking: v1alpha4.Networking{
			DisableDefaultCNI: true,
			PodSubnet:         c.PodSubnet,
			ServiceSubnet:     c.ServiceSubnet,
		},
		Nodes:                []v1alpha4.Node{{Role: v1alpha4.ControlPlaneRole}},
		KubeadmConfigPatches: []string{controllerManagerQPS},
	}
	for i := 0; i < c.Workers; i++ {
		cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{Role: v1alpha4.WorkerRole})
	}
	v1alpha4.SetDefaultsCluster(cfg)
	return cfg
}

// Provider wraps kind's cluster provider with the docker runtime.
type Provider struct{ p *cluster.Provider }

// NewProvider returns a docker-backed kind provider logging to kind's CLI logger.
func NewProvider() Provider {
	return Provider{p: cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindcmd.NewLogger()))}
}

// Create creates the cluster and writes its kubeconfig. On failure kind removes the nodes.
func (p Provider) Create(c Config) error {
	err := p.p.Create(c.Name,
		cluster.CreateWithV1Alpha4Config(c.V1Alpha4()),
		cluster.CreateWithNodeImage(c.NodeImage),
		cluster.CreateWithKubeconfigPath(c.KubeconfigPath),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	)
	if err != nil {
		return fmt.Errorf("kind create cluster %s (image %s): %w", c.Name, c.NodeImage, err)
	}
	return nil
}

// Delete removes the cluster's nodes and its kubeconfig entry. A cluster that does not exist is
// not an error.
func (p Provider) Delete(name, kubeconfig string) error {
	if err := p.p.Delete(name, kubeconfig); err != nil {
		return fmt.Errorf("kind delete cluster %s: %w", name, err)
	}
	return nil
}

// Exists reports whether a cluster of that name has nodes.
func (p Provider) Exists(name string) (bool, error) {
	names, err := p.p.List()
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if n == name {
			return true, nil
		}
	}
	return false, nil
}

// KubeConfig returns the cluster's admin kubeconfig, with the API server address this host reaches.
func (p Provider) KubeConfig(name string) ([]byte, error) {
	s, err := p.p.KubeConfig(name, false)
	return []byte(s), err
}

// List returns the names of the kind clusters on this host.
func (p Provider) List() ([]string, error) { return p.p.List() }

// NodeNames lists the cluster's node containers.
func (p Provider) NodeNames(name string) ([]string, error) {
	nodes, err := p.p.ListNodes(name)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.String())
	}
	return out, nil
}

// LoadImages copies local images into every node's containerd (what `kind load docker-image`
// does); used when the node image does not already hold them.
func (p Provider) LoadImages(ctx context.Context, name string, images ...string) error {
	nodes, err := p.p.ListInternalNodes(name)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		for _, img := range images {
			if err := loadImage(ctx, n, img); err != nil {
				return fmt.Errorf("load %s into %s: %w", img, n.String(), err)
			}
		}
	}
	return nil
}

func loadImage(ctx context.Context, node nodes.Node, img string) error {
	save := exec.CommandContext(ctx, "docker", "save", img)
	out, err := save.StdoutPipe()
	if err != nil {
		return err
	}
	if err := save.Start(); err != nil {
		return err
	}
	loadErr := nodeutils.LoadImageArchive(node, out)
	_, _ = io.Copy(io.Discard, out)
	if err := save.Wait(); err != nil {
		return fmt.Errorf("docker save %s: %w", img, err)
	}
	return loadErr
}
