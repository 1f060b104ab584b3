package calico

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// InstallationOptions are the settings of the operator Installation RenderInstallation produces.
type InstallationOptions struct {
	// Mode sets BGP and the default pool's encapsulation.
	Mode Mode
	// PodCIDR is the default IPv4 pool, e.g. "10.244.0.0/16".
	PodCIDR string
	// NodeInterface, when set (e.g. "eth0"), pins each node's address to that interface.
	NodeInterface string
	// Windows configures the installation for Windows nodes (HNS data plane); it needs
	// ServiceCIDR and the API server address below, which are ignored otherwise.
	Windows bool
	// ServiceCIDR is the cluster's service range (the API server's --service-cluster-ip-range).
	ServiceCIDR string
	// KubernetesServiceHost and KubernetesServicePort are the API server address Windows nodes
	// use directly (they cannot reach it through the kubernetes Service before Calico runs).
	KubernetesServiceHost string
	KubernetesServicePort int
}

const (
	operatorAPIVersion = "operator.tigera.io/v1"
	operatorNamespace  = "tigera-operator"
	// defaultPoolName is the pool name the Calico manifests and the operator both use.
	defaultPoolName = "default-ipv4-ippool"
)

// OperatorManifestFile is the Tigera operator manifest of a Calico release: it is applied before
// the Installation RenderInstallation produces.
const OperatorManifestFile = "tigera-operator.yaml"

// OperatorManifest is the vendored Tigera operator manifest of a Calico release (CRDs, the
// operator's namespace, RBAC and Deployment), as the release published it.
func OperatorManifest(version string) ([]byte, error) {
	return readRelease(version, OperatorManifestFile)
}

// OperatorManifestURL is where the Tigera operator manifest of a Calico release is published,
// e.g. https://raw.githubusercontent.com/projectcalico/calico/v3.28.5/manifests/tigera-operator.yaml.
func OperatorManifestURL(version string) (string, error) {
	v, err := normaliseVersion(version)
	if err != nil {
		return "", err
	}
	return "https://raw.githubusercontent.com/projectcalico/calico/v" + v + "/manifests/" + OperatorManifestFile, nil
}

// The operator.tigera.io/v1 fields the suite sets, in the operator API's JSON names.
type (
	installation struct {
		APIVersion string           `json:"apiVersion"`
		Kind       string           `json:"kind"`
		Metadata   objectMeta       `json:"metadata"`
		Spec       installationSpec `json:"spec"`
	}
	objectMeta struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace,omitempty"`
	}
	installationSpec struct {
		CNI           cniSpec       `json:"cni"`
		CalicoNetwork calicoNetwork `json:"calicoNetwork"`
		ServiceCIDRs  []string      `json:"serviceCIDRs,omitempty"`
	}
	cniSpec struct {
		Type string  `json:"type"`
		IPAM ipamRef `json:"ipam"`
	}
	ipamRef struct {
		Type string `json:"type"`
	}
	calicoNetwork struct {
		BGP                        string                    `json:"bgp"`
		IPPools                    []ipPool                  `json:"ipPools"`
		NodeAddressAutodetectionV4 *nodeAddressAutodetection `json:"nodeAddressAutodetectionV4,omitempty"`
		WindowsDataplane           string                    `json:"windowsDataplane,omitempty"`
	}
	ipPool struct {
		Name          string `json:"name"`
		CIDR          string `json:"cidr"`
		BlockSize     int    `json:"blockSize"`
		Encapsulation string `json:"encapsulation"`
		NATOutgoing   string `json:"natOutgoing"`
		NodeSelector  string `json:"nodeSelector"`
	}
	nodeAddressAutodetection struct {
		Interface string `json:"interface"`
	}
	configMap struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   objectMeta        `json:"metadata"`
		Data       map[string]string `json:"data"`
	}
)

// RenderInstallation returns the operator.tigera.io/v1 Installation "default" for o as YAML.
// With o.Windows it is followed by a second document, the ConfigMap
// tigera-operator/kubernetes-services-endpoint holding the API server address, which the
// operator passes to the Windows nodes.
func RenderInstallation(o InstallationOptions) ([]byte, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	bgp := "Disabled"
	if o.Mode.UsesBGP() {
		bgp = "Enabled"
	}
	inst := installation{
		APIVersion: operatorAPIVersion,
		Kind:       "Installation",
		Metadata:   objectMeta{Name: "default"},
		Spec: installationSpec{
			CNI: cniSpec{Type: "Calico", IPAM: ipamRef{Type: "Calico"}},
			CalicoNetwork: calicoNetwork{
				BGP: bgp,
				IPPools: []ipPool{{
					Name:          defaultPoolName,
					CIDR:          o.PodCIDR,
					BlockSize:     blockSize,
					Encapsulation: o.Mode.encapsulation(),
					NATOutgoing:   "Enabled",
					NodeSelector:  "all()",
				}},
			},
		},
	}
	if o.NodeInterface != "" {
		inst.Spec.CalicoNetwork.NodeAddressAutodetectionV4 = &nodeAddressAutodetection{Interface: interfaceRegex(o.NodeInterface)}
	}
	docs := []any{&inst}
	if o.Windows {
		// Calico for Windows has no IPIP: with MODE=ipip the Windows nodes get no Calico data
		// plane (the run covers the Linux nodes; the matrix skips every Windows cell, saying why)
		inst.Spec.CalicoNetwork.WindowsDataplane = WindowsDataplane(o.Mode)
		inst.Spec.ServiceCIDRs = []string{o.ServiceCIDR}
		docs = append(docs, &configMap{
			APIVersion: "v1",
			Kind:       "ConfigMap",
			Metadata:   objectMeta{Name: "kubernetes-services-endpoint", Namespace: operatorNamespace},
			Data: map[string]string{
				"KUBERNETES_SERVICE_HOST": o.KubernetesServiceHost,
				"KUBERNETES_SERVICE_PORT": strconv.Itoa(o.KubernetesServicePort),
			},
		})
	}
	var out bytes.Buffer
	for i, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("serialise the Installation: %w", err)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(b)
	}
	return out.Bytes(), nil
}

func (o InstallationOptions) validate() error {
	if err := validateNetwork(o.Mode, o.PodCIDR, o.NodeInterface); err != nil {
		return err
	}
	if !o.Windows {
		return nil
	}
	if err := validateCIDR("ServiceCIDR", o.ServiceCIDR, "10.96.0.0/12"); err != nil {
		return err
	}
	h := o.KubernetesServiceHost
	if h == "" {
		return fmt.Errorf("KubernetesServiceHost is empty: Windows nodes need the API server's address, e.g. 172.18.0.2")
	}
	if strings.Contains(h, "://") || strings.ContainsAny(h, " \t\n/") {
		return fmt.Errorf("KubernetesServiceHost %q is not a host: want the API server's IP or DNS name alone, e.g. 172.18.0.2", h)
	}
	if p := o.KubernetesServicePort; p < 1 || p > 65535 {
		return fmt.Errorf("KubernetesServicePort %d is not a port: want the API server's port, e.g. 6443", p)
	}
	return nil
}
