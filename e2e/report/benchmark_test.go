package report

import (
	"strings"
	"testing"
)

func TestFormatBenchmark(t *testing.T) {
	runs := [][]Phase{
		{{"cluster up", 20}, {"calico ready", 30}, {"specs", 10}},
		{{"cluster up", 24}, {"calico ready", 22}, {"specs", 12}, {"teardown", 4}},
		{{"cluster up", 22}, {"calico ready", 26}, {"specs", 11}, {"teardown", 3}},
	}
	out := FormatBenchmark(runs)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("want header + 4 phases + total, got:\n%s", out)
	}
	for _, want := range []string{"run 1", "run 3", "median"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("header %q lacks %q", lines[0], want)
		}
	}
	checks := map[int][]string{
		1: {"cluster up", "22.0s"},   // median of 20, 24, 22
		2: {"calico ready", "26.0s"}, // median of 30, 22, 26
		4: {"teardown", "-", "3.5s"}, // missing in run 1: median of the two present
		5: {"total", "60.0s", "62.0s", "62.0s"},
	}
	for i, wants := range checks {
		for _, w := range wants {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %q lacks %q", lines[i], w)
			}
		}
	}
}

func TestMedian(t *testing.T) {
	if Median(nil) != 0 || Median([]float64{3}) != 3 || Median([]float64{4, 1, 3, 2}) != 2.5 {
		t.Fatal("Median is wrong")
	}
}

func TestSummaryGroupsSkips(t *testing.T) {
	cells := []Cell{
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "same-node", State: Pass},
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "other-node", State: Fail, Reason: "2 of 6 probes failed"},
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "windows", Placement: "same-node", State: Skip, Reason: "the cluster has no windows nodes"},
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "windows", DstOS: "linux", Placement: "same-node", State: Skip, Reason: "the cluster has no windows nodes"},
		{Scenario: "mtu", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "same-node", State: Skip, Reason: "no path MTU"},
	}
	out := Summary(cells)
	for _, want := range []string{"FAIL: 2 of 6 probes failed", "skipped 2 cells: the cluster has no windows nodes", "skipped 1 cells: no path MTU",
		"cells: 1 passed, 1 failed, 3 skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("Summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "windows -> linux") {
		t.Errorf("Summary lists a skipped cell as a row:\n%s", out)
	}
}
