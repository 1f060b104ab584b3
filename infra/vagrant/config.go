// Package vagrant is the PROVIDER=vagrant implementation of provider.Provider: a Linux control
// plane (kubeadm), optional Linux workers and WINDOWS_NODES Windows Server workers, each a Vagrant
// machine on one private network, for the Hyper-V, libvirt and VirtualBox Vagrant providers.
//
// Render turns a Config into the files of a Vagrant project directory (Vagrantfile, the
// provisioning scripts, the kubeadm configuration and the operator Installation); Provider writes
// that directory per cluster and drives the vagrant binary through an injectable Runner.
//
// The NAT-NIC trap (every box's first NIC has the same NAT address, 10.0.2.15 on VirtualBox,
// 192.168.121.x on libvirt, and the Windows HNS network binds to the NIC with the default route)
// is avoided by construction: each machine's private NIC gets a MAC derived from its private IP,
// the scripts find the NIC by that MAC and give it the address, kubelet's --node-ip is that
// address, Calico autodetects node addresses inside PRIVATE_NETWORK, and on Windows the NIC is
// renamed to PrivateAdapter, the name the Installation gives Calico as the VXLAN adapter.
//
// Nothing here has booted a VM on the suite's own machines: the rendered files are checked by
// golden tests, `vagrant validate`, `bash -n` and (where pwsh exists) the PowerShell parser.
package vagrant

import (
	"cmp"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/registry"
	"github.com/calico-conformance/e2e/infra/versions"
)

// Vagrant providers (VAGRANT_PROVIDER values).
const (
	HyperV     = "hyperv"
	Libvirt    = "libvirt"
	VirtualBox = "virtualbox"
)

// Providers lists the VAGRANT_PROVIDER values.
func Providers() []string { return []string{HyperV, Libvirt, VirtualBox} }

// Windows Server versions (WINDOWS_VERSION values) and the build each reports in the
// node.kubernetes.io/windows-build label.
var windowsBuilds = map[string]string{"2019": "10.0.17763", "2022": "10.0.20348"}

// Defaults of the knobs. The pod and service ranges are this provider's own: lifecycle's kind
// ranges (pod 192.168.0.0/16) contain VirtualBox's only default host-only range
// (192.168.56.0/21), so a Vagrant cluster cannot use them; both are checked against
// PRIVATE_NETWORK.
const (
	DefaultWindowsVersion = "2022"
	DefaultProvider       = Libvirt
	DefaultPrivateNetwork = "192.168.56.0/24"
	DefaultPodCIDR        = "10.244.0.0/16"
	DefaultServiceCIDR    = "10.96.0.0/12"
	DefaultMode           = calico.ModeVXLAN
)

// Host numbers inside PRIVATE_NETWORK: the host itself (.1), the control plane (.10), Linux
// workers from .11 and Windows nodes from .20.
const (
	hostOffset         = 1
	controlPlaneOffset = 10
	linuxWorkerOffset  = 11
	windowsOffset      = 20
	maxLinuxWorkers    = windowsOffset - linuxWorkerOffset // .11 .. .19
	maxWindowsNodes    = 20                                // .20 .. .39
)

// PrivateAdapter is the name windows-node.ps1 gives the private NIC on Windows nodes and the
// Installation names as Calico's VXLAN adapter (spec.windowsNodes.vxlanAdapter).
const PrivateAdapter = "k8s-private"

// APIServerPort is the control plane's API server port on the private network.
const APIServerPort = 6443

// Boxes chosen when VAGRANT_LINUX_BOX / VAGRANT_WINDOWS_BOX are empty, per provider and Windows
// version. None was downloaded or booted from here; each is the box the cited recipe uses, or
// a box its publisher builds for that provider:
//   - roboxes/ubuntu2204: sig-windows-dev-tools' control plane is roboxes/ubuntu2004 (its
//     Vagrantfile) and mloskot/sig-windows-dev-tools-boxes builds its Ubuntu box on
//     roboxes/ubuntu2204; roboxes publish hyperv, libvirt and virtualbox builds.
//   - sig-windows-dev-tools/windows-2019: the Windows worker of sig-windows-dev-tools'
//     Vagrantfile; a VirtualBox-only box.
//   - gusztavvargadr/windows-server-2022-standard-core / -2019-standard-core: the base of
//     mloskot/sig-windows-dev-tools-windows-2022-g (the 2022 box tried with
//     sig-windows-dev-tools); gusztavvargadr publish hyperv and virtualbox builds.
//   - peru/windows-server-2022-standard-x64-eval / -2019-: evaluation boxes with libvirt builds
//     (ruzickap/packer-templates), as no sig-windows box has one.
var defaultBoxes = map[string]struct {
	linux   string
	windows map[string]string
}{
	HyperV: {"roboxes/ubuntu2204", map[string]string{
		"2019": "gusztavvargadr/windows-server-2019-standard-core",
		"2022": "gusztavvargadr/windows-server-2022-standard-core",
	}},
	Libvirt: {"roboxes/ubuntu2204", map[string]string{
		"2019": "peru/windows-server-2019-standard-x64-eval",
		"2022": "peru/windows-server-2022-standard-x64-eval",
	}},
	VirtualBox: {"roboxes/ubuntu2204", map[string]string{
		"2019": "sig-windows-dev-tools/windows-2019",
		"2022": "gusztavvargadr/windows-server-2022-standard-core",
	}},
}

// ContainerdVersion is the containerd release windows-node.ps1 installs on Windows nodes (from
// containerd's GitHub releases, as sig-windows-tools' Install-Containerd.ps1 does). It is pinned
// here, not in infra/versions: no other part of the suite installs containerd. The 1.7 line keeps
// the config.toml layout (bin_dir, conf_dir, config_path, sandbox_image) the script edits.
const ContainerdVersion = "1.7.27"

// NSSMZip is where sig-windows-tools' PrepareNode.ps1 downloads nssm, the service wrapper that
// runs kubelet on Windows; windows-node.ps1 uses the same mirror.
const NSSMZip = "https://k8stestinfrabinaries.blob.core.windows.net/nssm-mirror/nssm-2.24.zip"

// Config is one Vagrant cluster's settings. ParseConfig fills it from the environment; Create
// sets Name and Secrets.
type Config struct {
	// Name is the cluster name: the project directory, the libvirt domain prefix and the
	// Hyper-V VM names derive from it.
	Name              string
	Provider          string // VAGRANT_PROVIDER
	WindowsNodes      int    // WINDOWS_NODES
	WindowsVersion    string // WINDOWS_VERSION: "2019" or "2022"
	LinuxWorkers      int    // LINUX_WORKERS
	LinuxBox          string // VAGRANT_LINUX_BOX
	WindowsBox        string // VAGRANT_WINDOWS_BOX
	PrivateNetwork    netip.Prefix
	WindowsRegistry   string // WINDOWS_REGISTRY as given: registry.Parse's [http://|https://]host[:port][/path]
	KubernetesVersion string // without "v", e.g. "1.34.4"
	PauseVersion      string
	PodCIDR           string
	ServiceCIDR       string
	Mode              calico.Mode
	Images            images.Source
	Secrets           Secrets
}

// ParseConfig reads WINDOWS_NODES, WINDOWS_VERSION, LINUX_WORKERS, VAGRANT_PROVIDER,
// VAGRANT_LINUX_BOX, VAGRANT_WINDOWS_BOX, PRIVATE_NETWORK, WINDOWS_REGISTRY, MODE and IMAGES,
// fills the rest from the pinned versions and the defaults, and validates the result (Secrets
// and Name excepted: Create sets them). Every error is one line saying what is wrong and what
// would be right.
func ParseConfig(getenv func(string) string) (Config, error) {
	v, err := versions.Pinned()
	if err != nil {
		return Config{}, err
	}
	c := Config{
		Provider:          cmp.Or(getenv("VAGRANT_PROVIDER"), DefaultProvider),
		WindowsVersion:    cmp.Or(getenv("WINDOWS_VERSION"), DefaultWindowsVersion),
		LinuxBox:          getenv("VAGRANT_LINUX_BOX"),
		WindowsBox:        getenv("VAGRANT_WINDOWS_BOX"),
		WindowsRegistry:   getenv("WINDOWS_REGISTRY"),
		KubernetesVersion: strings.TrimPrefix(v.Kubernetes, "v"),
		PauseVersion:      v.Pause,
		PodCIDR:           DefaultPodCIDR,
		ServiceCIDR:       DefaultServiceCIDR,
	}
	if c.WindowsNodes, err = count(getenv, "WINDOWS_NODES", 1, maxWindowsNodes); err != nil {
		return c, err
	}
	if c.LinuxWorkers, err = count(getenv, "LINUX_WORKERS", 1, maxLinuxWorkers); err != nil {
		return c, err
	}
	pn := cmp.Or(getenv("PRIVATE_NETWORK"), DefaultPrivateNetwork)
	if c.PrivateNetwork, err = netip.ParsePrefix(pn); err != nil {
		return c, fmt.Errorf("PRIVATE_NETWORK %q is not a CIDR: want an IPv4 /24 or larger, e.g. %s", pn, DefaultPrivateNetwork)
	}
	if c.Mode, err = calico.ParseMode(cmp.Or(getenv("MODE"), string(DefaultMode))); err != nil {
		return c, err
	}
	if c.Images, err = images.ParseSource(cmp.Or(getenv("IMAGES"), string(images.Release))); err != nil {
		return c, err
	}
	if p, ok := defaultBoxes[c.Provider]; ok {
		c.LinuxBox = cmp.Or(c.LinuxBox, p.linux)
		c.WindowsBox = cmp.Or(c.WindowsBox, p.windows[c.WindowsVersion])
	}
	return c, c.validate(false)
}

func count(getenv func(string) string, name string, def, most int) (int, error) {
	s := getenv(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > most {
		return 0, fmt.Errorf("%s=%q is not a count: want a whole number from 0 to %d", name, s, most)
	}
	return n, nil
}

var (
	boxName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$`)
	nameRE  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// VirtualBox 6.1.28 and later accept host-only addresses in 192.168.56.0/21 only, unless
	// /etc/vbox/networks.conf says otherwise.
	virtualBoxHostOnly = netip.MustParsePrefix("192.168.56.0/21")
)

// Validate checks every field, Name and Secrets included (Render needs them).
func (c Config) Validate() error { return c.validate(true) }

func (c Config) validate(complete bool) error {
	if complete && (!nameRE.MatchString(c.Name) || len(c.Name) > 40) {
		return fmt.Errorf("cluster name %q is not valid: use at most 40 lowercase letters, digits and '-'", c.Name)
	}
	if _, ok := defaultBoxes[c.Provider]; !ok {
		return fmt.Errorf("unknown VAGRANT_PROVIDER %q: valid values are %s", c.Provider, strings.Join(Providers(), ", "))
	}
	if _, ok := windowsBuilds[c.WindowsVersion]; !ok {
		return fmt.Errorf("unknown WINDOWS_VERSION %q: valid values are 2019, 2022", c.WindowsVersion)
	}
	if c.WindowsNodes < 0 || c.WindowsNodes > maxWindowsNodes {
		return fmt.Errorf("WINDOWS_NODES=%d is out of range: want 0 to %d", c.WindowsNodes, maxWindowsNodes)
	}
	if c.LinuxWorkers < 0 || c.LinuxWorkers > maxLinuxWorkers {
		return fmt.Errorf("LINUX_WORKERS=%d is out of range: want 0 to %d (private addresses .11 to .19)", c.LinuxWorkers, maxLinuxWorkers)
	}
	for _, b := range []struct{ knob, box string }{{"VAGRANT_LINUX_BOX", c.LinuxBox}, {"VAGRANT_WINDOWS_BOX", c.WindowsBox}} {
		if !boxName.MatchString(b.box) {
			return fmt.Errorf("%s %q is not a box name: want publisher/name as `vagrant box list` shows it, e.g. roboxes/ubuntu2204", b.knob, b.box)
		}
	}
	if err := c.validateNetworks(); err != nil {
		return err
	}
	if _, err := registry.Parse(c.WindowsRegistry); err != nil {
		return err
	}
	if !semver.MatchString(c.KubernetesVersion) {
		return fmt.Errorf("Kubernetes version %q is not a release: want e.g. 1.34.4 (infra/versions pins it)", c.KubernetesVersion)
	}
	if c.PauseVersion == "" {
		return fmt.Errorf("pause version is empty: infra/versions pins it, e.g. 3.10.1")
	}
	if _, err := images.ParseSource(string(c.Images)); err != nil {
		return err
	}
	if _, err := c.installation(); err != nil {
		return err
	}
	if complete {
		return c.Secrets.validate()
	}
	return nil
}

var semver = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

func (c Config) validateNetworks() error {
	pn := c.PrivateNetwork
	if !pn.IsValid() || !pn.Addr().Is4() || pn.Bits() > 24 || pn.Bits() < 8 {
		return fmt.Errorf("PRIVATE_NETWORK %q is not usable: want an IPv4 network from /8 to /24, e.g. %s", pn, DefaultPrivateNetwork)
	}
	if pn.Masked() != pn {
		return fmt.Errorf("PRIVATE_NETWORK %s has host bits set: want the network address, %s", pn, pn.Masked())
	}
	if c.Provider == VirtualBox && !(virtualBoxHostOnly.Contains(pn.Addr()) && pn.Bits() >= virtualBoxHostOnly.Bits()) {
		return fmt.Errorf("PRIVATE_NETWORK %s is outside VirtualBox's host-only range %s: use e.g. %s, or allow it in /etc/vbox/networks.conf", pn, virtualBoxHostOnly, DefaultPrivateNetwork)
	}
	pod, err := netip.ParsePrefix(c.PodCIDR)
	if err != nil || !pod.Addr().Is4() {
		return fmt.Errorf("pod CIDR %q is not an IPv4 CIDR: want e.g. %s", c.PodCIDR, DefaultPodCIDR)
	}
	svc, err := netip.ParsePrefix(c.ServiceCIDR)
	if err != nil || !svc.Addr().Is4() {
		return fmt.Errorf("service CIDR %q is not an IPv4 CIDR: want e.g. %s", c.ServiceCIDR, DefaultServiceCIDR)
	}
	for _, o := range []struct {
		name string
		p    netip.Prefix
	}{{"pod CIDR", pod}, {"service CIDR", svc}} {
		if o.p.Overlaps(pn) {
			return fmt.Errorf("%s %s overlaps PRIVATE_NETWORK %s: the nodes' addresses must lie outside it; use e.g. pod %s and service %s", o.name, o.p, pn, DefaultPodCIDR, DefaultServiceCIDR)
		}
	}
	if pod.Overlaps(svc) {
		return fmt.Errorf("pod CIDR %s overlaps service CIDR %s: use e.g. pod %s and service %s", pod, svc, DefaultPodCIDR, DefaultServiceCIDR)
	}
	return nil
}

// installation renders the operator Installation (validating the mode against Windows nodes).
func (c Config) installation() ([]byte, error) {
	return renderInstallation(c)
}

// WindowsBuild is the node.kubernetes.io/windows-build value of the configured WINDOWS_VERSION.
func (c Config) WindowsBuild() string { return windowsBuilds[c.WindowsVersion] }
