package matrix

import (
	"strings"
	"testing"
)

func TestAllCellsHaveValidUniqueLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All() {
		key := strings.Join(c.Labels(), ",")
		if seen[key] {
			t.Errorf("two cells share labels %s", key)
		}
		seen[key] = true
		for _, want := range []string{"scenario:", "proto:", "src-os:", "dst-os:", "placement:"} {
			if !strings.Contains(key, want) {
				t.Errorf("cell %v lacks a %s label", c, want)
			}
		}
	}
	// 2 protos × pod-to-pod + 2 × clusterip + nodeport + host-to-pod + mtu, each 4 OS pairs × 2
	// placements, plus 4 DNS variants × 2 source OSes, plus from the router to each destination OS
	// 8 ingress checks and 3 asymmetric paths.
	if want := (2+2+1+1+1)*4*2 + 4*2 + (8+3)*2; len(All()) != want {
		t.Fatalf("matrix has %d cells, want %d", len(All()), want)
	}
}

func TestLabelRegistryRejectsUnknownValues(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("label() accepted a value outside the registry")
		}
	}()
	label(KeyScenario, "pod-to-pdo")
}

func TestTitles(t *testing.T) {
	c := Cell{Scenario: PodToPod, Proto: UDP, Src: Windows, Dst: Linux, Placement: OtherNode}
	if got, want := c.Title(), "windows -> linux (other node)"; got != want {
		t.Errorf("Title() = %q, want %q", got, want)
	}
	if got, want := c.String(), "pod-to-pod/udp windows -> linux (other node)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestExpect(t *testing.T) {
	linuxOnly := ClusterShape{Mode: "vxlan", Nodes: map[OS]int{Linux: 3}}
	mixed := ClusterShape{Mode: "vxlan", Nodes: map[OS]int{Linux: 2, Windows: 1}}
	oneLinux := ClusterShape{Mode: "vxlan", Nodes: map[OS]int{Linux: 1}}
	ipipMixed := ClusterShape{Mode: "ipip", Nodes: map[OS]int{Linux: 2, Windows: 2}}
	p2p := func(src, dst OS, pl Placement) Cell {
		return Cell{Scenario: PodToPod, Proto: TCP, Src: src, Dst: dst, Placement: pl}
	}
	h2p := func(src, dst OS, pl Placement) Cell {
		return Cell{Scenario: HostToPod, Proto: TCP, Src: src, Dst: dst, Placement: pl}
	}
	cases := []struct {
		name  string
		cell  Cell
		shape ClusterShape
		want  Expectation
		skip  string // substring of the skip reason
	}{
		{"linux pair on linux cluster", p2p(Linux, Linux, OtherNode), linuxOnly, Expectation{Reachable: true}, ""},
		{"windows pair on linux cluster", p2p(Linux, Windows, OtherNode), linuxOnly, Expectation{}, "no windows nodes"},
		{"windows->linux on a mixed cluster", p2p(Windows, Linux, OtherNode), mixed, Expectation{Reachable: true}, ""},
		{"windows other-node with one windows node", p2p(Windows, Windows, OtherNode), mixed, Expectation{}, "two windows nodes"},
		{"windows same-node with one windows node", p2p(Windows, Windows, SameNode), mixed, Expectation{Reachable: true}, ""},
		{"other-node on one node", p2p(Linux, Linux, OtherNode), oneLinux, Expectation{}, "two linux nodes"},
		{"ipip with windows", p2p(Linux, Windows, OtherNode), ipipMixed, Expectation{}, "does not support IPIP"},
		{"ipip linux pair", p2p(Linux, Linux, OtherNode), ipipMixed, Expectation{Reachable: true}, ""},
		{"declared exclusion wins", Cell{Scenario: MTU, Proto: TCP, Src: Linux, Dst: Linux, Placement: SameNode}, linuxOnly, Expectation{}, "no path MTU"},
		{"cross-OS pair on one node", p2p(Linux, Windows, SameNode), mixed, Expectation{}, "a node runs one OS"},
		// host-network sources on Windows are HostProcess pods: their cells run where Windows nodes are
		{"windows host -> linux pod", h2p(Windows, Linux, OtherNode), mixed, Expectation{Reachable: true}, ""},
		{"windows host -> windows pod, same node", h2p(Windows, Windows, SameNode), mixed, Expectation{Reachable: true}, ""},
		{"windows host -> windows pod, other node", h2p(Windows, Windows, OtherNode), ipipMixed, Expectation{}, "does not support IPIP"},
		{"windows host -> windows pod, other node, vxlan", h2p(Windows, Windows, OtherNode), ClusterShape{Mode: "vxlan", Nodes: map[OS]int{Linux: 1, Windows: 2}}, Expectation{Reachable: true}, ""},
		{"windows host on a linux cluster", h2p(Windows, Linux, OtherNode), linuxOnly, Expectation{}, "no windows nodes"},
		{"windows host, same node, on a linux cluster", h2p(Windows, Windows, SameNode), linuxOnly, Expectation{}, "no windows nodes"},
		{"windows host -> linux pod on one node", h2p(Windows, Linux, SameNode), mixed, Expectation{}, "a node runs one OS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Expect(c.cell, c.shape)
			if got.Reachable != c.want.Reachable {
				t.Fatalf("Expect = %+v, want reachable=%v", got, c.want.Reachable)
			}
			if c.skip == "" && got.Skip != "" || c.skip != "" && !strings.Contains(got.Skip, c.skip) {
				t.Fatalf("skip reason %q, want it to contain %q", got.Skip, c.skip)
			}
		})
	}
}

func TestEveryExclusionMatchesSomeCell(t *testing.T) {
	for i, e := range exclusions {
		found := false
		for _, c := range All() {
			if e.match(c) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("exclusion %d (%s) matches no cell: dead declaration", i, e.reason)
		}
	}
}

func TestExpectRouterCells(t *testing.T) {
	kindBGP := ClusterShape{Mode: "noencap", Nodes: map[OS]int{Linux: 3}, Router: true, SecondNetwork: true}
	kindVXLAN := ClusterShape{Mode: "vxlan", Nodes: map[OS]int{Linux: 3}, Router: true, SecondNetwork: true}
	adopted := ClusterShape{Mode: "noencap", Nodes: map[OS]int{Linux: 3}}
	session := Cell{Scenario: BGPIngress, Proto: BGP, Variant: IngressSession, Src: External, Dst: Linux, Placement: AnyNode}
	pod := Cell{Scenario: BGPIngress, Proto: UDP, Variant: IngressPod, Src: External, Dst: Linux, Placement: AnyNode}
	asymTCP := Cell{Scenario: Asymmetric, Proto: TCP, Variant: PathSharedNetwork, Src: External, Dst: Linux, Placement: OtherNode}
	asymUDP := Cell{Scenario: Asymmetric, Proto: UDP, Variant: PathSharedNetwork, Src: External, Dst: Linux, Placement: OtherNode}
	second := Cell{Scenario: Asymmetric, Proto: UDP, Variant: PathSecondNetwork, Src: External, Dst: Linux, Placement: OtherNode}
	if e := Expect(session, kindBGP); e.Skip != "" || !e.Reachable {
		t.Errorf("session on BGP: %+v", e)
	}
	if e := Expect(session, kindVXLAN); !strings.Contains(e.Skip, "MODE=vxlan runs no BGP") {
		t.Errorf("session on vxlan must skip with the reason: %+v", e)
	}
	if e := Expect(pod, kindVXLAN); e.Skip != "" || !e.Reachable {
		t.Errorf("ingress to pods runs on vxlan through static routes: %+v", e)
	}
	if e := Expect(pod, adopted); !strings.Contains(e.Skip, "no external router") {
		t.Errorf("no router: %+v", e)
	}
	if e := Expect(asymTCP, kindBGP); e.Skip != "" || e.Reachable || !strings.Contains(e.Because, "conntrack INVALID") {
		t.Errorf("asymmetric TCP is expected dropped as INVALID: %+v", e)
	}
	if e := Expect(asymUDP, kindVXLAN); e.Skip != "" || !e.Reachable {
		t.Errorf("asymmetric UDP passes: %+v", e)
	}
	if e := Expect(second, ClusterShape{Mode: "vxlan", Nodes: map[OS]int{Linux: 3}, Router: true}); !strings.Contains(e.Skip, "no second network") {
		t.Errorf("second network missing: %+v", e)
	}
	win := asymUDP
	win.Dst = Windows
	if e := Expect(win, ClusterShape{Mode: "vxlan", Nodes: map[OS]int{Linux: 2, Windows: 2}, Router: true}); !strings.Contains(e.Skip, "Windows nodes are VMs") {
		t.Errorf("asymmetric to Windows: %+v", e)
	}
	if got := session.Labels(); !strings.Contains(strings.Join(got, ","), "ingress:session") || !strings.Contains(strings.Join(got, ","), "src-os:external") {
		t.Errorf("labels %v", got)
	}
}

func TestLocalPolicyNeedsBGP(t *testing.T) {
	cell := Cell{Scenario: BGPIngress, Proto: BGP, Variant: IngressLocalPolicy, Src: External, Dst: Linux, Placement: AnyNode}
	shape := ClusterShape{Mode: "vxlan", Nodes: map[OS]int{Linux: 3}, Router: true}
	if e := Expect(cell, shape); e.Skip == "" || !strings.Contains(e.Skip, "externalTrafficPolicy") {
		t.Errorf("vxlan: %+v, want a skip that says static routes cannot follow endpoints", e)
	}
	shape.Mode = "noencap"
	if e := Expect(cell, shape); e.Skip != "" || !e.Reachable {
		t.Errorf("noencap: %+v, want it to run", e)
	}
	ext := Cell{Scenario: BGPIngress, Proto: TCP, Variant: IngressExternalIP, Src: External, Dst: Linux, Placement: AnyNode}
	shape.Mode = "vxlan"
	if e := Expect(ext, shape); e.Skip != "" {
		t.Errorf("vxlan external-ip: %+v, want it to run through static routes", e)
	}
}

// The host-network sources of Windows nodes (HostProcess pods) are cells like any other: on a
// cluster with two Windows nodes in VXLAN mode each runs, except the pairs of two OSes on one
// node, which cannot exist.
func TestWindowsHostSourcesRun(t *testing.T) {
	shape := ClusterShape{Mode: "vxlan", Nodes: map[OS]int{Linux: 2, Windows: 2}}
	n := 0
	for _, c := range ForScenario(HostToPod) {
		if c.Src != Windows {
			continue
		}
		n++
		e := Expect(c, shape)
		if c.Placement == SameNode && c.Dst != Windows {
			if !strings.Contains(e.Skip, "a node runs one OS") {
				t.Errorf("%s: %+v, want the one-OS skip", c, e)
			}
			continue
		}
		if e.Skip != "" || !e.Reachable {
			t.Errorf("%s: %+v, want it to run and reach the pod", c, e)
		}
	}
	if n != 4 {
		t.Fatalf("%d host-to-pod cells from Windows, want 4 (2 destination OSes × 2 placements)", n)
	}
}

// On a Linux-only cluster every cell with a Windows end is skipped, each with its reason.
func TestWindowsCellsSkipOnLinuxCluster(t *testing.T) {
	shape := ClusterShape{Mode: "vxlan", Nodes: map[OS]int{Linux: 3}, Router: true, SecondNetwork: true}
	for _, c := range All() {
		if c.Src != Windows && c.Dst != Windows {
			continue
		}
		if e := Expect(c, shape); e.Skip == "" || e.Reachable {
			t.Errorf("%s on a Linux-only cluster: %+v, want a skip with its reason", c, e)
		}
	}
}
