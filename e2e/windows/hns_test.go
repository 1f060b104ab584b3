package windows

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseHnsNetworksList(t *testing.T) {
	cases := []struct {
		file                              string
		name, typ, mgmtIP, adapter, drMac string
		subnet                            string
		remote                            []string // DestinationPrefix ProviderAddress IsolationId
		mgmtLine                          int
	}{
		{"hns-network/knabben-calico-overlay-mgmtip-vagrant-nat.txt", "Calico", "Overlay", "10.0.2.15", "", "00-15-5D-64-51-0E",
			"100.244.206.64/26", []string{"100.244.49.64/26 10.20.30.10 4096"}, 16},
		// the wrapped Extensions/Resources/Subnets lines lost their indentation in this one
		{"hns-network/knabben-calico-overlay-healthy.txt", "Calico", "Overlay", "10.20.30.11", "", "00-15-5D-B9-70-84",
			"100.244.206.64/26", []string{"100.244.49.64/26 10.20.30.10 4096"}, 16},
		{"hns-network/sdn-get-hnsnetwork-external-overlay-bootstrap.txt", "External", "overlay", "10.0.0.6", "Ethernet 2", "00-15-5D-7B-82-55",
			"192.168.255.0/30", nil, 14},
	}
	for _, c := range cases {
		nets, err := ParseHnsNetworks(fixture(t, c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if len(nets) != 1 {
			t.Fatalf("%s: %d networks, want 1: %+v", c.file, len(nets), nets)
		}
		n := nets[0]
		got := []string{n.Name, n.Type, n.ManagementIP, n.NetworkAdapterName, n.DrMacAddress}
		want := []string{c.name, c.typ, c.mgmtIP, c.adapter, c.drMac}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", c.file, got, want)
		}
		if len(n.Subnets) != 1 || n.Subnets[0].AddressPrefix != c.subnet {
			t.Errorf("%s: subnets %+v, want %s", c.file, n.Subnets, c.subnet)
		}
		var remote []string
		for _, p := range n.RemoteSubnetRoutes() {
			remote = append(remote, strings.Join([]string{p.Get("DestinationPrefix"), p.Get("ProviderAddress"), p.Get("IsolationId")}, " "))
		}
		if !reflect.DeepEqual(remote, c.remote) {
			t.Errorf("%s: remote routes %q, want %q", c.file, remote, c.remote)
		}
		if n.PoliciesTruncated {
			t.Errorf("%s: policies marked truncated", c.file)
		}
		if n.Lines["ManagementIP"] != c.mgmtLine {
			t.Errorf("%s: ManagementIP on line %d, want %d", c.file, n.Lines["ManagementIP"], c.mgmtLine)
		}
		if !n.Has("Health") || n.ID == "" {
			t.Errorf("%s: expected Health and ID properties", c.file)
		}
	}
}

func TestParseHnsEndpointsList(t *testing.T) {
	eps, err := ParseHnsEndpoints(fixture(t, "hns-endpoint/rke2windows-get-hnsendpoint-list.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 1 {
		t.Fatalf("%d endpoints, want 1", len(eps))
	}
	e := eps[0]
	if e.IPAddress != "10.42.213.221" || e.VirtualNetworkName != "Calico" || e.IsRemoteEndpoint {
		t.Errorf("endpoint %+v", e)
	}
	if !reflect.DeepEqual(e.DNSServerList, []string{"10.43.0.10"}) {
		t.Errorf("DNSServerList %q", e.DNSServerList)
	}
	if !reflect.DeepEqual(e.DNSSuffix, []string{"rke2-tcp-reset-test.svc.cluster.local", "svc.cluster.local", "cluster.local"}) {
		t.Errorf("DNSSuffix %q", e.DNSSuffix)
	}
	// Policies end in "...}": four shown, more exist.
	if !e.PoliciesTruncated {
		t.Errorf("policies not marked truncated")
	}
	var types []string
	for _, p := range e.Policies {
		types = append(types, p.Type)
	}
	if !reflect.DeepEqual(types, []string{"OutBoundNAT", "ROUTE", "PA", "ACL"}) {
		t.Errorf("policy types %q", types)
	}
	if _, known := e.PoliciesOf("OutBoundNAT")[0].List("ExceptionList"); known {
		t.Errorf("ExceptionList printed as System.Object[] must be unknown")
	}
	route := e.PoliciesOf("ROUTE")[0]
	if route.Get("DestinationPrefix") != "10.43.0.0/16" || route.Get("NeedEncap") != "True" {
		t.Errorf("ROUTE %+v", route)
	}
	if pa := e.PoliciesOf("PA")[0].Get("PA"); pa != "10.156.233.218" {
		t.Errorf("PA %q", pa)
	}
	acl := e.PoliciesOf("ACL")[0]
	if acl.Get("Id") != "allow-host-to-endpoint" || acl.Get("Priority") != "900" || acl.Get("RemoteAddresses") != "10.156.233.218/32" {
		t.Errorf("ACL %+v", acl)
	}
}

func TestParseHnsEndpointsRemoteVIP(t *testing.T) {
	eps, err := ParseHnsEndpoints(fixture(t, "hns-endpoint/knabben-get-hnsendpoint-overlay-with-remote-vip.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range eps {
		got = append(got, e.IPAddress+map[bool]string{true: " remote", false: ""}[e.IsRemoteEndpoint])
	}
	want := []string{"10.99.234.145 remote", "100.244.206.68", "100.244.206.69", "100.244.206.70"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("endpoints %q, want %q", got, want)
	}
	if pa := eps[0].PoliciesOf("PA"); len(pa) != 1 || pa[0].Get("PA") != "10.20.30.11" {
		t.Errorf("remote endpoint PA %+v", pa)
	}
	if eps[1].Has("DNSSuffix") {
		t.Errorf("DNSSuffix was not printed for this endpoint; Has must be false")
	}
}

// The author trimmed this JSON with "..." lines; it is read as far as it goes.
func TestParseHnsEndpointsTrimmedJSON(t *testing.T) {
	eps, err := ParseHnsEndpoints(fixture(t, "hns-endpoint/knabben-endpoint-json-collectlogs-trimmed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 1 {
		t.Fatalf("%d endpoints, want 1", len(eps))
	}
	e := eps[0]
	if e.IPAddress != "100.244.206.67" || !reflect.DeepEqual(e.DNSServerList, []string{"10.96.0.10"}) || len(e.DNSSuffix) != 3 {
		t.Errorf("endpoint %+v", e)
	}
	if !e.PoliciesTruncated {
		t.Errorf("trimmed JSON must mark policies truncated")
	}
	exc, known := e.PoliciesOf("OutBoundNAT")[0].List("ExceptionList")
	if !known || !reflect.DeepEqual(exc, []string{"10.96.0.0/12", "100.244.0.0/16"}) {
		t.Errorf("ExceptionList %q (known %v)", exc, known)
	}
	if r := e.PoliciesOf("ROUTE"); len(r) != 1 || r[0].Get("NeedEncap") != "True" {
		t.Errorf("ROUTE %+v", r)
	}
	if e.Lines["DNSSuffix"] != 5 || e.Lines["IPAddress"] != 14 {
		t.Errorf("lines %v", e.Lines)
	}
}

func TestParseHnsPolicyLists(t *testing.T) {
	pls, err := ParseHnsPolicyLists(fixture(t, "hns-policylist/knabben-get-hnspolicylist-elb-clusterip.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pls) != 1 {
		t.Fatalf("%d policy lists", len(pls))
	}
	pl := pls[0]
	if pl.ID != "A335D997-4160-44F9-9F72-1087A2CBA45E" || pl.IsApplied != "False" {
		t.Errorf("%+v", pl)
	}
	want := []string{"/endpoints/028abaed-7ff6-4fdc-992c-d3b004936be0", "/endpoints/e84bad42-a6ee-40a8-8145-c9f084654774", "/endpoints/77c53bac-a359-45cc-a663-541344ee505a"}
	if !reflect.DeepEqual(pl.References, want) {
		t.Errorf("references %q", pl.References)
	}
	if len(pl.Policies) != 1 {
		t.Fatalf("policies %+v", pl.Policies)
	}
	elb := pl.Policies[0]
	got := []string{elb.Type, elb.Get("ExternalPort"), elb.Get("InternalPort"), elb.Get("Protocol"), elb.Get("SourceVIP")}
	if !reflect.DeepEqual(got, []string{"ELB", "80", "8080", "6", "100.244.206.66"}) {
		t.Errorf("ELB %q", got)
	}
	if _, known := elb.List("VIPs"); known {
		t.Errorf("VIPs printed as System.Object[] must be unknown")
	}
}
