package capz

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/calico-conformance/e2e/infra/calico"
)

// endpointPlaceholder stands in for the API server's address when the Installation is rendered:
// RenderInstallation renders the kubernetes-services-endpoint ConfigMap too and needs an address,
// but on Azure it exists only once CAPZ has made the API server's load balancer. The ConfigMap
// document is therefore dropped here, and the recipe creates the ConfigMap with the same name,
// namespace and keys from the workload kubeconfig, after Calico is up on the Linux nodes (the
// order of Calico's FV, process/testing/winfv-felix/capz/install-calico.sh, and of windows-testing
// run-capz-e2e.sh). The .invalid name (RFC 2606) never reaches a rendered file; a test checks.
const (
	endpointPlaceholder     = "api-server.capz.invalid"
	endpointPlaceholderPort = 6443
)

// installation is RenderInstallation's output for o split into its two documents: the
// Installation (kept) and the kubernetes-services-endpoint ConfigMap (whose name, namespace and
// keys the recipe reuses).
type installation struct {
	doc  []byte         // the Installation document, as RenderInstallation wrote it
	spec map[string]any // its spec: the tigera-operator chart's `installation` values
	// endpoint is the ConfigMap RenderInstallation makes for Windows nodes.
	endpoint struct {
		Name, Namespace string
		HostKey         string
		PortKey         string
	}
}

func renderInstallation(o Options) (installation, error) {
	var inst installation
	out, err := calico.RenderInstallation(calico.InstallationOptions{
		Mode:                  o.Mode,
		PodCIDR:               PodCIDR,
		Windows:               true,
		ServiceCIDR:           ServiceCIDR,
		KubernetesServiceHost: endpointPlaceholder,
		KubernetesServicePort: endpointPlaceholderPort,
	})
	if err != nil {
		return inst, fmt.Errorf("render the Installation: %w", err)
	}
	docs := bytes.Split(out, []byte("\n---\n"))
	if len(docs) != 2 {
		return inst, fmt.Errorf("RenderInstallation with Windows gave %d documents, want the Installation and the kubernetes-services-endpoint ConfigMap", len(docs))
	}
	inst.doc = append(bytes.TrimRight(docs[0], "\n"), '\n')
	var obj struct {
		Kind string         `json:"kind"`
		Spec map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(inst.doc, &obj); err != nil || obj.Kind != "Installation" || obj.Spec == nil {
		return inst, fmt.Errorf("RenderInstallation's first document is not an Installation with a spec (%v)", err)
	}
	inst.spec = obj.Spec
	var cm struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(docs[1], &cm); err != nil || cm.Kind != "ConfigMap" {
		return inst, fmt.Errorf("RenderInstallation's second document is not the kubernetes-services-endpoint ConfigMap (%v)", err)
	}
	inst.endpoint.Name, inst.endpoint.Namespace = cm.Metadata.Name, cm.Metadata.Namespace
	for k, v := range cm.Data {
		switch v {
		case endpointPlaceholder:
			inst.endpoint.HostKey = k
		case fmt.Sprint(endpointPlaceholderPort):
			inst.endpoint.PortKey = k
		}
	}
	if inst.endpoint.HostKey == "" || inst.endpoint.PortKey == "" || len(cm.Data) != 2 {
		return inst, fmt.Errorf("the kubernetes-services-endpoint ConfigMap has data %v: want one host key and one port key", cm.Data)
	}
	return inst, nil
}

// The addons.cluster.x-k8s.io/v1alpha1 HelmChartProxy fields the recipe sets, in their JSON
// names (kubernetes-sigs/cluster-api-addon-provider-helm api/v1alpha1/helmchartproxy_types.go:
// clusterSelector, repoURL, chartName, releaseName, namespace, version, valuesTemplate).
type (
	helmChartProxy struct {
		APIVersion string             `json:"apiVersion"`
		Kind       string             `json:"kind"`
		Metadata   objectMeta         `json:"metadata"`
		Spec       helmChartProxySpec `json:"spec"`
	}
	objectMeta struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	}
	helmChartProxySpec struct {
		ClusterSelector  labelSelector `json:"clusterSelector"`
		RepoURL          string        `json:"repoURL"`
		ChartName        string        `json:"chartName"`
		Version          string        `json:"version"`
		ReleaseName      string        `json:"releaseName"`
		ReleaseNamespace string        `json:"namespace"`
		ValuesTemplate   string        `json:"valuesTemplate"`
	}
	labelSelector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	}
)

// clusterNamespace is where clusterctl's template puts every object (templates/cluster-template-
// windows.yaml: namespace: default); a HelmChartProxy selects Clusters of its own namespace.
const clusterNamespace = "default"

// calicoLabelKey is the Cluster label the Calico HelmChartProxy selects on (CAPZ's HelmChartProxy
// selects cni: calico; windows-testing labels its clusters cni: ${CLUSTER_NAME}-calico). The
// windows flavor's Cluster carries no such label, so the recipe adds it with kubectl label.
const calicoLabelKey = "cni"

// renderHelmChartProxy is the HelmChartProxy that installs the tigera-operator chart on the
// workload cluster, its values being the rendered Installation's spec: the chart creates the
// Installation "default" from .Values.installation less "enabled"
// (charts/tigera-operator/templates/crs/custom-resources.yaml of the Calico source).
func renderHelmChartProxy(o Options, inst installation) ([]byte, error) {
	values, err := yaml.Marshal(map[string]any{"installation": inst.spec})
	if err != nil {
		return nil, fmt.Errorf("serialise the chart values: %w", err)
	}
	hcp := helmChartProxy{
		APIVersion: "addons.cluster.x-k8s.io/v1alpha1",
		Kind:       "HelmChartProxy",
		Metadata:   objectMeta{Name: o.calicoProxyName(), Namespace: clusterNamespace},
		Spec: helmChartProxySpec{
			ClusterSelector:  labelSelector{MatchLabels: map[string]string{calicoLabelKey: o.calicoProxyName()}},
			RepoURL:          chartRepo,
			ChartName:        chartName,
			Version:          o.CalicoVersion,
			ReleaseName:      chartRelease,
			ReleaseNamespace: operatorNamespace,
			ValuesTemplate:   string(values),
		},
	}
	b, err := yaml.Marshal(&hcp)
	if err != nil {
		return nil, fmt.Errorf("serialise the HelmChartProxy: %w", err)
	}
	return b, nil
}
