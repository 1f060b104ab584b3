// Package capz renders a recipe that makes a Kubernetes cluster with Linux and Windows workers on
// Azure with Cluster API (CAPZ), installs Calico for Windows on it through the Tigera operator,
// runs the suite against it with PROVIDER=existing and deletes it again.
//
// Render only writes text: the clusterctl environment file, the operator Installation, the Cluster
// API Add-on Provider for Helm (CAAPH) HelmChartProxy that installs Calico and the shell recipe.
// Nothing here contacts Azure; the recipe runs on the user's machine with the user's credentials,
// which never enter a rendered file (the files name the environment variables that hold them).
//
// The path follows the upstream CIs that build Windows clusters on CAPZ:
//   - kubernetes-sigs/windows-testing capz/run-capz-e2e.sh (the SIG Windows CI): clusterctl init
//     --infrastructure azure, clusterctl generate cluster from a template derived from CAPZ's
//     "windows" flavor (templates/windows-base.yaml: MachineDeployment ${CLUSTER_NAME}-md-win,
//     waited for by wait_for_windows_machinedeployment), the tigera-operator Helm chart with
//     windowsDataplane HNS and serviceCIDRs (capz/templates/calico/values.yaml), then the IPAM
//     strict-affinity patch, the kubernetes-services-endpoint ConfigMap read from the workload
//     kubeconfig and CAPZ's kube-proxy-windows addon;
//   - CAPZ's own e2e templates (templates/test/ci/cluster-template-prow.yaml at v1.21.0), which
//     install the tigera-operator chart and cloud-provider-azure through CAAPH HelmChartProxies
//     selected by Cluster labels;
//   - Calico's Windows FV on CAPZ at the pinned Calico source
//     (process/testing/winfv-felix/capz/create-cluster.sh and install-calico.sh): a service
//     principal AzureClusterIdentity, the user-assigned identity the flavors reference, and the
//     order operator → Linux calico-node ready → strictAffinity → kubernetes-services-endpoint.
package capz

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	goversion "github.com/hashicorp/go-version"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/versions"
)

// The releases the recipe installs. They are one set: the CRDs and the cluster template the tests
// check (from the Go module cache) are those of exactly these versions.
const (
	// CAPZVersion is the Cluster API Provider Azure release. v1.21.0 is the newest CAPZ release
	// whose module the Go module proxy serves to this project (v1.22.x is refused), so its
	// templates/ and config/crd/bases/ are what the tests read.
	CAPZVersion = "v1.21.0"
	// CAPIVersion is the Cluster API core, kubeadm bootstrap and kubeadm control-plane release:
	// CAPZ v1.21.0's go.mod requires sigs.k8s.io/cluster-api v1.10.4 and its
	// test/e2e/config/azure-dev.yaml installs v1.10.4. Its support matrix
	// (docs/book/src/reference/versions.md at v1.10.4) ends at Kubernetes v1.33, below the suite's
	// pinned v1.34; nothing in it refuses v1.34 (bootstrap/kubeadm/types/utils.go uses kubeadm's
	// v1beta4 API for every version from v1.31), but the pair is untested upstream: docs/capz.md.
	CAPIVersion = "v1.10.4"
	// CAAPHVersion is the Cluster API Add-on Provider for Helm release that CAPZ v1.21.0's
	// test/e2e/config/azure-dev.yaml installs ("helm" AddonProvider, LATEST_CAAPH_UPGRADE_VERSION).
	CAAPHVersion = "v0.3.2"
	// Flavor is the CAPZ cluster template: templates/cluster-template-windows.yaml, a
	// MachineDeployment of Linux workers (${CLUSTER_NAME}-md-0) and one of Windows workers
	// (${CLUSTER_NAME}-md-win). The SIG Windows CI's template (windows-testing
	// capz/templates/windows-base.yaml) is this flavor's shape; the other Windows flavor,
	// machinepool-windows (AzureMachinePools, used by Calico's Windows FV), is not used.
	Flavor = "windows"
	// PodCIDR is the flavor's pod range: templates/cluster-template-windows.yaml sets
	// Cluster.spec.clusterNetwork.pods.cidrBlocks to [192.168.0.0/16] with no variable, so
	// Calico's default pool must be that range.
	PodCIDR = "192.168.0.0/16"
	// ServiceCIDR is the cluster's Service range: the flavor sets neither
	// Cluster.spec.clusterNetwork.services nor kubeadm's serviceSubnet, so kubeadm's default
	// applies (windows-testing capz/templates/calico/values.yaml: "10.96.0.0/12 # must match
	// cluster service CIDR (this is the default)").
	ServiceCIDR = "10.96.0.0/12"
	// WindowsImageDefinition and LinuxImageDefinition are the reference images CAPZ v1.21.0 boots
	// when a template names none (azure/defaults.go DefaultWindowsGalleryImageName and
	// DefaultLinuxGalleryImageName): the windows flavor's AzureMachineTemplates name none and carry
	// no windowsServerVersion annotation, so its Windows workers run Windows Server 2019.
	WindowsImageDefinition = "capi-win-2019-containerd"
	LinuxImageDefinition   = "capi-ubun2-2404"
	// ImageGallery is the community gallery of those images (azure/defaults.go
	// DefaultPublicGalleryName; docs/book/src/self-managed/custom-images.md): its image versions
	// are Kubernetes releases, so the recipe checks that KUBERNETES_VERSION has one.
	ImageGallery = "ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019"
)

// Chart coordinates of the tigera-operator Helm chart, as CAPZ's
// templates/addons/cluster-api-helm/calico.yaml and windows-testing's run-capz-e2e.sh use them.
const (
	chartRepo    = "https://docs.tigera.io/calico/charts"
	chartName    = "tigera-operator"
	chartRelease = "projectcalico" // CAPZ's HelmChartProxy's releaseName
	// operatorNamespace is the release namespace (CAPZ's HelmChartProxy's namespace), where the
	// chart creates the operator and where the operator reads kubernetes-services-endpoint.
	operatorNamespace = "tigera-operator"
)

// Defaults of the knobs.
const (
	DefaultClusterName  = "calico-e2e-capz"
	DefaultWindowsNodes = 2
	// DefaultControlPlaneMachineType is the control plane's VM size in windows-testing's
	// windows-base.yaml and in Calico's FV (export-env.sh).
	DefaultControlPlaneMachineType = "Standard_D2s_v3"
	// DefaultNodeMachineType is the Windows workers' VM size in windows-testing's
	// windows-base.yaml (AZURE_NODE_MACHINE_TYPE:-"Standard_D4s_v3"). The windows flavor uses
	// AZURE_NODE_MACHINE_TYPE for its Linux workers too.
	DefaultNodeMachineType = "Standard_D4s_v3"
	maxWindowsNodes        = 10
	maxClusterName         = 40
)

// UserEnv are the environment variables the user provides and no rendered file holds: the
// service principal CAPZ authenticates with, the region, the management cluster and the registry
// of the suite's Windows probe images. The recipe refuses to start without them.
var UserEnv = []string{
	"AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
	"AZURE_LOCATION", "MANAGEMENT_KUBECONFIG", "WINDOWS_REGISTRY",
}

// Options are the knobs of the recipe.
type Options struct {
	// ClusterName names the workload cluster, its Azure resource group (the flavor's default
	// AZURE_RESOURCE_GROUP) and the recipe's other objects.
	ClusterName string
	// KubernetesVersion is the workload cluster's Kubernetes, e.g. "v1.34.4".
	KubernetesVersion string
	// CalicoVersion is the tigera-operator chart version, e.g. "v3.28.5".
	CalicoVersion string
	// Mode is Calico's routing mode: only calico.ModeVXLAN (see Validate).
	Mode calico.Mode
	// WindowsNodes is WORKER_MACHINE_COUNT: the windows flavor gives both its MachineDeployments,
	// Linux (md-0) and Windows (md-win), that many replicas.
	WindowsNodes int
	// ControlPlaneMachineType and NodeMachineType are Azure VM sizes
	// (AZURE_CONTROL_PLANE_MACHINE_TYPE, AZURE_NODE_MACHINE_TYPE: Linux and Windows workers).
	ControlPlaneMachineType string
	NodeMachineType         string
}

// DefaultOptions are the knobs' defaults, with the Kubernetes and Calico versions of
// infra/versions/versions.yaml.
func DefaultOptions() (Options, error) {
	v, err := versions.Pinned()
	if err != nil {
		return Options{}, err
	}
	return Options{
		ClusterName:             DefaultClusterName,
		KubernetesVersion:       "v" + strings.TrimPrefix(v.Kubernetes, "v"),
		CalicoVersion:           "v" + strings.TrimPrefix(v.Calico, "v"),
		Mode:                    calico.ModeVXLAN,
		WindowsNodes:            DefaultWindowsNodes,
		ControlPlaneMachineType: DefaultControlPlaneMachineType,
		NodeMachineType:         DefaultNodeMachineType,
	}, nil
}

// ParseOptions reads the knobs CLUSTER_NAME, KUBERNETES_VERSION, MODE, WINDOWS_NODES,
// AZURE_CONTROL_PLANE_MACHINE_TYPE and AZURE_NODE_MACHINE_TYPE through getenv; an empty one
// keeps its default. The result is validated.
func ParseOptions(getenv func(string) string) (Options, error) {
	o, err := DefaultOptions()
	if err != nil {
		return Options{}, err
	}
	if v := getenv("CLUSTER_NAME"); v != "" {
		o.ClusterName = v
	}
	if v := getenv("KUBERNETES_VERSION"); v != "" {
		o.KubernetesVersion = v
	}
	if v := getenv("MODE"); v != "" {
		m, err := calico.ParseMode(v)
		if err != nil {
			return Options{}, err
		}
		o.Mode = m
	}
	if v := getenv("WINDOWS_NODES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return Options{}, fmt.Errorf("WINDOWS_NODES %q is not a number: want 1 to %d", v, maxWindowsNodes)
		}
		o.WindowsNodes = n
	}
	if v := getenv("AZURE_CONTROL_PLANE_MACHINE_TYPE"); v != "" {
		o.ControlPlaneMachineType = v
	}
	if v := getenv("AZURE_NODE_MACHINE_TYPE"); v != "" {
		o.NodeMachineType = v
	}
	return o, o.Validate()
}

var (
	clusterNameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	vmSizeRE      = regexp.MustCompile(`^Standard_[A-Za-z0-9_]+$`)
	k8sVersionRE  = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)
)

// Validate checks every knob; the error is one line naming the knob, what is wrong and what
// would be right.
func (o Options) Validate() error {
	if !clusterNameRE.MatchString(o.ClusterName) || len(o.ClusterName) > maxClusterName {
		return fmt.Errorf("CLUSTER_NAME %q is not usable: want lowercase letters, digits and '-', starting with a letter, at most %d characters, e.g. %s",
			o.ClusterName, maxClusterName, DefaultClusterName)
	}
	if !k8sVersionRE.MatchString(o.KubernetesVersion) {
		return fmt.Errorf("KUBERNETES_VERSION %q is not a Kubernetes release: want v<major>.<minor>.<patch>, e.g. v1.34.4", o.KubernetesVersion)
	}
	if _, err := goversion.NewVersion(o.CalicoVersion); err != nil || !strings.HasPrefix(o.CalicoVersion, "v") {
		return fmt.Errorf("Calico version %q is not a chart version: want v<major>.<minor>.<patch>, e.g. v3.28.5", o.CalicoVersion)
	}
	if o.Mode != calico.ModeVXLAN {
		// CAPZ's Calico addons all use VXLAN pools (templates/addons/cluster-api-helm/calico.yaml,
		// windows-testing capz/templates/calico/values.yaml); Calico's documentation says why
		// (reference/public-cloud/azure: "Azure does not allow traffic with unknown source IPs").
		return fmt.Errorf("MODE %q is not available on Azure: this recipe installs Calico with VXLAN only (Azure drops traffic from pod addresses it did not assign), use MODE=vxlan", o.Mode)
	}
	if o.WindowsNodes < 1 || o.WindowsNodes > maxWindowsNodes {
		return fmt.Errorf("WINDOWS_NODES %d is out of range: want 1 to %d (the windows flavor makes as many Linux workers)", o.WindowsNodes, maxWindowsNodes)
	}
	for knob, v := range map[string]string{
		"AZURE_CONTROL_PLANE_MACHINE_TYPE": o.ControlPlaneMachineType,
		"AZURE_NODE_MACHINE_TYPE":          o.NodeMachineType,
	} {
		if !vmSizeRE.MatchString(v) {
			return fmt.Errorf("%s %q is not an Azure VM size: want e.g. %s", knob, v, DefaultNodeMachineType)
		}
	}
	return nil
}

// Names derived from the cluster name. The Cluster label cni=<cluster>-calico selects the Calico
// HelmChartProxy, as windows-testing labels its clusters (capz/templates/networking/calico/
// patches/cluster.yaml: cni: ${CLUSTER_NAME}-calico).
func (o Options) calicoProxyName() string       { return o.ClusterName + "-calico" }
func (o Options) identityName() string          { return o.ClusterName + "-identity" }
func (o Options) identitySecretName() string    { return o.ClusterName + "-identity-secret" }
func (o Options) identityGroup() string         { return o.ClusterName + "-identity-rg" }
func (o Options) cloudProviderIdentity() string { return o.ClusterName + "-cloud-provider" }
