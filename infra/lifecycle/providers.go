package lifecycle

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/kind"
	"github.com/calico-conformance/e2e/infra/provider"
	"github.com/calico-conformance/e2e/infra/provider/existing"
	"github.com/calico-conformance/e2e/infra/vagrant"
)

// Provider kinds (PROVIDER values).
const (
	ProviderKind     = "kind"
	ProviderExisting = "existing"
	ProviderVagrant  = "vagrant"
)

// registration is everything the lifecycle knows about one provider, in one place: adding a
// provider is one package under infra and one entry in providers; nothing else branches on its
// name. Like kind's own providers, the choice is made once, from PROVIDER.
type registration struct {
	name string
	// open makes the provider. repo is the checkout (kind's docker shim lives there); stateDir
	// is the root of the run records.
	open func(getenv func(string) string, repo, stateDir string, log io.Writer) (provider.Provider, error)
	// options reads the provider's own knobs into o: node counts, cluster name, kubeconfig.
	options func(getenv func(string) string, o *Options) error
	// check is what `calico-e2e check` can verify before any image is built (nil: nothing).
	check func(ctx context.Context, o Options) error
	// hostChecks run before the provider creates anything (nil: none). Every failure is one
	// line: exit 2, or 3 for a mode the host cannot run.
	hostChecks func(ctx context.Context, p provider.Provider, o Options) error
	// cleanMust: `calico-e2e clean` fails when this provider's clusters cannot be listed or
	// deleted; for the others (a hypervisor unreachable from here) it warns and goes on.
	cleanMust bool
	// ownCalico: the suite installs Calico from its manifest on this provider's clusters and
	// loads local images into their nodes, so CALICO_SRC and CALICO_IMAGES can apply.
	ownCalico bool
}

var providers = []registration{
	{
		name: ProviderKind,
		open: func(_ func(string) string, repo, _ string, log io.Writer) (provider.Provider, error) {
			return kind.NewCluster(repo, log)
		},
		options:    kindOptions,
		check:      kindCheck,
		hostChecks: kindHostChecks,
		cleanMust:  true,
		ownCalico:  true,
	},
	{
		name: ProviderExisting,
		open: func(func(string) string, string, string, io.Writer) (provider.Provider, error) {
			return existing.Provider{}, nil
		},
		options: existingOptions,
	},
	{
		name: ProviderVagrant,
		open: func(getenv func(string) string, _, stateDir string, _ io.Writer) (provider.Provider, error) {
			p, err := vagrant.New(getenv, filepath.Join(stateDir, "vagrant"))
			if err != nil {
				return nil, UsageError{err.Error()}
			}
			return p, nil
		},
		options:    vagrantOptions,
		hostChecks: vagrantHostChecks,
	},
}

func registered(name string) (registration, error) {
	var names []string
	for _, r := range providers {
		if r.name == name {
			return r, nil
		}
		names = append(names, r.name)
	}
	return registration{}, UsageError{fmt.Sprintf("unknown PROVIDER %q: valid values are %s", name, strings.Join(names, ", "))}
}

// Check runs what can be checked of o's provider before images are built and anything is made.
func Check(ctx context.Context, o Options) error {
	r, err := registered(o.Provider)
	if err != nil || r.check == nil {
		return err
	}
	return r.check(ctx, o)
}

func stateRoot(getenv func(string) string) string {
	return cmp.Or(getenv("E2E_STATE_DIR"), defaultStateDir(getenv))
}

// createdCluster fills what every provider that makes its clusters needs: the cluster's name
// and where its admin kubeconfig is written (the run's state directory, never an artifact).
func createdCluster(getenv func(string) string, o *Options) error {
	o.ClusterName = cmp.Or(getenv("CLUSTER_NAME"), "e2e-"+o.RunID)
	if !namePattern.MatchString(o.ClusterName) || len(o.ClusterName) > 40 {
		return UsageError{fmt.Sprintf("CLUSTER_NAME %q is not valid: use at most 40 lowercase letters, digits and '-'", o.ClusterName)}
	}
	o.Kubeconfig = filepath.Join(o.StateDir, "kubeconfig")
	return nil
}

func kindOptions(getenv func(string) string, o *Options) error {
	if w := getenv("WORKERS"); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > maxWorkers {
			return UsageError{fmt.Sprintf("WORKERS=%q is not a worker count: use 1 to %d (kind worker nodes next to the control plane; default 2)", w, maxWorkers)}
		}
		o.Workers = n
	}
	return createdCluster(getenv, o)
}

func vagrantOptions(getenv func(string) string, o *Options) error {
	vc, err := vagrant.ParseConfig(getenv)
	if err != nil {
		return UsageError{err.Error()}
	}
	o.Workers, o.WindowsNodes = vc.LinuxWorkers, vc.WindowsNodes
	o.Router = false // the router is a container on the kind nodes' Docker network
	return createdCluster(getenv, o)
}

func existingOptions(getenv func(string) string, o *Options) error {
	o.Kubeconfig = getenv("KUBECONFIG")
	if o.Kubeconfig == "" {
		return UsageError{"PROVIDER=existing needs KUBECONFIG=<path to the cluster's kubeconfig>"}
	}
	if strings.Contains(o.Kubeconfig, string(os.PathListSeparator)) {
		return UsageError{fmt.Sprintf("KUBECONFIG %q lists several files: give the one file of the cluster to test", o.Kubeconfig)}
	}
	if _, err := os.Stat(o.Kubeconfig); err != nil {
		return UsageError{fmt.Sprintf("KUBECONFIG %s does not exist: give the path to the cluster's kubeconfig", o.Kubeconfig)}
	}
	return nil
}

// kindCheck: Docker answers; release images must already be here (IMAGES=source builds what is
// missing right after the check).
func kindCheck(ctx context.Context, o Options) error {
	if err := DockerRunning(ctx); err != nil {
		return err
	}
	if err := images.RequireCalicoImages(ctx, o.CalicoImages); err != nil {
		return UsageError{err.Error()}
	}
	if o.Images == images.Release {
		return RequireNodeImages(ctx, o)
	}
	return nil
}

// kindHostChecks: Docker answers, the host kernel (which kind nodes share) can run MODE, and the
// node image (and what it does not preload) is here.
func kindHostChecks(ctx context.Context, _ provider.Provider, o Options) error {
	if err := DockerRunning(ctx); err != nil {
		return err
	}
	if o.Mode == calico.ModeIPIP {
		if ok, detail := HostIPIPSupport(ctx); !ok {
			return PreflightError{fmt.Sprintf("MODE=ipip needs IPIP tunnel support in the kernel of every node; the kind nodes of cluster %s "+
				"share this host's kernel %s, which has none (ip link add type ipip: %q). Use MODE=vxlan or MODE=noencap here, or a host whose kernel has CONFIG_NET_IPIP",
				o.ClusterName, kernelRelease(), detail)}
		}
	}
	return RequireNodeImages(ctx, o)
}

// vagrantHostChecks: vagrant, the hypervisor's Vagrant provider and every box are here (the
// suite never adds a box itself: that is a large download).
func vagrantHostChecks(ctx context.Context, p provider.Provider, o Options) error {
	v, ok := p.(*vagrant.Provider)
	if !ok {
		return fmt.Errorf("PROVIDER=vagrant with a %T", p)
	}
	if err := v.Preflight(ctx, v.ConfigFor(providerSpec(p, o, ""))); err != nil {
		return UsageError{"PROVIDER=vagrant: " + err.Error()}
	}
	return nil
}
