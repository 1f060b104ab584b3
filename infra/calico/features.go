package calico

import (
	"fmt"

	"github.com/calico-conformance/e2e/infra/versions"
)

// Feature is a Calico capability the suite relies on, with the first release that has it and
// where that is recorded. Specs and setup gate on the detected (or installed) Calico version
// instead of failing on an older Calico for a reason that is not a bug.
type Feature struct {
	Name   string
	Since  string // first Calico release with the feature
	Source string // where the release is recorded
}

// The features of the external-router specs.
var (
	// FeatureServiceClusterIPs is BGPConfiguration spec.serviceClusterIPs (before it, an
	// environment variable of calico-node).
	FeatureServiceClusterIPs = Feature{"BGPConfiguration serviceClusterIPs", "3.10.0",
		"Calico v3.10 release notes (\"advertising Kubernetes service ClusterIPs ... via a BGPConfiguration\"); projectcalico/node#333"}
	// FeatureServiceExternalIPs is BGPConfiguration spec.serviceExternalIPs.
	FeatureServiceExternalIPs = Feature{"BGPConfiguration serviceExternalIPs", "3.10.0",
		"projectcalico/libcalico-go#1123 and projectcalico/confd#266 (September 2019), documented for v3.10 in projectcalico/calico#2868"}
	// FeatureServiceLoadBalancerIPs is BGPConfiguration spec.serviceLoadBalancerIPs, which
	// advertises status.loadBalancer.ingress IPs.
	FeatureServiceLoadBalancerIPs = Feature{"BGPConfiguration serviceLoadBalancerIPs", "3.18.0",
		"projectcalico/libcalico-go#1349 (\"Add service loadbalancer IP advertisement option to BGPConfiguration API\"), released in v3.18"}
	// FeatureKeepOriginalNextHop is BGPPeer spec.keepOriginalNextHop on a global peer: added
	// for node-scoped peers in v3.16 (projectcalico/confd#339), applied to global peers only
	// from v3.17 (projectcalico/confd#358, the fix of projectcalico/calico#4164 on v3.16.5).
	FeatureKeepOriginalNextHop = Feature{"BGPPeer keepOriginalNextHop on a global peer", "3.17.0",
		"projectcalico/confd#339 (v3.16, node-scoped peers) and projectcalico/confd#358 (global peers; projectcalico/calico#4164)"}
)

// FeatureWindowsOperator is Calico for Windows installed and upgraded by the Tigera operator
// (HostProcess containers, calico-node-windows in calico-system): the suite's install of clusters
// with Windows nodes.
var FeatureWindowsOperator = Feature{"Calico for Windows through the Tigera operator", "3.27.0",
	"tigera/operator#2732 (\"Add support for Windows hostprocess containers\"), shipped in v3.27 (projectcalico/calico#7996; kubernetes-sigs/sig-windows-tools#371: \"Since Calico version v3.27.0 ... using the operator\")"}

// Supported reports whether Calico version has f. When it has not, reason says which release
// brought it and where that is recorded. An unparsable version is an error.
func (f Feature) Supported(version string) (ok bool, reason string, err error) {
	ok, err = versions.AtLeast(version, f.Since)
	if err != nil {
		return false, "", fmt.Errorf("%s: Calico version: %w", f.Name, err)
	}
	if !ok {
		reason = fmt.Sprintf("%s needs Calico >= v%s (%s); this cluster runs %s", f.Name, f.Since, f.Source, version)
	}
	return ok, reason, nil
}
