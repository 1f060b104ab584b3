package router

import (
	"encoding/json"
	"fmt"
	v3 "github.com/projectcalico/api/pkg/apis/projectcalico/v3"
	"github.com/projectcalico/api/pkg/lib/numorstring"
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The Calico objects that make the cluster peer with the router, built from Calico's own API
// types (github.com/projectcalico/api, projectcalico.org/v3). That API group is served only by
// the Calico API server, which these clusters do not run; like calicoctl and libcalico-go in
// Kubernetes-datastore mode, the suite writes the backing crd.projectcalico.org/v1 custom
// resources, whose spec is the v3 spec (the CRD schema is generated from these types). The test
// checks every field the suite sets against the CRDs of the Calico manifest the suite applies.

// CalicoCRDGroupVersion is the API of Calico's custom resources in a cluster without the Calico
// API server.
var CalicoCRDGroupVersion = schema.GroupVersion{Group: "crd.projectcalico.org", Version: "v1"}

// The v3 types the suite sets, under the names its callers use.
type (
	BGPPeerSpec                = v3.BGPPeerSpec
	BGPPassword                = v3.BGPPassword
	BGPConfigurationSpec       = v3.BGPConfigurationSpec
	ServiceClusterIPBlock      = v3.ServiceClusterIPBlock
	ServiceExternalIPBlock     = v3.ServiceExternalIPBlock
	ServiceLoadBalancerIPBlock = v3.ServiceLoadBalancerIPBlock
	ASNumber                   = numorstring.ASNumber
)

// BGPPeer is a Calico BGPPeer (cluster-scoped). Without Node or NodeSelector it is a global peer:
// every node opens a session to PeerIP. With KeepOriginalNextHop each node advertises routes with
// their original next hop (BIRD "next hop keep"), so every pod block points to the node that owns
// it. Password is the session's TCP MD5 password, read from a Secret in calico-node's namespace
// (calico-node must be allowed to read it).
type BGPPeer struct {
	Name string
	Spec BGPPeerSpec
}

// BGPConfiguration is a Calico BGPConfiguration; the one named "default" is cluster-wide. Its
// ServiceClusterIPs, ServiceExternalIPs and ServiceLoadBalancerIPs are the service ranges every
// node advertises to its BGP peers.
type BGPConfiguration struct {
	Name string
	Spec BGPConfigurationSpec
}

// Unstructured returns the crd.projectcalico.org/v1 BGPPeer object, after checking the name,
// peer address, AS and password reference.
func (p BGPPeer) Unstructured() (*unstructured.Unstructured, error) {
	var errs []string
	errs = append(errs, checkName("BGPPeer", p.Name)...)
	s := p.Spec
	if s.PeerIP == "" {
		errs = append(errs, "BGPPeer spec.peerIP is empty: want the router's IPv4 address, e.g. 172.18.0.5")
	} else if _, err := netip.ParseAddr(s.PeerIP); err != nil {
		errs = append(errs, fmt.Sprintf("BGPPeer spec.peerIP %q is not an IP address: want e.g. 172.18.0.5", s.PeerIP))
	}
	if s.ASNumber != 0 {
		if err := validAS("BGPPeer spec.asNumber", uint32(s.ASNumber)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if s.Node != "" && s.NodeSelector != "" {
		errs = append(errs, "BGPPeer spec.node and spec.nodeSelector are both set: Calico accepts one")
	}
	if s.Password != nil && (s.Password.SecretKeyRef == nil || s.Password.SecretKeyRef.Name == "" || s.Password.SecretKeyRef.Key == "") {
		errs = append(errs, "BGPPeer spec.password needs secretKeyRef with a name and a key")
	}
	return toUnstructured("BGPPeer", p.Name, s, errs)
}

// Unstructured returns the crd.projectcalico.org/v1 BGPConfiguration object, after checking
// the name, AS and service CIDRs.
func (c BGPConfiguration) Unstructured() (*unstructured.Unstructured, error) {
	var errs []string
	errs = append(errs, checkName("BGPConfiguration", c.Name)...)
	s := c.Spec
	if s.ASNumber != nil {
		if err := validAS("BGPConfiguration spec.asNumber", uint32(*s.ASNumber)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	check := func(field, cidr string) {
		p, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf("BGPConfiguration spec.%s %q is not a CIDR: want e.g. 10.96.0.0/16", field, cidr))
		case p != p.Masked():
			errs = append(errs, fmt.Sprintf("BGPConfiguration spec.%s %q has host bits set: use %s", field, cidr, p.Masked()))
		}
	}
	for _, b := range s.ServiceClusterIPs {
		check("serviceClusterIPs", b.CIDR)
	}
	for _, b := range s.ServiceExternalIPs {
		check("serviceExternalIPs", b.CIDR)
	}
	for _, b := range s.ServiceLoadBalancerIPs {
		check("serviceLoadBalancerIPs", b.CIDR)
	}
	return toUnstructured("BGPConfiguration", c.Name, s, errs)
}

func checkName(kind, name string) []string {
	var errs []string
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, fmt.Sprintf("%s name %q: %s", kind, name, msg))
	}
	return errs
}

// toUnstructured converts spec into the object, or reports errs on one line. It goes through
// JSON, as the API server would: the converter of apimachinery keeps uint32 fields as uint64,
// which unstructured objects cannot deep-copy.
func toUnstructured(kind, name string, spec any, errs []string) (*unstructured.Unstructured, error) {
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid Calico %s %q: %s", kind, name, strings.Join(errs, "; "))
	}
	b, err := json.Marshal(map[string]any{
		"apiVersion": CalicoCRDGroupVersion.String(),
		"kind":       kind,
		"metadata":   map[string]any{"name": name},
		"spec":       spec,
	})
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", kind, name, err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", kind, name, err)
	}
	return u, nil
}
