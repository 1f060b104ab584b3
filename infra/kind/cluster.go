package kind

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/calico-conformance/e2e/infra/provider"
)

// Cluster is kind as the suite's provider: clusters of node containers on this host's Docker.
// The unprivileged-host shim is put in PATH on first use, after the caller's preflight checks.
type Cluster struct {
	kp   Provider
	repo string
	log  io.Writer
	once sync.Once
	err  error

	mu    sync.Mutex
	admin map[string][]byte // clusters being created: their admin kubeconfig once read
}

var (
	_ provider.Provider    = (*Cluster)(nil)
	_ provider.ImageLoader = (*Cluster)(nil)
	_ provider.PullAuditor = (*Cluster)(nil)

	_ provider.EarlyControlPlane = (*Cluster)(nil)
)

// NewCluster returns the kind provider; on first use it puts the unprivileged-host shim in PATH
// when this host needs it (the line saying so goes to log).
func NewCluster(repo string, log io.Writer) (*Cluster, error) {
	return &Cluster{kp: NewProvider(), repo: repo, log: log}, nil
}

func (c *Cluster) ready() error {
	c.once.Do(func() {
		var line string
		if line, c.err = UseShimIfNeeded(c.repo); line != "" {
			fmt.Fprintln(c.log, line)
		}
	})
	return c.err
}

// Name is "kind".
func (c *Cluster) Name() string { return "kind" }

// Creates is true.
func (c *Cluster) Creates() bool { return true }

// Create runs kind's (blocking) create of 1 control plane and s.LinuxWorkers workers; when ctx
// is cancelled it removes the node containers at once, which makes the create fail fast, and
// the caller's cleanup deletes the rest.
func (c *Cluster) Create(ctx context.Context, s provider.Spec) error {
	if s.WindowsNodes > 0 {
		return fmt.Errorf("kind runs Linux nodes only: WINDOWS_NODES=%d needs PROVIDER=vagrant or an existing cluster", s.WindowsNodes)
	}
	if err := c.ready(); err != nil {
		return err
	}
	cfg := Config{Name: s.Name, NodeImage: s.NodeImage, Workers: s.LinuxWorkers, PodSubnet: s.PodCIDR, ServiceSubnet: s.ServiceCIDR, KubeconfigPath: s.Kubeconfig}
	done := make(chan error, 1)
	go func() { done <- c.kp.Create(cfg) }()
	signing, stopSigning := context.WithCancel(ctx)
	defer stopSigning()
	c.mu.Lock()
	if c.admin == nil {
		c.admin = map[string][]byte{}
	}
	c.admin[s.Name] = nil
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.admin, s.Name)
		c.mu.Unlock()
	}()
	go signForJoins(signing, func() ([]byte, error) {
		b, err := c.kp.KubeConfig(s.Name)
		if err == nil {
			c.mu.Lock()
			if _, creating := c.admin[s.Name]; creating {
				c.admin[s.Name] = b
			}
			c.mu.Unlock()
		}
		return b, err
	}, s.Log, time.Now())
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		RemoveNodeContainers(s.Name)
		<-done
		return ctx.Err()
	}
}

// ControlPlaneKubeconfig reads the admin kubeconfig from the control-plane node (with the
// address this host reaches the API server at), also while kind's create is still joining the
// workers; it fails until kubeadm init has written it. While this Cluster creates it, the
// kubeconfig is the one Create's cluster-info signer read (one reader of the node, not two).
func (c *Cluster) ControlPlaneKubeconfig(_ context.Context, name string) ([]byte, error) {
	c.mu.Lock()
	b, creating := c.admin[name]
	c.mu.Unlock()
	switch {
	case !creating:
		return c.kp.KubeConfig(name)
	case b == nil:
		return nil, fmt.Errorf("kind cluster %s: no admin kubeconfig on its control plane yet", name)
	}
	return b, nil
}

// RemoveNodeContainers force-removes every node container of the cluster (thawing what keeps
// one alive: see deleteThawing).
func RemoveNodeContainers(cluster string) {
	_ = deleteThawing(cluster, func() error {
		if ids := nodeIDs(cluster); len(ids) > 0 {
			return exec.Command("docker", append([]string{"rm", "-f", "-v"}, ids...)...).Run()
		}
		return nil
	})
}

// Delete removes the cluster; one that does not exist is not an error. A node a frozen cgroup
// keeps alive is thawed and deleted again (deleteThawing).
func (c *Cluster) Delete(_ context.Context, name, kubeconfig string) error {
	if err := c.ready(); err != nil {
		return err
	}
	return deleteThawing(name, func() error { return c.kp.Delete(name, kubeconfig) })
}

// deleteThawing runs del, and again (twice at most) while it fails and frozen cgroups below the
// cluster's node containers could be thawed: a node such a cgroup keeps alive (see thawNodes)
// dies once thawed.
func deleteThawing(cluster string, del func() error) error {
	err := del()
	for try := 0; err != nil && try < 2 && thawNodes(nodeIDs(cluster)) > 0; try++ {
		err = del()
	}
	return err
}

// Exists reports whether the cluster has nodes.
func (c *Cluster) Exists(_ context.Context, name string) (bool, error) {
	if err := c.ready(); err != nil {
		return false, err
	}
	return c.kp.Exists(name)
}

// List names the kind clusters on this host.
func (c *Cluster) List(context.Context) ([]string, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	return c.kp.List()
}

// Nodes reads the nodes from the cluster's API.
func (c *Cluster) Nodes(ctx context.Context, _, kubeconfig string) ([]provider.Node, error) {
	return provider.NodesFromAPI(ctx, kubeconfig)
}

// LoadImages copies local images into every node's containerd.
func (c *Cluster) LoadImages(ctx context.Context, name string, images ...string) error {
	return c.kp.LoadImages(ctx, name, images...)
}

// PullAttempts counts containerd's PullImage log lines on every node: with a preloaded node
// image nothing may ever be pulled. A node whose log shows no RunPodSandbox either is an error:
// a log that cannot be read must not pass as "no pulls".
func (c *Cluster) PullAttempts(ctx context.Context, name string) (map[string]int, error) {
	nodes, err := c.kp.NodeNames(name)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, n := range nodes {
		b, err := exec.CommandContext(ctx, "docker", "exec", n, "sh", "-c",
			"journalctl -u containerd --no-pager -o cat 2>/dev/null > /tmp/containerd.log; grep -c PullImage /tmp/containerd.log; grep -c RunPodSandbox /tmp/containerd.log; rm -f /tmp/containerd.log").Output()
		if err != nil && len(b) == 0 {
			return nil, fmt.Errorf("read containerd's log on %s: %w", n, err)
		}
		f := strings.Fields(string(b))
		if len(f) != 2 {
			return nil, fmt.Errorf("count PullImage on %s: unexpected output %q", n, b)
		}
		pulls, err1 := strconv.Atoi(f[0])
		sandboxes, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("count PullImage on %s: unexpected output %q", n, b)
		}
		if sandboxes == 0 {
			return nil, fmt.Errorf("containerd's log on %s shows no RunPodSandbox: it cannot be read, so pulls cannot be ruled out", n)
		}
		out[n] = pulls
	}
	return out, nil
}
