package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// spec builds a spec report for a cell from its label values: scenario, proto, src-os,
// dst-os, placement and, optionally, the DNS variant.
func spec(state types.SpecState, msg string, values ...string) types.SpecReport {
	keys := []string{"scenario", "proto", "src-os", "dst-os", "placement", "dns"}
	var labels []string
	for i, v := range values {
		labels = append(labels, keys[i]+":"+v)
	}
	return types.SpecReport{
		LeafNodeType:   types.NodeTypeIt,
		LeafNodeText:   strings.Join(values, " "),
		LeafNodeLabels: labels,
		State:          state,
		Failure:        types.Failure{Message: msg},
		RunTime:        time.Second,
	}
}

func TestCellsFromReport(t *testing.T) {
	fromContainer := spec(types.SpecStatePassed, "", "proto:tcp")
	fromContainer.LeafNodeLabels = []string{"src-os:linux", "dst-os:linux", "placement:other-node"}
	fromContainer.ContainerHierarchyLabels = [][]string{{"scenario:host-to-pod"}, {"proto:tcp"}}
	panicked := spec(types.SpecStatePanicked, "Test Panicked", "pod-to-nodeport", "tcp", "windows", "windows", "other-node")
	panicked.Failure.ForwardedPanic = "runtime error: index out of range [3] with length 3\ngoroutine 1"

	r := types.Report{SpecReports: []types.SpecReport{
		{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStatePassed},
		spec(types.SpecStatePassed, "", "mtu", "tcp", "linux", "linux", "other-node"),
		spec(types.SpecStateSkipped, "the Windows DNS probe is not written yet", "dns", "dns", "windows", "linux", "any", "fqdn"),
		spec(types.SpecStatePassed, "", "dns", "dns", "linux", "linux", "any", "kubernetes-default"),
		spec(types.SpecStatePassed, "", "dns", "dns", "linux", "linux", "any", "fqdn"),
		spec(types.SpecStateFailed, "\npod-to-pod/udp linux -> windows (other node): 1 of 2 probes failed\n  details", "pod-to-pod", "udp", "linux", "windows", "other-node"),
		spec(types.SpecStatePassed, "", "pod-to-pod", "tcp", "windows", "linux", "same-node"),
		spec(types.SpecStatePassed, "", "pod-to-pod", "tcp", "linux", "linux", "other-node"),
		spec(types.SpecStatePassed, "", "pod-to-pod", "tcp", "linux", "linux", "same-node"),
		spec(types.SpecStatePending, "", "pod-to-clusterip", "udp", "linux", "linux", "same-node"),
		spec(types.SpecStateInterrupted, "interrupted by user\nmore", "pod-to-clusterip", "tcp", "linux", "linux", "other-node"),
		spec(types.SpecStateAborted, "", "pod-to-clusterip", "tcp", "linux", "linux", "same-node"),
		spec(types.SpecStateTimedout, "A spec timeout occurred", "pod-to-nodeport", "tcp", "linux", "linux", "same-node"),
		spec(types.SpecStateSkipped, "", "pod-to-nodeport", "tcp", "linux", "windows", "same-node"),
		spec(types.SpecStateSkipped, "the cluster has no\nwindows nodes", "pod-to-nodeport", "tcp", "linux", "windows", "other-node"),
		panicked,
		fromContainer,
	}}

	type row struct{ key, state, reason string }
	want := []row{
		{"pod-to-pod tcp  linux linux same-node", Pass, ""},
		{"pod-to-pod tcp  linux linux other-node", Pass, ""},
		{"pod-to-pod tcp  windows linux same-node", Pass, ""},
		{"pod-to-pod udp  linux windows other-node", Fail, "pod-to-pod/udp linux -> windows (other node): 1 of 2 probes failed"},
		{"pod-to-clusterip tcp  linux linux same-node", Fail, "aborted"},
		{"pod-to-clusterip tcp  linux linux other-node", Fail, "interrupted: interrupted by user"},
		{"pod-to-clusterip udp  linux linux same-node", Fail, "pending: the spec is marked pending and did not run"},
		{"pod-to-nodeport tcp  linux linux same-node", Fail, "timed out: A spec timeout occurred"},
		{"pod-to-nodeport tcp  linux windows same-node", Skip, "no skip message (filtered out, or the run stopped before this spec)"},
		{"pod-to-nodeport tcp  linux windows other-node", Skip, "the cluster has no windows nodes"},
		{"pod-to-nodeport tcp  windows windows other-node", Fail, "panicked: runtime error: index out of range [3] with length 3"},
		{"host-to-pod tcp  linux linux other-node", Pass, ""},
		{"dns dns fqdn linux linux any", Pass, ""},
		{"dns dns fqdn windows linux any", Skip, "the Windows DNS probe is not written yet"},
		{"dns dns kubernetes-default linux linux any", Pass, ""},
		{"mtu tcp  linux linux other-node", Pass, ""},
	}
	var got []row
	for _, c := range CellsFromReport(r) {
		key := strings.Join([]string{c.Scenario, c.Proto, c.Variant, c.SrcOS, c.DstOS, c.Placement}, " ")
		got = append(got, row{key, c.State, c.Reason})
		if c.Duration != time.Second {
			t.Errorf("%s: Duration = %v, want 1s", key, c.Duration)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d cells, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d = %+v\n          want %+v", i, got[i], want[i])
		}
	}
}

func TestCellsFromReportUnknownValuesSortLast(t *testing.T) {
	r := types.Report{SpecReports: []types.SpecReport{
		spec(types.SpecStatePassed, "", "zz-new", "tcp", "linux", "linux", "same-node"),
		spec(types.SpecStatePassed, "", "aa-new", "tcp", "linux", "linux", "same-node"),
		spec(types.SpecStatePassed, "", "mtu", "sctp", "linux", "linux", "other-node"),
		spec(types.SpecStatePassed, "", "mtu", "tcp", "linux", "linux", "other-node"),
	}}
	var got []string
	for _, c := range CellsFromReport(r) {
		got = append(got, c.Scenario+"/"+c.Proto)
	}
	want := []string{"mtu/tcp", "mtu/sctp", "aa-new/tcp", "zz-new/tcp"}
	if !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

func sampleCells() []Cell {
	return []Cell{
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "same-node", State: Pass},
		{Scenario: "pod-to-pod", Proto: "udp", SrcOS: "linux", DstOS: "windows", Placement: "other-node", State: Fail,
			Reason: `expected "b-1", observed <nil> | retry: kubectl exec a -- sh -c 'x\|y'`},
		{Scenario: "dns", Variant: "fqdn", Proto: "dns", SrcOS: "windows", DstOS: "linux", Placement: "any", State: Skip,
			Reason: "not written yet"},
		{Scenario: "mtu", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "other-node", State: Pass},
	}
}

func TestMarkdown(t *testing.T) {
	md := Markdown(sampleCells(), map[string]string{"run id": "r-42", "mode": "vxlan", "versions": "k8s 1.33 | calico 3.30"})
	for _, want := range []string{
		"# Connectivity matrix\n",
		"| key | value |\n|---|---|\n| mode | vxlan |\n| run id | r-42 |\n| versions | k8s 1.33 \\| calico 3.30 |\n",
		"| scenario | proto | src → dst | placement | result |\n|---|---|---|---|---|\n",
		"| pod-to-pod | tcp | linux → linux | same-node | pass |\n",
		`| pod-to-pod | udp | linux → windows | other-node | FAIL: expected "b-1", observed \<nil\> \| retry: kubectl exec a -- sh -c 'x\\\|y' |` + "\n",
		"| dns (fqdn) | dns | windows → linux | any | skip: not written yet |\n",
		"\n2 passed, 1 failed, 1 skipped\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	// Every table row has exactly its column separators: no unescaped pipe inside a cell.
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| key") || strings.Contains(line, "| run id") || strings.Contains(line, "| mode") || strings.Contains(line, "| versions") {
			continue
		}
		if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != 6 {
			t.Errorf("row has %d unescaped pipes, want 6: %s", n, line)
		}
	}
}

func TestMarkdownEmpty(t *testing.T) {
	md := Markdown(nil, nil)
	if strings.Contains(md, "| key |") || !strings.Contains(md, "No matrix cells were run.") || !strings.HasSuffix(md, "0 passed, 0 failed, 0 skipped\n") {
		t.Errorf("empty Markdown:\n%s", md)
	}
}

func TestSummary(t *testing.T) {
	out := Summary(sampleCells())
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if got, want := lines[len(lines)-1], "cells: 2 passed, 1 failed, 1 skipped"; got != want {
		t.Errorf("last line = %q, want %q", got, want)
	}
	if len(lines) != 1+3+1+1 {
		t.Fatalf("got %d lines, want header, 3 rows that ran, 1 skip group and the totals:\n%s", len(lines), out)
	}
	col := strings.Index(lines[0], "RESULT")
	for i, want := range []string{"pass", `FAIL: expected "b-1", observed <nil> | retry: kubectl exec a -- sh -c 'x\|y'`, "pass"} {
		if got := lines[1+i][col:]; got != want {
			t.Errorf("row %d result column = %q, want %q (table not aligned?)", i, got, want)
		}
	}
	if got, want := lines[4], "skipped 1 cells: not written yet"; got != want {
		t.Errorf("skip group = %q, want %q", got, want)
	}
	if got, want := Summary(nil), "cells: 0 passed, 0 failed, 0 skipped\n"; got != want {
		t.Errorf("Summary(nil) = %q, want %q", got, want)
	}
}

func TestPhasesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if ps, err := LoadPhases(dir); err != nil || len(ps) != 0 {
		t.Fatalf("LoadPhases on an empty dir = %v, %v; want nothing, no error", ps, err)
	}
	if err := AppendPhase(dir, "cluster-up", 83*time.Second+456789*time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if err := AppendPhase(dir, "specs", 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ps, err := LoadPhases(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Phase{{"cluster-up", 83.457}, {"specs", 1.5}}
	if !slices.Equal(ps, want) {
		t.Errorf("LoadPhases = %v, want %v", ps, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != TimingsFile {
		t.Errorf("dir holds %v, want only %s (temporary files left behind?)", entries, TimingsFile)
	}
}

func TestAppendPhaseCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "artifacts", "run-1")
	if err := AppendPhase(dir, "down", time.Second); err != nil {
		t.Fatal(err)
	}
	if ps, err := LoadPhases(dir); err != nil || !slices.Equal(ps, []Phase{{"down", 1}}) {
		t.Errorf("LoadPhases = %v, %v", ps, err)
	}
}

func TestAppendPhaseKeepsCorruptFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, TimingsFile)
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPhases(dir); err == nil {
		t.Error("LoadPhases accepted a corrupt file")
	}
	if err := AppendPhase(dir, "up", time.Second); err == nil {
		t.Error("AppendPhase overwrote a corrupt file")
	}
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Errorf("file changed to %q", b)
	}
}

func TestFormatPhases(t *testing.T) {
	out := FormatPhases([]Phase{{"images", 30}, {"cluster-up", 60}, {"specs", 10}})
	want := "" +
		"images          30.0s   30%\n" +
		"cluster-up      60.0s   60%\n" +
		"specs           10.0s   10%\n" +
		"--------------------------\n" +
		"total          100.0s\n"
	if out != want {
		t.Errorf("FormatPhases =\n%s\nwant\n%s", out, want)
	}
	if got := FormatPhases(nil); got != "no phase timings recorded\n" {
		t.Errorf("FormatPhases(nil) = %q", got)
	}
}

// cluster is every probe of a matrix run on three Linux nodes a, b and c: each scenario from
// every node to every node (same-node for a node to itself), MTU across nodes only, and DNS
// from every node. A probe fails when fails says so.
func cluster(fails func(PairResult) bool) []PairResult {
	nodes := []string{"a", "b", "c"}
	var rs []PairResult
	add := func(r PairResult) {
		r.OK = !fails(r)
		rs = append(rs, r)
	}
	for _, sp := range []struct{ scenario, proto string }{
		{"pod-to-pod", "tcp"}, {"pod-to-pod", "udp"}, {"pod-to-clusterip", "tcp"}, {"pod-to-clusterip", "udp"},
		{"pod-to-nodeport", "tcp"}, {"host-to-pod", "tcp"}, {"mtu", "tcp"},
	} {
		for _, src := range nodes {
			for _, dst := range nodes {
				placement := "other-node"
				if src == dst {
					if sp.scenario == "mtu" {
						continue
					}
					placement = "same-node"
				}
				add(PairResult{Scenario: sp.scenario, Proto: sp.proto, Placement: placement, SrcNode: src, DstNode: dst})
			}
		}
	}
	for _, src := range nodes {
		add(PairResult{Scenario: "dns", Proto: "dns", Placement: "any", SrcNode: src})
	}
	return rs
}

func involvesC(r PairResult) bool { return r.SrcNode == "c" || r.DstNode == "c" }

func TestDiagnose(t *testing.T) {
	const (
		crossVXLAN   = "cross-node path is broken; check VXLAN (UDP 4789) between nodes, vxlan.calico routes/FDB"
		crossNoEncap = "cross-node path is broken; check BGP sessions and routes between nodes (birdcl show protocols)"
		crossIPIP    = "cross-node path is broken; check IP-in-IP (IP protocol 4) and tunl0"
		nodeC        = "every failing pair involves node c: start with c (its calico-node, routes, host firewall)"
		udp          = "only UDP fails while TCP passes"
		services     = "only Service traffic (ClusterIP/NodePort) fails while pod-to-pod passes: kube-proxy / service NAT"
		dns          = "only DNS fails while other traffic passes: CoreDNS / the kube-dns Service"
		mtuVXLAN     = "MTU, large packets are lost; compare the pod interface MTU with the node MTU minus the VXLAN overhead (50 bytes)"
	)
	// UDP 4789 dropped on node c: every pair crossing to or from c fails, and so does DNS from
	// c if CoreDNS runs elsewhere.
	vxlanDroppedOnC := func(r PairResult) bool {
		return (r.Placement == "other-node" && involvesC(r)) || (r.Scenario == "dns" && r.SrcNode == "c")
	}
	tests := []struct {
		name    string
		results []PairResult
		mode    string
		want    []string // each sentence contains its entry, in order
	}{
		{"nothing ran", nil, "vxlan", nil},
		{"all pass", cluster(func(PairResult) bool { return false }), "vxlan", nil},
		{"vxlan dropped on node c", cluster(vxlanDroppedOnC), "vxlan", []string{crossVXLAN, nodeC}},
		{"routes to node c missing (noencap)", cluster(vxlanDroppedOnC), "noencap", []string{crossNoEncap, nodeC}},
		{"ipip dropped on node c", cluster(vxlanDroppedOnC), "ipip", []string{crossIPIP, nodeC}},
		{"every cross-node pair fails", cluster(func(r PairResult) bool { return r.Placement == "other-node" }), "vxlan", []string{crossVXLAN}},
		{"udp only", cluster(func(r PairResult) bool { return r.Proto == "udp" && r.Placement == "other-node" }), "vxlan", []string{udp}},
		{"udp to services only", cluster(func(r PairResult) bool { return r.Proto == "udp" && r.Scenario == "pod-to-clusterip" }), "vxlan", []string{udp, services}},
		{"services only", cluster(func(r PairResult) bool { return r.Scenario == "pod-to-clusterip" || r.Scenario == "pod-to-nodeport" }), "vxlan", []string{services}},
		{"dns only", cluster(func(r PairResult) bool { return r.Scenario == "dns" }), "vxlan", []string{dns}},
		{"mtu only", cluster(func(r PairResult) bool { return r.Scenario == "mtu" }), "vxlan", []string{mtuVXLAN}},
		{"mtu only, noencap", cluster(func(r PairResult) bool { return r.Scenario == "mtu" }), "noencap", []string{"there is no tunnel"}},
		{"mtu only on node c", cluster(func(r PairResult) bool { return r.Scenario == "mtu" && involvesC(r) }), "vxlan", []string{nodeC, mtuVXLAN}},
		{"no pattern", cluster(func(r PairResult) bool {
			return (r.Scenario == "pod-to-pod" && r.Proto == "tcp" && r.SrcNode == "a" && r.DstNode == "a") ||
				(r.Scenario == "host-to-pod" && r.SrcNode == "b" && r.DstNode == "c")
		}), "vxlan", []string{"2 of 63 probes failed with no common pattern: read each failing probe's line and the failed cell's evidence directory"}},
		{"everything fails", cluster(func(PairResult) bool { return true }), "vxlan", []string{"63 of 63 probes failed with no common pattern"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diagnose(tt.results, tt.mode)
			if len(got) != len(tt.want) {
				t.Fatalf("Diagnose = %d causes, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, want := range tt.want {
				if !strings.Contains(got[i], want) {
					t.Errorf("cause %d = %q\nwant it to contain %q", i, got[i], want)
				}
			}
		})
	}
}

// Diagnose is fed the results of every process of a run: check the fixture is what the
// cases count on.
func TestClusterFixture(t *testing.T) {
	rs := cluster(func(PairResult) bool { return false })
	if got, want := len(rs), 6*9+6+3; got != want {
		t.Fatalf("fixture has %d probes, want %d", got, want)
	}
	if s := fmt.Sprint(rs[0]); s != "{pod-to-pod tcp same-node a a true}" {
		t.Errorf("first probe = %s", s)
	}
}
