package router_test

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/calico-conformance/e2e/infra/router"
	"github.com/calico-conformance/e2e/infra/versions"
	"github.com/calico-conformance/e2e/manifests"
)

func ptr[T any](v T) *T { return &v }

var (
	peer = router.BGPPeer{Name: "ext-router", Spec: router.BGPPeerSpec{
		PeerIP: "172.18.0.5", ASNumber: 65001, KeepOriginalNextHop: true,
		Password: &router.BGPPassword{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "bgp-password"}, Key: "password"}},
	}}
	bgpConfiguration = router.BGPConfiguration{Name: "default", Spec: router.BGPConfigurationSpec{
		LogSeverityScreen:      "Info",
		NodeToNodeMeshEnabled:  ptr(true),
		ASNumber:               ptr(router.ASNumber(64512)),
		ServiceClusterIPs:      []router.ServiceClusterIPBlock{{CIDR: "10.96.0.0/16"}},
		ServiceExternalIPs:     []router.ServiceExternalIPBlock{{CIDR: "172.30.0.0/24"}},
		ServiceLoadBalancerIPs: []router.ServiceLoadBalancerIPBlock{{CIDR: "172.31.0.0/24"}},
	}}
)

func TestBGPPeerUnstructured(t *testing.T) {
	u, err := peer.Unstructured()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apiVersion": "crd.projectcalico.org/v1",
		"kind":       "BGPPeer",
		"metadata":   map[string]any{"name": "ext-router"},
		"spec": map[string]any{
			"peerIP":              "172.18.0.5",
			"asNumber":            int64(65001),
			"keepOriginalNextHop": true,
			"password":            map[string]any{"secretKeyRef": map[string]any{"name": "bgp-password", "key": "password"}},
		},
	}
	if !reflect.DeepEqual(u.Object, want) {
		t.Errorf("BGPPeer object:\n got %#v\nwant %#v", u.Object, want)
	}
	// a global peer without the optional fields has only the two the reference recipe used
	u, err = router.BGPPeer{Name: "ext-router", Spec: router.BGPPeerSpec{PeerIP: "172.18.0.5", ASNumber: 65001}}.Unstructured()
	if err != nil {
		t.Fatal(err)
	}
	if spec, _, _ := unstructured.NestedMap(u.Object, "spec"); !reflect.DeepEqual(spec, map[string]any{"peerIP": "172.18.0.5", "asNumber": int64(65001)}) {
		t.Errorf("minimal BGPPeer spec = %v, want peerIP and asNumber only", spec)
	}
}

func TestBGPConfigurationUnstructured(t *testing.T) {
	u, err := bgpConfiguration.Unstructured()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apiVersion": "crd.projectcalico.org/v1",
		"kind":       "BGPConfiguration",
		"metadata":   map[string]any{"name": "default"},
		"spec": map[string]any{
			"logSeverityScreen":      "Info",
			"nodeToNodeMeshEnabled":  true,
			"asNumber":               int64(64512),
			"serviceClusterIPs":      []any{map[string]any{"cidr": "10.96.0.0/16"}},
			"serviceExternalIPs":     []any{map[string]any{"cidr": "172.30.0.0/24"}},
			"serviceLoadBalancerIPs": []any{map[string]any{"cidr": "172.31.0.0/24"}},
		},
	}
	if !reflect.DeepEqual(u.Object, want) {
		t.Errorf("BGPConfiguration object:\n got %#v\nwant %#v", u.Object, want)
	}
	// mesh off must be written, not omitted (omitted means Calico's default: on)
	u, err = router.BGPConfiguration{Name: "default", Spec: router.BGPConfigurationSpec{NodeToNodeMeshEnabled: ptr(false)}}.Unstructured()
	if err != nil {
		t.Fatal(err)
	}
	if mesh, found, _ := unstructured.NestedBool(u.Object, "spec", "nodeToNodeMeshEnabled"); !found || mesh {
		t.Errorf("nodeToNodeMeshEnabled = %v (found %v), want false written", mesh, found)
	}
}

// Every field the structs write is in the CRD schema of the Calico manifest the suite applies:
// the field names mirror Calico's exactly.
func TestCalicoFieldsMatchCRDs(t *testing.T) {
	v, err := versions.Pinned()
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("calico/v%s/calico.yaml", v.Calico)
	doc, err := manifests.FS.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]map[string]any{} // kind -> openAPIV3Schema
	for _, d := range bytes.Split(doc, []byte("\n---\n")) {
		var crd struct {
			Kind string
			Spec struct {
				Group, Scope string
				Names        struct{ Kind string }
				Versions     []struct {
					Name   string
					Schema struct{ OpenAPIV3Schema map[string]any }
				}
			}
		}
		if err := yaml.Unmarshal(d, &crd); err != nil || crd.Kind != "CustomResourceDefinition" || crd.Spec.Group != router.CalicoCRDGroupVersion.Group {
			continue
		}
		for _, ver := range crd.Spec.Versions {
			if ver.Name == router.CalicoCRDGroupVersion.Version && crd.Spec.Scope == "Cluster" {
				schemas[crd.Spec.Names.Kind] = ver.Schema.OpenAPIV3Schema
			}
		}
	}
	objs := []func() (*unstructured.Unstructured, error){peer.Unstructured, bgpConfiguration.Unstructured}
	for _, obj := range objs {
		u, err := obj()
		if err != nil {
			t.Fatal(err)
		}
		schema, ok := schemas[u.GetKind()]
		if !ok {
			t.Fatalf("%s has no cluster-scoped %s CRD of %s", path, u.GetKind(), router.CalicoCRDGroupVersion)
		}
		spec, _, _ := unstructured.NestedMap(u.Object, "spec")
		var missing []string
		checkSchema(u.GetKind()+".spec", spec, schema["properties"].(map[string]any)["spec"].(map[string]any), &missing)
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("fields not in the %s CRD of %s: %s", u.GetKind(), path, strings.Join(missing, ", "))
		}
	}
}

// checkSchema records every key of v that schema s does not declare.
func checkSchema(at string, v any, s map[string]any, missing *[]string) {
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for k, sub := range v {
			ps, ok := props[k].(map[string]any)
			if !ok {
				*missing = append(*missing, at+"."+k)
				continue
			}
			checkSchema(at+"."+k, sub, ps, missing)
		}
	case []any:
		items, _ := s["items"].(map[string]any)
		for _, e := range v {
			checkSchema(at+"[]", e, items, missing)
		}
	}
}

func TestCalicoValidation(t *testing.T) {
	for _, c := range []struct {
		name string
		obj  func() (*unstructured.Unstructured, error)
		want string
	}{
		{"peer without IP", router.BGPPeer{Name: "ext-router", Spec: router.BGPPeerSpec{ASNumber: 65001}}.Unstructured,
			`invalid Calico BGPPeer "ext-router": BGPPeer spec.peerIP is empty: want the router's IPv4 address, e.g. 172.18.0.5`},
		{"peer bad IP", router.BGPPeer{Name: "ext-router", Spec: router.BGPPeerSpec{PeerIP: "router"}}.Unstructured,
			`invalid Calico BGPPeer "ext-router": BGPPeer spec.peerIP "router" is not an IP address: want e.g. 172.18.0.5`},
		{"peer bad name", router.BGPPeer{Name: "Ext_Router", Spec: router.BGPPeerSpec{PeerIP: "172.18.0.5"}}.Unstructured,
			`invalid Calico BGPPeer "Ext_Router": BGPPeer name "Ext_Router": a lowercase RFC 1123 subdomain`},
		{"peer password without key", router.BGPPeer{Name: "p", Spec: router.BGPPeerSpec{PeerIP: "172.18.0.5",
			Password: &router.BGPPassword{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}}}}}.Unstructured,
			`invalid Calico BGPPeer "p": BGPPeer spec.password needs secretKeyRef with a name and a key`},
		{"config reserved AS", router.BGPConfiguration{Name: "default", Spec: router.BGPConfigurationSpec{ASNumber: ptr(router.ASNumber(23456))}}.Unstructured,
			`invalid Calico BGPConfiguration "default": BGPConfiguration spec.asNumber 23456 is reserved`},
		{"config host bits", router.BGPConfiguration{Name: "default", Spec: router.BGPConfigurationSpec{
			ServiceClusterIPs: []router.ServiceClusterIPBlock{{CIDR: "10.96.0.1/16"}}}}.Unstructured,
			`invalid Calico BGPConfiguration "default": BGPConfiguration spec.serviceClusterIPs "10.96.0.1/16" has host bits set: use 10.96.0.0/16`},
	} {
		u, err := c.obj()
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to start with %q", c.name, err, c.want)
		}
		if u != nil {
			t.Errorf("%s: returned an object with its error", c.name)
		}
	}
}
