package lifecycle

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/decoder"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/provider"
	"github.com/calico-conformance/e2e/infra/versions"
)

// Cluster shape of the kind provider (the pod subnet is Calico's default pool).
const (
	PodSubnet     = "192.168.0.0/16"
	ServiceSubnet = "10.96.0.0/16"
	NodeInterface = "eth0"
)

// Phase is a timed step, reported in the run's timing table.
type Phase func(name string, d time.Duration)

// DockerRunning fails with one line when the Docker engine does not answer.
func DockerRunning(ctx context.Context) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return UsageError{"docker is not installed: run make deps (it installs and starts it on Debian/Ubuntu, and says what to install elsewhere)"}
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").Run(); err != nil {
		return UsageError{"Docker is not running: run make deps (or start it: systemctl start docker) and run again"}
	}
	return nil
}

// HostIPIPSupport reports whether this host's kernel can create IPIP tunnels, by creating one in a
// fresh network namespace that disappears with the command (nothing on the host changes). kind
// nodes share the host's kernel, so this answers for every node of a kind cluster.
func HostIPIPSupport(ctx context.Context) (ok bool, detail string) {
	out, err := exec.CommandContext(ctx, "unshare", "--net", "ip", "link", "add", "e2e-ipip-chk", "type", "ipip").CombinedOutput()
	if err == nil {
		return true, ""
	}
	return false, strings.TrimSpace(string(out))
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

func nodeImage(o Options, names images.Names) string {
	if o.Preload {
		return names.PreloadedNode
	}
	return names.Node
}

// RequireNodeImages fails with one line when an image a kind cluster of o needs is not local:
// the node image, the workload images too when they are not preloaded, and CALICO_IMAGES'. It
// never pulls.
func RequireNodeImages(ctx context.Context, o Options) error {
	v, err := versions.Pinned()
	if err != nil {
		return err
	}
	names := o.imageKnobs().Names(v)
	need := []string{nodeImage(o, names)}
	if o.Router {
		need = append(need, names.Nettools) // the router runs from it on the host's Docker
	}
	if !o.Preload {
		need = append(need, names.Workload()...)
	}
	if err := images.Require(ctx, o.Images, need...); err != nil {
		if o.CalicoSrc != nil {
			err = fmt.Errorf("%w (with CALICO_SRC=%s: the images of this state of the checkout, tag %s)", err, o.CalicoSrc.Dir, names.CalicoTag)
		}
		return UsageError{err.Error()}
	}
	if err := images.RequireCalicoImages(ctx, o.CalicoImages); err != nil {
		return UsageError{err.Error()}
	}
	return nil
}

// CalicoUnderTest is the Calico a cluster of o runs: the images its manifest names instead of
// the release's (by the release's image reference) and the images to load into its nodes.
type CalicoUnderTest struct {
	// Replace maps a release manifest image (docker.io/calico/node:v3.28.5) to the one to run.
	Replace map[string]string
	// Load are local images the nodes do not hold yet (CALICO_IMAGES).
	Load []string
	// Describe says exactly which Calico this is, for the run's metadata.
	Describe string
}

// calicoUnderTest resolves o's Calico: the pinned release (images built here or published), a
// checkout's build (its commit and changes), or the user's images (each with the ID imageID
// reads from the local Docker engine).
func calicoUnderTest(ctx context.Context, o Options, v versions.Set, names images.Names,
	imageID func(context.Context, string) (string, error)) (CalicoUnderTest, error) {
	c := CalicoUnderTest{Replace: map[string]string{}}
	switch {
	case o.CalicoSrc != nil:
		for i, comp := range images.CalicoComponents {
			c.Replace[images.PinnedCalico(comp, v.Calico)] = names.Calico[i]
		}
		c.Describe = fmt.Sprintf("v%s from source %s, images tagged %s", v.Calico, o.CalicoSrc, names.CalicoTag)
	case o.CalicoImages != nil:
		var parts []string
		for _, comp := range images.CalicoComponents {
			ref, ok := o.CalicoImages[comp]
			if !ok {
				parts = append(parts, fmt.Sprintf("%s=%s (pinned)", comp, images.PinnedCalico(comp, v.Calico)))
				continue
			}
			id, err := imageID(ctx, ref)
			if err != nil {
				return c, UsageError{fmt.Sprintf("CALICO_IMAGES %s=%s: %v", comp, ref, err)}
			}
			c.Replace[images.PinnedCalico(comp, v.Calico)] = ref
			c.Load = append(c.Load, ref)
			parts = append(parts, fmt.Sprintf("%s=%s@%s", comp, ref, id))
		}
		c.Describe = "images " + strings.Join(parts, ", ") + fmt.Sprintf(" (manifests of v%s)", v.Calico)
	case o.Images == images.FromSource:
		c.Describe = fmt.Sprintf("v%s, pinned (built here from %s@%s)", v.Calico, images.CalicoModule, v.CalicoModule)
	default:
		c.Describe = fmt.Sprintf("v%s, pinned (published images)", v.Calico)
	}
	return c, nil
}

// stragglerQuiet is how long no node of a deleted cluster may reappear before its deletion
// counts as done. A node whose `docker run` an interrupt cut short is still created by the Docker
// daemon, after the first delete has listed the nodes (the interrupt lane caught one).
const stragglerQuiet = 3 * time.Second

// deleteStragglers deletes the cluster again whenever a node of it appears, until none has for
// stragglerQuiet (a minute at most).
func deleteStragglers(ctx context.Context, p provider.Provider, name, kubeconfig string) error {
	quietSince := time.Now()
	settled := func(ctx context.Context) (bool, error) {
		exists, err := p.Exists(ctx, name)
		if err != nil {
			return false, err
		}
		if exists {
			quietSince = time.Now()
			return false, p.Delete(ctx, name, kubeconfig)
		}
		return time.Since(quietSince) >= stragglerQuiet, nil
	}
	if err := wait.For(settled, wait.WithContext(ctx), wait.WithTimeout(time.Minute), wait.WithInterval(500*time.Millisecond)); err != nil {
		return fmt.Errorf("nodes of cluster %s kept appearing after its deletion: %w", name, err)
	}
	return nil
}

// providerSpec is the cluster o asks for, with the suite's pod and Service ranges unless the
// provider chooses its own.
func providerSpec(p provider.Provider, o Options, nodeImage string) provider.Spec {
	s := provider.Spec{Name: o.ClusterName, NodeImage: nodeImage, LinuxWorkers: o.Workers, WindowsNodes: o.WindowsNodes,
		PodCIDR: PodSubnet, ServiceCIDR: ServiceSubnet, Kubeconfig: o.Kubeconfig}
	if nc, ok := p.(provider.NetworkChooser); ok {
		s.PodCIDR, s.ServiceCIDR = nc.Networks()
	}
	return s
}

// Up brings the cluster of o up and returns the run record. On any failure or interruption a
// cluster it created is deleted before it returns.
func Up(ctx context.Context, o Options, repo string, log io.Writer, phase Phase) (run Run, err error) {
	v, err := versions.Pinned()
	if err != nil {
		return Run{}, err
	}
	names := o.imageKnobs().Names(v)
	run = Run{RunID: o.RunID, Mode: o.Mode, Provider: o.Provider, Images: o.Images, Kubeconfig: o.Kubeconfig,
		Artifacts: o.Artifacts, Versions: v.Summary()}
	reg, err := registered(o.Provider)
	if err != nil {
		return run, err
	}
	p, err := reg.open(o.env(), repo, filepath.Dir(o.StateDir), log)
	if err != nil {
		return run, err
	}
	if !p.Creates() {
		// Never reconfigure a cluster we did not create: the suite detects its mode and checks it.
		return run, run.Save(o.StateDir)
	}
	if reg.hostChecks != nil {
		if err := reg.hostChecks(ctx, p, o); err != nil {
			return run, err
		}
	}
	cut, err := calicoUnderTest(ctx, o, v, names, images.ImageID)
	if err != nil {
		return run, err
	}
	run.Calico = cut.Describe
	if _, ok := p.(provider.ImageLoader); ok {
		run.NodeImage = nodeImage(o, names)
	}
	if exists, err := p.Exists(ctx, o.ClusterName); err != nil {
		return run, err
	} else if exists {
		return run, UsageError{fmt.Sprintf("a %s cluster named %s already exists: delete it (make e2e-down RUN_ID=...) or choose another CLUSTER_NAME", p.Name(), o.ClusterName)}
	}
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		return run, err
	}
	run.ClusterName, run.Created = o.ClusterName, true
	defer func() {
		if err != nil || ctx.Err() != nil {
			fmt.Fprintf(log, "deleting cluster %s after the failed start\n", o.ClusterName)
			if derr := StopRouter(context.WithoutCancel(ctx), o.RunID, o.ClusterName); derr != nil {
				fmt.Fprintf(log, "warning: %v\n", derr)
			}
			derr := p.Delete(context.WithoutCancel(ctx), o.ClusterName, o.Kubeconfig)
			// again: a router or network whose docker command was cut by the interrupt may have
			// been created by the daemon after the first removal
			if rerr := StopRouter(context.WithoutCancel(ctx), o.RunID, o.ClusterName); rerr != nil {
				fmt.Fprintf(log, "warning: %v\n", rerr)
			}
			if derr == nil {
				derr = deleteStragglers(context.WithoutCancel(ctx), p, o.ClusterName, o.Kubeconfig)
			}
			if derr != nil {
				fmt.Fprintf(log, "warning: %v\n", derr)
			} else {
				_ = os.RemoveAll(o.StateDir) // nothing is left for e2e-down to do
			}
			if err == nil {
				err = ctx.Err()
			}
		}
	}()
	// Save first, so `make e2e-down` can find and delete a cluster whose start was interrupted.
	if err := run.Save(o.StateDir); err != nil {
		return run, err
	}

	start := time.Now()
	fmt.Fprintf(log, "creating %s cluster %s (1 control plane + %d workers, image %s)\n", p.Name(), o.ClusterName, o.Workers, run.NodeImage)
	spec := providerSpec(p, o, run.NodeImage)
	spec.Log = log
	install := func(r *resources.Resources) (calicoNS string, afterCalicoNode []func(context.Context) error, err error) {
		return installCalico(ctx, p, o, v, cut.Describe, cut.Replace, r, log)
	}
	var calicoNS string
	var afterCalicoNode []func(context.Context) error
	installed := false // Calico applied while the workers joined
	if early, ok := p.(provider.EarlyControlPlane); ok && len(cut.Load) == 0 {
		// Calico's images are in the nodes from the start
		calicoNS, afterCalicoNode, installed, err = createInstallingEarly(ctx, p, early, spec, install, log, start)
	} else {
		err = p.Create(ctx, spec)
	}
	if err != nil {
		return run, err
	}
	client, err := klient.NewWithKubeConfigFile(o.Kubeconfig)
	if err != nil {
		return run, fmt.Errorf("kubeconfig %s: %w", o.Kubeconfig, err)
	}
	var load []string
	if !o.Preload {
		load = names.Workload()
	}
	load = append(load, cut.Load...)
	if l, ok := p.(provider.ImageLoader); ok && len(load) > 0 {
		fmt.Fprintf(log, "loading %d images into the nodes\n", len(load))
		if err := l.LoadImages(ctx, o.ClusterName, load...); err != nil {
			return run, err
		}
	} else if len(cut.Load) > 0 {
		return run, fmt.Errorf("CALICO_IMAGES: the %s provider cannot load images into its nodes", p.Name())
	}
	phase("cluster up", time.Since(start))

	start = time.Now()
	if !installed {
		if calicoNS, afterCalicoNode, err = install(client.Resources()); err != nil {
			return run, err
		}
	}
	if err := WaitReady(ctx, client.Resources(), calicoNS, 5*time.Minute, log, afterCalicoNode...); err != nil {
		return run, err
	}
	phase("calico ready", time.Since(start))
	if o.Router {
		start = time.Now()
		rf, err := StartRouter(ctx, client.Resources(), o, names.Nettools, v.Calico, log)
		if err != nil {
			return run, fmt.Errorf("external router: %w", err)
		}
		run.Router = &rf
		phase("router up", time.Since(start))
	}
	return run, run.Save(o.StateDir)
}

// installCalico installs Calico on the cluster of o (r: its API) the way its provider does: the
// Tigera operator's Installation or the release manifest in o's mode, with the BGPConfiguration
// the router needs, and has CoreDNS wait for it (prepareCoreDNS). calicoNS is where calico-node
// runs; afterCalicoNode is what WaitReady runs once calico-node is ready on every node.
func installCalico(ctx context.Context, p provider.Provider, o Options, v versions.Set, describe string, replace map[string]string,
	r *resources.Resources, log io.Writer) (calicoNS string, afterCalicoNode []func(context.Context) error, err error) {
	startCoreDNS, err := prepareCoreDNS(ctx, r)
	if err != nil {
		return "", nil, err
	}
	fmt.Fprintf(log, "installing Calico %s (mode %s)\n", describe, o.Mode)
	calicoNS = "kube-system"
	afterCalicoNode = []func(context.Context) error{startCoreDNS}
	if oi, ok := p.(provider.OperatorInstaller); ok {
		if ok, reason, err := calico.FeatureWindowsOperator.Supported(v.Calico); err != nil {
			return "", nil, err
		} else if !ok && o.WindowsNodes > 0 {
			return "", nil, PreflightError{reason}
		}
		inst, err := oi.Installation(o.ClusterName)
		if err != nil {
			return "", nil, err
		}
		if err := InstallCalicoOperator(ctx, r, v.Calico, inst); err != nil {
			return "", nil, err
		}
		if o.WindowsNodes > 0 {
			if err := applyStrictAffinity(ctx, r); err != nil {
				return "", nil, err
			}
			// the operator does not run kube-proxy on Windows nodes
			ds := calico.WindowsKubeProxy(calico.WindowsKubeProxyImage(o.WindowsRegistry, v.Kubernetes))
			if err := r.Create(ctx, ds); err != nil && !apierrors.IsAlreadyExists(err) {
				return "", nil, fmt.Errorf("create the Windows kube-proxy DaemonSet: %w", err)
			}
		}
		calicoNS = OperatorNamespace
	} else {
		startControllers, err := InstallCalico(ctx, r, o.Mode, v.Calico, replace)
		if err != nil {
			return "", nil, err
		}
		afterCalicoNode = append(afterCalicoNode, startControllers)
	}
	if o.Router && o.Mode != calico.ModeVXLAN {
		// before calico-node starts: see ApplyBGPConfiguration
		if err := ApplyBGPConfiguration(ctx, r, v.Calico); err != nil {
			return "", nil, err
		}
	}
	return calicoNS, afterCalicoNode, nil
}

// createInstallingEarly creates the cluster of spec and runs install as soon as its control plane
// is up (kubeadm's add-ons exist), while the workers join: on kind the Calico install and
// calico-node's start on the control plane then overlap the joins. It returns when both are
// done. installed is false when the create finished before the control plane was seen (install
// has not run). A failed install stops the create (its nodes are removed; the caller deletes the
// cluster).
func createInstallingEarly(ctx context.Context, p provider.Provider, early provider.EarlyControlPlane, spec provider.Spec,
	install func(*resources.Resources) (string, []func(context.Context) error, error), log io.Writer, start time.Time,
) (calicoNS string, afterCalicoNode []func(context.Context) error, installed bool, err error) {
	createCtx, stopCreate := context.WithCancel(ctx)
	defer stopCreate()
	created := make(chan error, 1)
	go func() { created <- p.Create(createCtx, spec) }()
	cpCtx, stopWaiting := context.WithCancel(ctx)
	defer stopWaiting()
	controlPlane := make(chan *resources.Resources, 1)
	go func() {
		r, err := controlPlaneUp(cpCtx, early, spec.Name)
		if err != nil {
			controlPlane <- nil
			return
		}
		controlPlane <- r
	}()
	var r *resources.Resources
	select {
	case err := <-created:
		return "", nil, false, err
	case r = <-controlPlane:
		if r == nil { // only when ctx ends: the create ends with it
			return "", nil, false, <-created
		}
	}
	fmt.Fprintf(log, "control plane up after %.1fs: Calico installs while the workers join\n", time.Since(start).Seconds())
	if calicoNS, afterCalicoNode, err = install(r); err != nil {
		stopCreate()
		<-created
		return "", nil, false, err
	}
	if err := <-created; err != nil {
		return "", nil, false, err
	}
	return calicoNS, afterCalicoNode, true, nil
}

// controlPlaneUp waits until the provider hands out the cluster's admin kubeconfig and kubeadm's
// add-ons (the CoreDNS Deployment, the last thing kubeadm init creates) exist.
func controlPlaneUp(ctx context.Context, early provider.EarlyControlPlane, name string) (*resources.Resources, error) {
	var r *resources.Resources
	up := func(ctx context.Context) (bool, error) {
		if r == nil {
			kubeconfig, err := early.ControlPlaneKubeconfig(ctx, name)
			if err != nil {
				return false, nil // not written yet
			}
			cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
			if err != nil {
				return false, nil // read while kubeadm wrote it
			}
			if r, err = resources.New(cfg); err != nil {
				return false, err
			}
		}
		var d appsv1.Deployment
		return r.Get(ctx, "coredns", "kube-system", &d) == nil, nil
	}
	if err := wait.For(up, wait.WithContext(ctx), wait.WithTimeout(5*time.Minute), wait.WithInterval(250*time.Millisecond), wait.WithImmediate()); err != nil {
		return nil, err
	}
	return r, nil
}

var forwardBlock = regexp.MustCompile(`(?m)^[ \t]*forward \. [^\n{]*(\{[^}]*\})?[ \t]*\n`)

// StripForward removes CoreDNS's `forward` plugin from a Corefile: names outside the cluster
// domain then fail instead of being sent to upstream resolvers.
func StripForward(corefile string) string { return forwardBlock.ReplaceAllString(corefile, "") }

// prepareCoreDNS edits the coredns ConfigMap before any CoreDNS pod can start (they need the CNI,
// which is installed after this), has CoreDNS's readiness probed every second and holds CoreDNS
// at zero replicas until start (called once calico-node is ready on every node) puts its
// replicas back.
func prepareCoreDNS(ctx context.Context, r *resources.Resources) (start func(context.Context) error, err error) {
	if err := coreDNSWithoutForward(ctx, r); err != nil {
		return nil, err
	}
	return coreDNSHeldBack(ctx, r)
}

// coreDNSWithoutForward removes the forward plugin from the coredns ConfigMap.
func coreDNSWithoutForward(ctx context.Context, r *resources.Resources) error {
	var cm corev1.ConfigMap
	if err := r.Get(ctx, "coredns", "kube-system", &cm); err != nil {
		return fmt.Errorf("read the coredns ConfigMap: %w", err)
	}
	cm.Data["Corefile"] = StripForward(cm.Data["Corefile"])
	if strings.Contains(cm.Data["Corefile"], "forward") {
		return fmt.Errorf("could not remove forward from the Corefile:\n%s", cm.Data["Corefile"])
	}
	if err := r.Update(ctx, &cm); err != nil {
		return fmt.Errorf("update the coredns ConfigMap: %w", err)
	}
	return nil
}

// coreDNSHeldBack sets kubeadm's CoreDNS readiness probe (every 10 s) to every second and its
// replicas to zero; start puts the replicas back. CoreDNS is the suite's own cluster service here,
// not what is being qualified.
//   - kube-dns has endpoints only once the kubelet marks a CoreDNS pod Ready, and its first probe
//     comes before Calico lets the pod reach the API server, so the second one decided when the
//     DNS cells could start: up to 10 s after CoreDNS was ready.
//   - Measured on kind: a pod scheduled as soon as a node turns Ready (install-cni has written the
//     CNI config) can reach the CNI before calico-node has written /var/lib/calico/nodename; its
//     sandbox fails and the kubelet retries it 15 s later. Created once calico-node is ready, it
//     starts at once.
func coreDNSHeldBack(ctx context.Context, r *resources.Resources) (start func(context.Context) error, err error) {
	var d appsv1.Deployment
	if err := r.Get(ctx, "coredns", "kube-system", &d); err != nil {
		return nil, fmt.Errorf("read the coredns Deployment: %w", err)
	}
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	zero := int32(0)
	d.Spec.Replicas = &zero
	for i := range d.Spec.Template.Spec.Containers {
		if p := d.Spec.Template.Spec.Containers[i].ReadinessProbe; p != nil {
			p.PeriodSeconds = 1
		}
	}
	if err := r.Update(ctx, &d); err != nil {
		return nil, fmt.Errorf("update the coredns Deployment: %w", err)
	}
	return func(ctx context.Context) error {
		patch := k8s.Patch{PatchType: types.MergePatchType, Data: []byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas))}
		if err := r.Patch(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}}, patch); err != nil {
			return fmt.Errorf("scale CoreDNS back to %d: %w", replicas, err)
		}
		return nil
	}, nil
}

// InstallCalico renders the Calico manifest for mode, with the images of replace instead of the
// release's (nil: the release's), and creates its objects, all but the calico-kube-controllers
// Deployment, which start creates (called once calico-node is ready on every node: a pod
// scheduled earlier can meet the CNI before calico-node is up and wait 15 s for the kubelet's
// retry; see coreDNSHeldBack). The objects are the manifest's, unchanged; only that one is
// created later.
func InstallCalico(ctx context.Context, r *resources.Resources, mode calico.Mode, version string, replace map[string]string) (start func(context.Context) error, err error) {
	doc, err := calico.RenderManifest(calico.ManifestOptions{Mode: mode, Version: version, PodCIDR: PodSubnet,
		NodeInterface: NodeInterface, PullPolicy: corev1.PullIfNotPresent, Images: replace})
	if err != nil {
		return nil, err
	}
	var later []k8s.Object
	create := decoder.CreateIgnoreAlreadyExists(r)
	err = decoder.DecodeEach(ctx, bytes.NewReader(doc), func(ctx context.Context, obj k8s.Object) error {
		if _, ok := obj.(*appsv1.Deployment); ok && obj.GetName() == "calico-kube-controllers" {
			later = append(later, obj)
			return nil
		}
		return create(ctx, obj)
	})
	if err != nil {
		return nil, fmt.Errorf("apply the Calico manifest: %w", err)
	}
	return func(ctx context.Context) error {
		for _, obj := range later {
			if err := create(ctx, obj); err != nil {
				return fmt.Errorf("create %s: %w", obj.GetName(), err)
			}
		}
		return nil
	}, nil
}

// OperatorNamespace is where the Tigera operator runs Calico (calico-node, kube-controllers).
const OperatorNamespace = "calico-system"

// InstallCalicoOperator applies the vendored Tigera operator manifest of the Calico version, then
// the rendered Installation (retried until the operator's CRDs are established).
func InstallCalicoOperator(ctx context.Context, r *resources.Resources, version string, installation []byte) error {
	op, err := calico.OperatorManifest(version)
	if err != nil {
		return err
	}
	if err := decoder.DecodeEach(ctx, bytes.NewReader(op), decoder.CreateIgnoreAlreadyExists(r)); err != nil {
		return fmt.Errorf("apply the Tigera operator manifest: %w", err)
	}
	var last error
	apply := func(ctx context.Context) (bool, error) {
		last = decoder.DecodeEach(ctx, bytes.NewReader(installation), decoder.CreateIgnoreAlreadyExists(r))
		return last == nil, nil
	}
	if err := wait.For(apply, wait.WithContext(ctx), wait.WithTimeout(time.Minute), wait.WithInterval(2*time.Second), wait.WithImmediate()); err != nil {
		return fmt.Errorf("apply the operator Installation: %v (%w)", last, err)
	}
	return nil
}

// applyStrictAffinity sets strict IPAM block affinity (Calico for Windows needs it), creating
// the IPAMConfig or patching an existing one.
func applyStrictAffinity(ctx context.Context, r *resources.Resources) error {
	err := decoder.DecodeEach(ctx, bytes.NewReader(StrictAffinityDoc), func(ctx context.Context, obj k8s.Object) error {
		if err := r.Create(ctx, obj); apierrors.IsAlreadyExists(err) {
			return r.Patch(ctx, obj, k8s.Patch{PatchType: types.MergePatchType, Data: []byte(`{"spec":{"strictAffinity":true}}`)})
		} else {
			return err
		}
	})
	if err != nil {
		return fmt.Errorf("set strict IPAM affinity (Calico for Windows needs it): %w", err)
	}
	return nil
}

// CalicoNamespace is where calico-node runs: calico-system for operator installs, else
// kube-system (the manifest install).
func CalicoNamespace(ctx context.Context, r *resources.Resources) string {
	var ds appsv1.DaemonSet
	if err := r.Get(ctx, "calico-node", OperatorNamespace, &ds); err == nil {
		return OperatorNamespace
	}
	return "kube-system"
}

// WaitReady waits for every node Ready, calico-node ready on every node, calico-kube-controllers
// and CoreDNS available. The afterCalicoNode functions run once calico-node is ready on every
// node.
func WaitReady(ctx context.Context, r *resources.Resources, calicoNS string, timeout time.Duration, log io.Writer, afterCalicoNode ...func(context.Context) error) error {
	// each step says what it waits for and how far it is, printed when that changes
	type step struct {
		what  string
		fn    func(context.Context) (done bool, progress string, err error)
		after []func(context.Context) error // run once the step is done
	}
	steps := []step{
		{"calico-node", daemonSetReadyNow(r, "calico-node", calicoNS), afterCalicoNode},
		{"nodes", func(ctx context.Context) (bool, string, error) {
			var nodes corev1.NodeList
			if err := r.List(ctx, &nodes); err != nil {
				return false, "", err
			}
			ready := 0
			for _, n := range nodes.Items {
				if NodeReady(n) {
					ready++
				}
			}
			return len(nodes.Items) > 0 && ready == len(nodes.Items), fmt.Sprintf("%d/%d Ready", ready, len(nodes.Items)), nil
		}, nil},
		{"calico-kube-controllers", deploymentReadyNow(r, "calico-kube-controllers", calicoNS), nil},
		{"CoreDNS", deploymentReadyNow(r, "coredns", "kube-system"), nil},
	}
	begin := time.Now()
	deadline := begin.Add(timeout)
	for _, s := range steps {
		last := ""
		var lastErr error
		fn := func(ctx context.Context) (bool, error) {
			done, progress, err := s.fn(ctx)
			if err != nil {
				lastErr = err
				return false, nil
			}
			if progress != last {
				fmt.Fprintf(log, "  waiting: %s %s (%.1fs)\n", s.what, progress, time.Since(begin).Seconds())
				last = progress
			}
			return done, nil
		}
		if err := wait.For(fn, wait.WithContext(ctx), wait.WithTimeout(time.Until(deadline)), wait.WithInterval(time.Second), wait.WithImmediate()); err != nil {
			if lastErr != nil {
				err = fmt.Errorf("%w (last error: %v)", err, lastErr)
			}
			return fmt.Errorf("waiting for %s (%s): %w", s.what, last, err)
		}
		for _, f := range s.after {
			if err := f(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// NodeReady reports whether the node's Ready condition is True.
func NodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
