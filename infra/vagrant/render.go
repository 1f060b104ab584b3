package vagrant

import (
	"bytes"
	"embed"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"text/template"

	"sigs.k8s.io/yaml"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/registry"
)

// Files of a rendered Vagrant project.
const (
	VagrantfileFile      = "Vagrantfile"
	ControlPlaneScript   = "controlplane.sh"
	LinuxWorkerScript    = "linux-worker.sh"
	WindowsNodeScript    = "windows-node.ps1"
	HyperVNetworkScript  = "hyperv-network.ps1" // Hyper-V only: run on the host by a trigger
	KubeadmInitFile      = "kubeadm-init.yaml"
	InstallationFile     = "installation.yaml"
	hyperVSwitch         = "calico-e2e"     // the internal switch that carries PRIVATE_NETWORK
	hyperVUplink         = "Default Switch" // Hyper-V's NAT switch: Vagrant's own connection
	kubeadmAPIVersion    = "kubeadm.k8s.io/v1beta4"
	containerdSocket     = "unix:///run/containerd/containerd.sock"
	windowsCRISocket     = "npipe:////./pipe/containerd-containerd"
	bootstrapTokenGroups = "system:bootstrappers:kubeadm:default-node-token"
)

// upstreams are the registries whose pulls containerd on Windows sends to WINDOWS_REGISTRY
// instead (each hosts.toml names it as the server, so the upstream is never contacted).
var upstreams = []string{"docker.io", "registry.k8s.io", "mcr.microsoft.com", "quay.io", "ghcr.io"}

// hostsTOML is the hosts.toml (containerd's docs/hosts.md) of a registry namespace whose every
// pull goes to r and nowhere else: r is the server and the one [host], so no other host is tried
// (the [host] table also keeps containerd 1.7 releases that reject a hosts.toml without one,
// containerd#10027, from ignoring the file).
//
// containerd (parseHostConfig in remotes/docker/config/hosts.go) appends /v2 to a host's path
// unless the path already ends in /v2, and takes the path as the API root unchanged only with
// override_path = true. So a registry with a path (registry.lan:5000/e2e) is named by its API
// root plus the path, https://registry.lan:5000/v2/e2e, with override_path:
// registry.k8s.io/pause:3.10.1 is then fetched from
// https://registry.lan:5000/v2/e2e/pause/manifests/3.10.1, i.e. registry.lan:5000/e2e/pause:3.10.1.
func hostsTOML(r registry.Registry) []string {
	if r.Path == "" {
		return []string{
			`server = "` + r.Endpoint() + `"`,
			``,
			`[host."` + r.Endpoint() + `"]`,
			`  capabilities = ["pull", "resolve"]`,
		}
	}
	root := r.Endpoint() + "/v2/" + r.Path
	return []string{
		`server = "` + root + `"`,
		`override_path = true`,
		``,
		`[host."` + root + `"]`,
		`  capabilities = ["pull", "resolve"]`,
		`  override_path = true`,
	}
}

// hostsDir is the certs.d folder containerd looks in first for a registry host: host:port
// becomes host_port_ (its hostDirectory, the one form that works on Windows and Linux alike).
func hostsDir(host string) string {
	if h, port, ok := strings.Cut(host, ":"); ok {
		return h + "_" + port + "_"
	}
	return host
}

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Option("missingkey=error").ParseFS(templateFS, "templates/*.tmpl"))

// Render returns the files of the cluster's Vagrant project, by name. The CA files (CACertFile,
// CAKeyFile) are not among them: Create writes those beside the rendered files.
func Render(c Config) (map[string][]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	reg, err := registry.Parse(c.WindowsRegistry)
	if err != nil {
		return nil, err
	}
	d := newRenderData(c, reg)
	files := map[string][]byte{}
	for name, tmpl := range map[string]string{
		VagrantfileFile:    "Vagrantfile.tmpl",
		ControlPlaneScript: "controlplane.sh.tmpl",
	} {
		b, err := execute(tmpl, d)
		if err != nil {
			return nil, err
		}
		files[name] = b
	}
	if c.LinuxWorkers > 0 {
		b, err := execute("linux-worker.sh.tmpl", d)
		if err != nil {
			return nil, err
		}
		files[LinuxWorkerScript] = b
	}
	if c.WindowsNodes > 0 {
		b, err := execute("windows-node.ps1.tmpl", d)
		if err != nil {
			return nil, err
		}
		files[WindowsNodeScript] = b
	}
	if c.Provider == HyperV {
		b, err := execute("hyperv-network.ps1.tmpl", d)
		if err != nil {
			return nil, err
		}
		files[HyperVNetworkScript] = b
	}
	kubeadm, err := renderKubeadmInit(c)
	if err != nil {
		return nil, err
	}
	files[KubeadmInitFile] = kubeadm
	inst, err := renderInstallation(c)
	if err != nil {
		return nil, err
	}
	files[InstallationFile] = inst
	return files, nil
}

func execute(name string, d renderData) ([]byte, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, d); err != nil {
		return nil, fmt.Errorf("render %s: %w", strings.TrimSuffix(name, ".tmpl"), err)
	}
	return b.Bytes(), nil
}

// renderData is what the templates see.
type renderData struct {
	Config
	Machines        []Machine
	ControlPlane    Machine
	LinuxWorkers    []Machine
	WindowsNodes    []Machine
	HostIP          netip.Addr
	APIEndpoint     string // control plane IP:port
	PrefixLength    int
	Netmask         string
	KubernetesMinor string // e.g. "1.34": the pkgs.k8s.io repository
	PauseImage      string
	// WINDOWS_REGISTRY (zero when unset), its URL (scheme://host[:port][/path], or ""), the
	// public registries mirrored to it (all of upstreams but its own host) and the hosts.toml of
	// each; RegistryHostsDir and RegistryHostsTOML send pulls of images named after it (the
	// probe pods' agnhost, kube-proxy) to it with its scheme.
	Registry          registry.Registry
	RegistryURL       string
	Upstreams         []string
	MirrorTOML        []string
	RegistryHostsDir  string
	RegistryHostsTOML []string
	// PreloadedOnly: IMAGES=source, so no script pulls an image from a public registry; images
	// come from WINDOWS_REGISTRY (Windows) or must already be in the box.
	PreloadedOnly     bool
	BGP, VXLAN        bool
	HyperVSwitch      string
	HyperVUplink      string
	LibvirtNetwork    string
	ContainerdVersion string
	NSSMZip           string
	PrivateAdapter    string
	WindowsCRISocket  string
	ContainerdSocket  string
}

func newRenderData(c Config, reg registry.Registry) renderData {
	d := renderData{
		Config:            c,
		Machines:          c.Machines(),
		HostIP:            c.HostIP(),
		APIEndpoint:       fmt.Sprintf("%s:%d", c.ControlPlaneIP(), APIServerPort),
		PrefixLength:      c.PrivateNetwork.Bits(),
		Netmask:           net.IP(net.CIDRMask(c.PrivateNetwork.Bits(), 32)).String(),
		KubernetesMinor:   minor(c.KubernetesVersion),
		PauseImage:        "registry.k8s.io/pause:" + c.PauseVersion,
		PreloadedOnly:     c.Images == images.FromSource,
		BGP:               c.Mode.UsesBGP(),
		VXLAN:             c.Mode == calico.ModeVXLAN,
		HyperVSwitch:      hyperVSwitch,
		HyperVUplink:      hyperVUplink,
		LibvirtNetwork:    "calico-e2e-" + strings.NewReplacer(".", "-", "/", "-").Replace(c.PrivateNetwork.String()),
		ContainerdVersion: ContainerdVersion,
		NSSMZip:           NSSMZip,
		PrivateAdapter:    PrivateAdapter,
		WindowsCRISocket:  windowsCRISocket,
		ContainerdSocket:  containerdSocket,
	}
	if !reg.IsZero() {
		d.Registry, d.RegistryURL = reg, reg.URL()
		for _, u := range upstreams {
			if u != reg.Host {
				d.Upstreams = append(d.Upstreams, u)
			}
		}
		d.MirrorTOML = hostsTOML(reg)
		d.RegistryHostsDir = hostsDir(reg.Host)
		d.RegistryHostsTOML = hostsTOML(registry.Registry{Scheme: reg.Scheme, Host: reg.Host})
	}
	for _, m := range d.Machines {
		switch m.Role {
		case RoleControlPlane:
			d.ControlPlane = m
		case RoleLinuxWorker:
			d.LinuxWorkers = append(d.LinuxWorkers, m)
		case RoleWindows:
			d.WindowsNodes = append(d.WindowsNodes, m)
		}
	}
	return d
}

func minor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// The kubeadm.k8s.io/v1beta4 and kubelet.config.k8s.io/v1beta1 fields the control plane sets,
// in their JSON names (the kubeadm Go types live in k/kubernetes, too heavy to import here).
type (
	typeMeta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	initConfiguration struct {
		typeMeta         `json:",inline"`
		BootstrapTokens  []bootstrapToken `json:"bootstrapTokens"`
		LocalAPIEndpoint apiEndpoint      `json:"localAPIEndpoint"`
		NodeRegistration nodeRegistration `json:"nodeRegistration"`
	}
	bootstrapToken struct {
		Token  string   `json:"token"`
		TTL    string   `json:"ttl"`
		Groups []string `json:"groups"`
		Usages []string `json:"usages"`
	}
	apiEndpoint struct {
		AdvertiseAddress string `json:"advertiseAddress"`
		BindPort         int    `json:"bindPort"`
	}
	nodeRegistration struct {
		Name             string `json:"name"`
		CRISocket        string `json:"criSocket"`
		ImagePullPolicy  string `json:"imagePullPolicy"`
		KubeletExtraArgs []arg  `json:"kubeletExtraArgs"`
	}
	arg struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	clusterConfiguration struct {
		typeMeta             `json:",inline"`
		ClusterName          string     `json:"clusterName"`
		KubernetesVersion    string     `json:"kubernetesVersion"`
		ControlPlaneEndpoint string     `json:"controlPlaneEndpoint"`
		EncryptionAlgorithm  string     `json:"encryptionAlgorithm"`
		Networking           networking `json:"networking"`
	}
	networking struct {
		PodSubnet     string `json:"podSubnet"`
		ServiceSubnet string `json:"serviceSubnet"`
		DNSDomain     string `json:"dnsDomain"`
	}
	kubeletConfiguration struct {
		typeMeta     `json:",inline"`
		CgroupDriver string `json:"cgroupDriver"`
	}
)

// renderKubeadmInit is the control plane's `kubeadm init --config`: the API server advertised
// and kubelet's node IP on the private network, the cluster's pod and service ranges, the
// bootstrap token the workers join with, and, under IMAGES=source, imagePullPolicy Never (so
// kubeadm fails naming a missing image instead of pulling it).
func renderKubeadmInit(c Config) ([]byte, error) {
	ip := c.ControlPlaneIP().String()
	pull := "IfNotPresent"
	if c.Images == images.FromSource {
		pull = "Never"
	}
	docs := []any{
		initConfiguration{
			typeMeta: typeMeta{kubeadmAPIVersion, "InitConfiguration"},
			BootstrapTokens: []bootstrapToken{{
				Token: c.Secrets.Token, TTL: "24h0m0s",
				Groups: []string{bootstrapTokenGroups}, Usages: []string{"signing", "authentication"},
			}},
			LocalAPIEndpoint: apiEndpoint{AdvertiseAddress: ip, BindPort: APIServerPort},
			NodeRegistration: nodeRegistration{
				Name: "controlplane", CRISocket: containerdSocket, ImagePullPolicy: pull,
				KubeletExtraArgs: []arg{{Name: "node-ip", Value: ip}},
			},
		},
		clusterConfiguration{
			typeMeta:             typeMeta{kubeadmAPIVersion, "ClusterConfiguration"},
			ClusterName:          c.Name,
			KubernetesVersion:    "v" + c.KubernetesVersion,
			ControlPlaneEndpoint: fmt.Sprintf("%s:%d", ip, APIServerPort),
			EncryptionAlgorithm:  "ECDSA-P256", // the CA NewSecrets makes
			Networking:           networking{PodSubnet: c.PodCIDR, ServiceSubnet: c.ServiceCIDR, DNSDomain: "cluster.local"},
		},
		kubeletConfiguration{
			typeMeta:     typeMeta{"kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"},
			CgroupDriver: "systemd",
		},
	}
	var out bytes.Buffer
	out.WriteString("# kubeadm init --config for the control plane of cluster \"" + c.Name + "\" (rendered by infra/vagrant).\n")
	out.WriteString("# Holds the bootstrap token the workers join with: keep it out of artifacts.\n")
	for i, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("serialise %s: %w", KubeadmInitFile, err)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(b)
	}
	return out.Bytes(), nil
}

// renderInstallation is calico.RenderInstallation for the cluster (Windows settings when it has
// Windows nodes) plus two fields InstallationOptions has no option for yet, set on the rendered
// document: spec.calicoNetwork.nodeAddressAutodetectionV4.cidrs = [PRIVATE_NETWORK] (Linux and
// Windows nodes take their address from the private NIC, never the NAT one) and
// spec.windowsNodes.vxlanAdapter = PrivateAdapter (the HNS overlay network binds to the private
// NIC, so its management IP is the node's InternalIP).
func renderInstallation(c Config) ([]byte, error) {
	win := c.WindowsNodes > 0
	o := calico.InstallationOptions{Mode: c.Mode, PodCIDR: c.PodCIDR, Windows: win}
	if win {
		o.ServiceCIDR = c.ServiceCIDR
		o.KubernetesServiceHost = c.ControlPlaneIP().String()
		o.KubernetesServicePort = APIServerPort
	}
	b, err := calico.RenderInstallation(o)
	if err != nil {
		return nil, err
	}
	docs := strings.SplitN(string(b), "---\n", 2)
	var inst map[string]any
	if err := yaml.Unmarshal([]byte(docs[0]), &inst); err != nil {
		return nil, fmt.Errorf("read the rendered Installation: %w", err)
	}
	spec, ok := inst["spec"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the rendered Installation has no spec")
	}
	network, ok := spec["calicoNetwork"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the rendered Installation has no spec.calicoNetwork")
	}
	network["nodeAddressAutodetectionV4"] = map[string]any{"cidrs": []string{c.PrivateNetwork.String()}}
	if win {
		spec["windowsNodes"] = map[string]any{"vxlanAdapter": PrivateAdapter}
	}
	first, err := yaml.Marshal(inst)
	if err != nil {
		return nil, fmt.Errorf("serialise the Installation: %w", err)
	}
	out := "# The operator Installation of cluster \"" + c.Name + "\" (rendered by infra/vagrant): apply it after\n" +
		"# the Tigera operator manifest of the pinned Calico release.\n" + string(first)
	if len(docs) == 2 {
		out += "---\n" + docs[1]
	}
	return []byte(out), nil
}
