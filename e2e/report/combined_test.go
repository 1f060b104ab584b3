package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCombined(t *testing.T) {
	dir := t.TempDir()
	vx := ModeResults{Mode: "vxlan", Meta: map[string]string{"mode": "vxlan"}, Cells: []Cell{
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "other-node", State: Pass},
		{Scenario: "bgp-ingress", Variant: "session", Proto: "bgp", SrcOS: "external", DstOS: "linux", Placement: "any", State: Skip, Reason: "no BGP in VXLAN mode"},
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "windows", DstOS: "linux", Placement: "other-node", State: Skip, Reason: "no Windows nodes"},
	}}
	if err := os.MkdirAll(filepath.Join(dir, "vxlan"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := SaveRun(filepath.Join(dir, "vxlan"), vx); err != nil {
		t.Fatal(err)
	}
	got, err := LoadRun(filepath.Join(dir, "vxlan"))
	if err != nil || got.Mode != "vxlan" || len(got.Cells) != 3 || got.Cells[1].Variant != "session" {
		t.Fatalf("LoadRun = %+v, %v; want the saved run back", got, err)
	}
	if _, err := LoadRun(filepath.Join(dir, "noencap")); err == nil || !strings.Contains(err.Error(), "stopped before its specs") {
		t.Errorf("LoadRun of a run without specs: %v, want why", err)
	}
	ne := ModeResults{Mode: "noencap", Cells: []Cell{
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "other-node", State: Fail, Reason: "no answer from 192.168.1.5"},
		{Scenario: "bgp-ingress", Variant: "session", Proto: "bgp", SrcOS: "external", DstOS: "linux", Placement: "any", State: Pass},
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "windows", DstOS: "linux", Placement: "other-node", State: Skip, Reason: "no Windows nodes"},
	}}
	ipip := ModeResults{Mode: "ipip"} // stopped in its preflight
	runs := []ModeResults{got, ne, ipip}

	s := CombinedSummary(runs)
	lines := strings.Split(strings.TrimSpace(s), "\n")
	want := [][]string{
		{"SCENARIO", "PROTO", "SRC", "->", "DST", "PLACEMENT", "VXLAN", "NOENCAP", "IPIP"},
		{"pod-to-pod", "tcp", "linux", "->", "linux", "other-node", "pass", "FAIL", "-"},
		{"bgp-ingress", "(session)", "bgp", "external", "->", "linux", "any", "skip", "pass", "-"},
	}
	for i, w := range want {
		if f := strings.Fields(lines[i]); strings.Join(f, " ") != strings.Join(w, " ") {
			t.Errorf("summary line %d = %q, want %q", i, lines[i], strings.Join(w, " "))
		}
	}
	if strings.Contains(s, "windows") {
		t.Errorf("a row every mode skipped is in the summary:\n%s", s)
	}
	for _, w := range []string{
		"FAIL noencap: pod-to-pod tcp linux -> linux other-node: no answer from 192.168.1.5",
		"MODE=vxlan: 1 passed, 0 failed, 2 skipped", "MODE=noencap: 1 passed, 1 failed, 1 skipped", "MODE=ipip: no cells ran",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("summary lacks %q:\n%s", w, s)
		}
	}

	md := CombinedMarkdown(runs)
	for _, w := range []string{
		"| scenario | proto | src → dst | placement | vxlan | noencap | ipip |",
		"| pod-to-pod | tcp | linux → linux | other-node | pass | FAIL: no answer from 192.168.1.5 | - |",
		"| pod-to-pod | tcp | windows → linux | other-node | skip: no Windows nodes | skip: no Windows nodes | - |",
		"## MODE=ipip\n\nNo cells ran", "| mode | vxlan |",
	} {
		if !strings.Contains(md, w) {
			t.Errorf("matrix.md lacks %q:\n%s", w, md)
		}
	}
}
