package capz

import (
	"bytes"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"text/template"
)

// Files of a rendered recipe.
const (
	// EnvFile holds the variables of `clusterctl generate cluster --flavor windows` and the
	// recipe's own settings, as KEY=value lines a shell can source.
	EnvFile = "cluster.env"
	// InstallationFile is the operator Installation the chart creates from the HelmChartProxy's
	// values; the recipe does not apply it (it is there to read and to check).
	InstallationFile = "installation.yaml"
	// HelmChartProxyFile installs the tigera-operator chart on the workload cluster through CAAPH.
	HelmChartProxyFile = "calico-helmchartproxy.yaml"
	// RecipeFile runs everything, in order, on the user's machine.
	RecipeFile = "recipe.sh"
)

// Upstream files the recipe applies from CAPZ's release tag, as the upstream CIs do: CAPZ's
// HelmChartProxy for cloud-provider-azure (templates/addons/cluster-api-helm/
// cloud-provider-azure.yaml, selecting Clusters labelled cloud-provider: azure) and its
// HostProcess kube-proxy DaemonSet for Windows nodes (templates/addons/windows/calico/
// kube-proxy-windows.yaml, applied through `clusterctl generate yaml` by windows-testing's
// run-capz-e2e.sh for its KUBERNETES_VERSION variable).
const (
	capzRaw                 = "https://raw.githubusercontent.com/kubernetes-sigs/cluster-api-provider-azure/" + CAPZVersion + "/"
	cloudProviderProxyPath  = "templates/addons/cluster-api-helm/cloud-provider-azure.yaml"
	cloudProviderProxyName  = "cloud-provider-azure-chart"
	cloudProviderLabel      = "cloud-provider=azure"
	kubeProxyWindowsPath    = "templates/addons/windows/calico/kube-proxy-windows.yaml"
	identityHierarchyLabel  = "clusterctl.cluster.x-k8s.io/move-hierarchy=true"
	identitySecretNamespace = "default"
)

// envVar is one line of the environment file.
type envVar struct {
	Name, Value string
	// Template marks a variable of the cluster template (the recipe passes these, and only
	// these, to clusterctl generate cluster).
	Template bool
	Comment  string
}

// envVars are the environment file's lines, in order.
func (o Options) envVars() []envVar {
	return []envVar{
		{"KUBERNETES_VERSION", o.KubernetesVersion, true, "the workload cluster's Kubernetes (infra/versions/versions.yaml)"},
		{"CONTROL_PLANE_MACHINE_COUNT", "1", true, "control-plane machines"},
		{"WORKER_MACHINE_COUNT", strconv.Itoa(o.WindowsNodes), true, "replicas of md-win (Windows) and of md-0 (Linux): the flavor uses it for both"},
		{"AZURE_CONTROL_PLANE_MACHINE_TYPE", o.ControlPlaneMachineType, true, "VM size of the control plane"},
		{"AZURE_NODE_MACHINE_TYPE", o.NodeMachineType, true, "VM size of the Linux and the Windows workers"},
		{"CLUSTER_IDENTITY_NAME", o.identityName(), true, "the AzureClusterIdentity"},
		{"CLUSTER_IDENTITY_TYPE", "ServicePrincipal", true, "the flavor's default is WorkloadIdentity, which needs an OIDC issuer on the management cluster"},
		{"CI_RG", o.identityGroup(), true, "resource group of the user-assigned identity the flavor's VMs carry (the cloud provider's)"},
		{"USER_IDENTITY", o.cloudProviderIdentity(), true, "that identity's name"},
		{"CLUSTER_NAME", o.ClusterName, false, "the workload cluster (also its resource group: the flavor's AZURE_RESOURCE_GROUP default)"},
		{"CAPI_VERSION", CAPIVersion, false, "Cluster API core, kubeadm bootstrap and control plane (clusterctl must be this version)"},
		{"CAPZ_VERSION", CAPZVersion, false, "Cluster API Provider Azure"},
		{"CAAPH_VERSION", CAAPHVersion, false, "Cluster API Add-on Provider for Helm"},
		{"FLAVOR", Flavor, false, "CAPZ's templates/cluster-template-" + Flavor + ".yaml"},
		{"CALICO_HELMCHARTPROXY", o.calicoProxyName(), false, "the HelmChartProxy of " + HelmChartProxyFile + ", selecting the Cluster labelled " + calicoLabelKey + "=" + o.calicoProxyName()},
		{"AZURE_CLUSTER_IDENTITY_SECRET_NAME", o.identitySecretName(), false, "the Secret holding the service principal's password on the management cluster"},
		{"AZURE_CLUSTER_IDENTITY_SECRET_NAMESPACE", identitySecretNamespace, false, ""},
		{"MODE", string(o.Mode), false, "Calico's routing mode (VXLAN only, as CAPZ's Calico addon)"},
	}
}

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Option("missingkey=error").ParseFS(templateFS, "templates/*.tmpl"))

// recipeData is what the recipe template sees.
type recipeData struct {
	Options
	TemplateEnv              []string // the cluster template's variables, passed to clusterctl
	CAPIVersion              string
	CAPZVersion              string
	CAAPHVersion             string
	Flavor                   string
	ClusterNamespace         string
	CalicoLabel              string // key=value
	CloudProviderLabel       string
	CloudProviderProxyURL    string
	CloudProviderProxyName   string
	KubeProxyWindowsURL      string
	IdentityHierarchyLabel   string
	EndpointName             string
	EndpointNamespace        string
	EndpointHostKey          string
	EndpointPortKey          string
	ImageGallery             string
	WindowsImageDefinition   string
	LinuxImageDefinition     string
	UserEnv                  []string
	HelmChartProxyFile       string
	EnvFile                  string
	LinuxMachineDeployment   string
	WindowsMachineDeployment string
}

// Render returns the recipe's files by name: EnvFile, InstallationFile, HelmChartProxyFile and
// RecipeFile.
func Render(o Options) (map[string][]byte, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	inst, err := renderInstallation(o)
	if err != nil {
		return nil, err
	}
	hcp, err := renderHelmChartProxy(o, inst)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		EnvFile: renderEnv(o),
		InstallationFile: append([]byte("# The operator Installation the tigera-operator chart creates from the values of "+HelmChartProxyFile+"\n"+
			"# (the chart adds imagePullSecrets and kubeletVolumePluginPath from its own values).\n"+
			"# "+RecipeFile+" does not apply this file: it is here to read and to check.\n"), inst.doc...),
		HelmChartProxyFile: hcp,
	}
	d := recipeData{
		Options:                  o,
		CAPIVersion:              CAPIVersion,
		CAPZVersion:              CAPZVersion,
		CAAPHVersion:             CAAPHVersion,
		Flavor:                   Flavor,
		ClusterNamespace:         clusterNamespace,
		CalicoLabel:              calicoLabelKey + "=" + o.calicoProxyName(),
		CloudProviderLabel:       cloudProviderLabel,
		CloudProviderProxyURL:    capzRaw + cloudProviderProxyPath,
		CloudProviderProxyName:   cloudProviderProxyName,
		KubeProxyWindowsURL:      capzRaw + kubeProxyWindowsPath,
		IdentityHierarchyLabel:   identityHierarchyLabel,
		EndpointName:             inst.endpoint.Name,
		EndpointNamespace:        inst.endpoint.Namespace,
		EndpointHostKey:          inst.endpoint.HostKey,
		EndpointPortKey:          inst.endpoint.PortKey,
		ImageGallery:             ImageGallery,
		WindowsImageDefinition:   WindowsImageDefinition,
		LinuxImageDefinition:     LinuxImageDefinition,
		UserEnv:                  UserEnv,
		HelmChartProxyFile:       HelmChartProxyFile,
		EnvFile:                  EnvFile,
		LinuxMachineDeployment:   o.ClusterName + "-md-0",
		WindowsMachineDeployment: o.ClusterName + "-md-win",
	}
	for _, v := range o.envVars() {
		if v.Template {
			d.TemplateEnv = append(d.TemplateEnv, v.Name)
		}
	}
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, "recipe.sh.tmpl", d); err != nil {
		return nil, fmt.Errorf("render %s: %w", RecipeFile, err)
	}
	files[RecipeFile] = b.Bytes()
	return files, nil
}

func renderEnv(o Options) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `# Variables for
#   clusterctl generate cluster %s --infrastructure azure:%s --flavor %s
# (CAPZ's templates/cluster-template-%s.yaml), and the settings of %s.
# Rendered by infra/capz; %s sources it. No secrets: the service principal and the subscription
# stay in your environment, where clusterctl and the recipe read them:
#   %s
# and clusterctl also needs AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY, which the recipe sets to
# AZURE_CLIENT_ID (the AzureClusterIdentity's clientID in this flavor).
# Pods: the flavor fixes Cluster.spec.clusterNetwork.pods to %s (no variable), the range of
# Calico's pool in %s; Services: kubeadm's default %s.
`, o.ClusterName, CAPZVersion, Flavor, Flavor, RecipeFile, RecipeFile, strings.Join(UserEnv, " "),
		PodCIDR, HelmChartProxyFile, ServiceCIDR)
	section := ""
	for _, v := range o.envVars() {
		s := "\n# The cluster template's variables\n"
		if !v.Template {
			s = "\n# The recipe's own\n"
		}
		if s != section {
			b.WriteString(s)
			section = s
		}
		if v.Comment != "" {
			fmt.Fprintf(&b, "# %s\n", v.Comment)
		}
		fmt.Fprintf(&b, "%s=%s\n", v.Name, v.Value)
	}
	return []byte(b.String())
}
