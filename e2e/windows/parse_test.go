package windows

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseListHandlesCRLFAndWrapping(t *testing.T) {
	// Real output arrives with CRLF line ends; the parse must not depend on them.
	body := fixture(t, "hns-network/knabben-calico-overlay-mgmtip-vagrant-nat.txt")
	recs := ParseList(strings.ReplaceAll(body, "\n", "\r\n"))
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	ext := recs[0].Value("Extensions")
	if !strings.Contains(ext, "IsEnabled=True; Name=Microsoft Azure VFP Switch Extension}") || strings.Contains(ext, "\r") {
		t.Errorf("wrapped Extensions not joined: %q", ext)
	}
	if got := recs[0].Value("Version"); got != "38654705669" {
		t.Errorf("last property Version = %q", got)
	}
}

func TestParseListFirewallRuleObject(t *testing.T) {
	rules, err := ParseFirewallRules(fixture(t, "firewall/sdn-new-netfirewallrule-overlay4789udp.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 {
		t.Fatalf("%d rules", len(rules))
	}
	r := rules[0]
	got := []string{r.Name, r.DisplayName, r.Enabled, r.Direction, r.Action, r.Protocol, r.LocalPort}
	want := []string{"OverlayTraffic4789UDP", "Overlay Traffic 4789 UDP", "True", "Inbound", "Allow", "", ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rule %q, want %q", got, want)
	}
	if r.Line != 38 {
		t.Errorf("Name on line %d, want 38", r.Line)
	}
}

func TestParseFirewallRulesJSON(t *testing.T) {
	rules, err := ParseFirewallRules(synthetic(t, "firewall-rules-vxlan-disabled.json.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[0].Enabled != "False" || rules[0].LocalPort != "4789" || rules[1].Protocol != "TCP" {
		t.Errorf("rules %+v", rules)
	}
}

func TestParseHnsdiagListAll(t *testing.T) {
	d := ParseHnsdiag(fixture(t, "hnsdiag/sdn-hnsdiag-list-all-flannel-overlay.txt"))
	var nets []string
	for _, n := range d.Networks {
		nets = append(nets, n.Name)
	}
	if !reflect.DeepEqual(nets, []string{"nat", "External", "vxlan0"}) {
		t.Errorf("networks %q", nets)
	}
	if len(d.Endpoints) != 6 || d.Endpoints[0].Network != "vxlan0" || d.Endpoints[0].ID != "11796e63-07b3-4199-91d5-9bc25108fb41" {
		t.Errorf("endpoints %+v", d.Endpoints)
	}
	if len(d.Namespaces) != 0 {
		t.Errorf("namespaces %+v", d.Namespaces)
	}
	if len(d.LoadBalancers) != 4 {
		t.Fatalf("load balancers %+v", d.LoadBalancers)
	}
	dns := d.LoadBalancersFor("10.96.0.10")
	if len(dns) != 3 || !reflect.DeepEqual(dns[0].DIPIDs, []string{"fc0bbb8f-52a6-486f-bff8-10ab92859006", "07f382ab-8884-40ba-8adf-efe4c92e8608"}) {
		t.Errorf("kube-dns load balancers %+v", dns)
	}
}

func TestParseHnsdiagLoadBalancersEmptyVIP(t *testing.T) {
	d := ParseHnsdiag(fixture(t, "hnsdiag/zuo-hnsdiag-list-loadbalancers-flannel.txt"))
	if len(d.LoadBalancers) != 8 {
		t.Fatalf("%d load balancers", len(d.LoadBalancers))
	}
	if len(d.LoadBalancers[0].VIPs) != 0 || len(d.LoadBalancers[0].DIPIDs) != 1 {
		t.Errorf("LB without VIP parsed as %+v", d.LoadBalancers[0])
	}
	if n := len(d.LoadBalancersFor("10.96.0.10")); n != 3 {
		t.Errorf("%d kube-dns LBs, want 3", n)
	}
}

func TestParseHnsdiagEndpointBlocks(t *testing.T) {
	d := ParseHnsdiag(fixture(t, "hnsdiag/rke2windows-hnsdiag-list-endpoints-select-string.txt"))
	want := []HnsdiagEndpoint{{
		ID:        "c9385412-bdef-49f5-88b0-c9d484ef6716",
		Name:      "4a625a2b10a33b0dea96fe8743fb8e13504481ee9f481d179f8e75b8c98611d2_Calico",
		IPAddress: "10.42.213.221", Line: 3,
	}}
	if !reflect.DeepEqual(d.Endpoints, want) {
		t.Errorf("endpoints %+v", d.Endpoints)
	}
}

func TestParseVFPRules(t *testing.T) {
	groups := ParseVFPRules(fixture(t, "vfp/rke2windows-vfpctrl-acl-endpoint-layer-list-rule.txt"))
	if len(groups) != 1 {
		t.Fatalf("groups %+v", groups)
	}
	g := groups[0]
	if g.ID != "ACL_ENDPOINT_GROUP_IPV4_IN" || g.Direction != "IN" || g.Priority != 1 || g.Type != "IPv4" {
		t.Errorf("group %+v", g)
	}
	if len(g.Rules) != 2 {
		t.Fatalf("rules %+v", g.Rules)
	}
	r := g.Rules[0]
	if r.FriendlyName != "allow-host-to-endpoint" || r.Priority != 900 || r.Type != "allow" || r.Conditions["Source IP"] != "10.156.233.218" {
		t.Errorf("rule %+v", r)
	}
	if r2 := g.Rules[1]; r2.Priority != 1000 || len(r2.Conditions) != 0 || !strings.HasPrefix(r2.FriendlyName, "profile-kns.rke2-tcp-reset-test") {
		t.Errorf("rule %+v", r2)
	}
}

func TestParseVFPRulesEmptyLayer(t *testing.T) {
	body := fixture(t, "vfp/zuo-vfpctrl-vnet-encap-layer-empty-item-list.txt")
	if !strings.Contains(body, "ITEM LIST") {
		t.Fatal("fixture lost its banner")
	}
	if groups := ParseVFPRules(body); len(groups) != 0 {
		t.Errorf("empty layer gave %+v", groups)
	}
}

func TestParseVFPPorts(t *testing.T) {
	ports := ParseVFPPorts(fixture(t, "vfp/princepereira-list-vmswitch-port-select-string-container.txt"))
	want := []VFPPort{{Name: "4FD72AB0-2C35-4AE7-AC9A-F893495BD5EF", FriendlyName: "Container NIC 6c50381c",
		SwitchName: "04F2CC76-AE71-4E04-9B0B-D3F27D8BC4E3", SwitchFriendlyName: "ext", PortID: "1", Line: 3}}
	if !reflect.DeepEqual(ports, want) {
		t.Errorf("ports %+v", ports)
	}
}

func TestParseIPConfig(t *testing.T) {
	c := ParseIPConfig(fixture(t, "host-net/sdn-ipconfig-node-before-join.txt"))
	if len(c.Adapters) != 2 {
		t.Fatalf("adapters %+v", c.Adapters)
	}
	a := c.Adapters[0]
	if a.Kind != "Ethernet adapter" || a.Name != "Ethernet 2" || !reflect.DeepEqual(a.IPv4, []string{"10.0.0.6"}) ||
		!reflect.DeepEqual(a.SubnetMask, []string{"255.255.255.0"}) || !reflect.DeepEqual(a.Gateways, []string{"10.0.0.1"}) ||
		a.DNSSuffix != "shuzinpbx0mejpynpzhpeo0rwe.cx.internal.cloudapp.net" {
		t.Errorf("adapter %+v", a)
	}
	nat, ok := c.Adapter("(nat)")
	if !ok || nat.DNSSuffix != "" || !nat.Has("Connection-specific DNS Suffix") || len(nat.Gateways) != 0 || nat.IPv4[0] != "172.28.96.1" {
		t.Errorf("nat adapter %+v", nat)
	}
}

func TestParseIPConfigAllPasteDamaged(t *testing.T) {
	// The first lines lost their indent and a prompt is stuck after the block.
	c := ParseIPConfig(fixture(t, "host-net/knabben-host-ipconfig-all-vethernet-ethernet.txt"))
	if len(c.Adapters) != 1 {
		t.Fatalf("adapters %+v", c.Adapters)
	}
	a := c.Adapters[0]
	if a.Name != "vEthernet (Ethernet)" || a.Description != "Hyper-V Virtual Ethernet Adapter" || a.IPv4[0] != "192.168.122.220" ||
		!reflect.DeepEqual(a.DNSServers, []string{"192.168.122.1"}) || a.Gateways[0] != "192.168.122.1" {
		t.Errorf("adapter %+v", a)
	}
}

func TestParseIPConfigPod(t *testing.T) {
	c := ParseIPConfig(fixture(t, "host-net/knabben-pod-ipconfig-via-hcsdiag-calico.txt"))
	a, ok := c.Adapter("_Calico")
	if !ok || a.DNSSuffix != "cpu-resources-test-windows-7116.svc.cluster.local" || a.IPv4[0] != "192.168.15.167" {
		t.Errorf("pod adapter %+v", c.Adapters)
	}
	if a.Has("DNS Servers") {
		t.Errorf("plain ipconfig shows no DNS servers")
	}
}

func TestParseTablesTwoLineHeader(t *testing.T) {
	tbs := ParseTables(fixture(t, "host-net/rke2windows-get-dnsclientserveraddress-masked.txt"))
	if len(tbs) != 1 {
		t.Fatalf("tables %+v", tbs)
	}
	tb := tbs[0]
	if !reflect.DeepEqual(tb.Columns, []string{"InterfaceAlias", "InterfaceIndex", "AddressFamily", "ServerAddresses"}) {
		t.Errorf("columns %q", tb.Columns)
	}
	if len(tb.Rows) != 4 {
		t.Fatalf("rows %+v", tb.Rows)
	}
	r := tb.Rows[0]
	if r.Get("InterfaceAlias") != "vEthernet (Ethernet0)" || r.Get("InterfaceIndex") != "4" || r.Get("ServerAddresses") != "{10.xx.xx.xx, 10.xx.xx.xx}" {
		t.Errorf("row %+v", r.Cells)
	}
	if tb.Rows[3].Get("InterfaceAlias") != "Loopback Pseudo-Interface 1" {
		t.Errorf("row %+v", tb.Rows[3].Cells)
	}
}

func TestParseResolveDnsName(t *testing.T) {
	as := ParseResolveDnsName(fixture(t, "dns/msdocs-pr1972-resolve-dnsname-success.txt"))
	var got []string
	for _, a := range as {
		got = append(got, strings.Join([]string{a.Name, a.Type, a.TTL, a.Section, a.Data}, " "))
	}
	want := []string{"bing.com AAAA 882 Answer 2620:1ec:c11::200", "bing.com A 2442 Answer 13.107.21.200", "bing.com A 2442 Answer 204.79.197.200"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("answers %q", got)
	}
}

func TestParseNslookupTimeout(t *testing.T) {
	ls := ParseNslookup(fixture(t, "dns/msdocs-pr1972-nslookup-timeout-upstream-blocked.txt"))
	if len(ls) != 1 {
		t.Fatalf("lookups %+v", ls)
	}
	l := ls[0]
	if l.Query != "bing.com" || l.ServerAddress != "8.8.8.8" || l.Timeouts != 5 || l.Error != "timed out" || !l.Failed() {
		t.Errorf("lookup %+v", l)
	}
}

func TestParseNslookupNXDomainAndAnswer(t *testing.T) {
	ls := ParseNslookup(fixture(t, "dns/plang-ff-pod-ipconfig-and-nslookup-missing-dns-suffix.txt"))
	if len(ls) != 2 {
		t.Fatalf("lookups %+v", ls)
	}
	if l := ls[0]; l.Query != "db" || l.Error != "Non-existent domain" || l.ServerAddress != "10.0.0.10" || !l.Failed() {
		t.Errorf("short-name lookup %+v", l)
	}
	if l := ls[1]; l.Query != "db.ff.svc.cluster.local" || l.Failed() || !reflect.DeepEqual(l.Addresses, []string{"10.0.246.133"}) {
		t.Errorf("FQDN lookup %+v", l)
	}
}

func TestParseBgpPeersCollapsedTable(t *testing.T) {
	ps, err := ParseBgpPeers(fixture(t, "bgp/tigera-get-bgppeer-connected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 4 {
		t.Fatalf("peers %+v", ps)
	}
	want := BgpPeer{Name: "Mesh_172_20_48_43", LocalIP: "172.20.55.101", PeerIP: "172.20.48.43", PeerASN: "64512", OperationMode: "Mixed", Status: "Connected", Line: 3}
	if ps[0] != want {
		t.Errorf("peer %+v, want %+v", ps[0], want)
	}
}

func TestParseTablesCollapsedMissingCell(t *testing.T) {
	tbs := ParseTables(fixture(t, "bgp/tigera-get-bgprouteinformation-best.txt"))
	if len(tbs) != 1 || len(tbs[0].Rows) != 3 {
		t.Fatalf("tables %+v", tbs)
	}
	r := tbs[0].Rows[0]
	if r.Get("DestinationNetwork") != "10.243.128.192/26" || r.Get("LearnedFromPeer") != "Mesh_172_20_58_252" || r.Get("State") != "Best" || r.Get("LocalPref") != "100" || r.Get("MED") != "" {
		t.Errorf("row %+v", r.Cells)
	}
}

func TestCalicoLogVNIs(t *testing.T) {
	vs := CalicoLogVNIs("calico-node.log", fixture(t, "logs/knabben-calico-node-startup-vxlan-healthy.txt"))
	if len(vs) != 1 || vs[0].Value != 4096 || vs[0].Line != 12 || !strings.Contains(vs[0].Where, "Calico") {
		t.Errorf("VNIs %+v", vs)
	}
}

func TestParseBuild(t *testing.T) {
	for in, want := range map[string]Build{
		"10.0.17763":        {10, 0, 17763, -1},
		"10.0.20348.2340":   {10, 0, 20348, 2340},
		"10.0.17763.1432 x": {10, 0, 17763, 1432},
	} {
		got, err := ParseBuild(in)
		if err != nil || got != want {
			t.Errorf("ParseBuild(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ltsc2022", "10.0", "10.0.x"} {
		if _, err := ParseBuild(in); err == nil {
			t.Errorf("ParseBuild(%q) accepted", in)
		}
	}
}

func TestCommandsTable(t *testing.T) {
	names, files := map[string]bool{}, map[string]bool{}
	for _, c := range Commands {
		if c.Name == "" || c.File == "" || c.PowerShell == "" || c.Timeout <= 0 {
			t.Errorf("incomplete command %+v", c)
		}
		if names[c.Name] || files[c.File] {
			t.Errorf("duplicate name or file: %+v", c)
		}
		names[c.Name], files[c.File] = true, true
		if strings.HasSuffix(c.File, ".json") != strings.Contains(c.PowerShell, "ConvertTo-Json -Depth 20") {
			t.Errorf("%s: .json files and ConvertTo-Json -Depth 20 go together", c.Name)
		}
		if args := c.Args(); args[0] != "powershell.exe" || !strings.HasSuffix(args[len(args)-1], c.PowerShell) {
			t.Errorf("%s: args %q", c.Name, args)
		}
	}
	for _, want := range []string{"hns-networks", "hns-endpoints", "hns-policylists", "hnsdiag-list-all", "ipconfig-all", "firewall-rules"} {
		if !names[want] {
			t.Errorf("no %s collector", want)
		}
	}
}

func TestParseHnsErrorsLocalized(t *testing.T) {
	es := ParseHnsErrors(fixture(t, "hns-errors/zuo-invoke-hnsrequest-adapter-not-found-and-network-exists-zh.txt"))
	if len(es) != 2 {
		t.Fatalf("errors %+v", es)
	}
	if es[0].Hex() != "0x803B0006" || es[0].Message != "找不到适配器。" || es[0].Line != 4 {
		t.Errorf("first error %+v (%s)", es[0], es[0].Hex())
	}
	if es[1].Hex() != "0x803B0010" || es[1].Code != 2151350288 {
		t.Errorf("second error %+v (%s)", es[1], es[1].Hex())
	}
	if got := ParseHnsErrors("hnsCall failed in Win32: The network adapter was not found. (0x803b0006)"); len(got) != 1 || got[0].Code != 0x803B0006 {
		t.Errorf("HCN hex form: %+v", got)
	}
}

func TestParseListValueWithBlankLine(t *testing.T) {
	// RawContent spans lines and holds a blank line; Headers wraps mid-value.
	recs := ParseList(fixture(t, "connectivity/tigera-demo-invoke-webrequest-200-windows-to-windows.txt"))
	if len(recs) != 1 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	r := recs[0]
	if r.Value("StatusCode") != "200" || r.Value("RawContentLength") != "49" || r.Value("Forms") != "" {
		t.Errorf("record %+v", r.Props)
	}
	if raw := r.Value("RawContent"); !strings.HasPrefix(raw, "HTTP/1.1 200 OK Content-Length: 49") || !strings.HasSuffix(raw, "demo.") {
		t.Errorf("RawContent %q", raw)
	}
	if h := r.Value("Headers"); !strings.Contains(h, "[Content-Type, text/plain; charset=utf-8]") {
		t.Errorf("Headers %q", h)
	}
}
