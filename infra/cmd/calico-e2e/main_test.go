package main

import (
	"os"
	"strings"
	"testing"

	"github.com/calico-conformance/e2e/e2e/report"
)

func TestCommittedLanesParse(t *testing.T) {
	b, err := os.ReadFile("../../../ci/lanes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lanes, err := ParseLanes(b)
	if err != nil {
		t.Fatal(err)
	}
	if lanes[0].Run != "make test" {
		t.Errorf("the first lane runs %q; the README's test command (make test) must come first", lanes[0].Run)
	}
}

func TestLaneValidation(t *testing.T) {
	cases := map[string]string{
		"lanes: [{name: a, run: x, expect: fail}]":                                  "valid values are pass, exit:N",
		"lanes: [{name: a, run: x, expect: 'exit:3'}]":                              "gives no reason",
		"lanes: [{name: a, run: x, expect: pass}, {name: a, run: y, expect: pass}]": "unique",
		"lanes: [{name: a, expect: pass}]":                                          "run is empty",
		"lanes: []":                                                                 "no lanes",
	}
	for doc, want := range cases {
		if _, err := ParseLanes([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseLanes(%s) = %v, want an error containing %q", doc, err, want)
		}
	}
}

func TestFaultVerdict(t *testing.T) {
	cases := []struct {
		cell     report.Cell
		wantFail bool
		ok       bool
	}{
		{report.Cell{Scenario: "pod-to-pod", Placement: "other-node", State: "fail"}, true, true},
		{report.Cell{Scenario: "pod-to-pod", Placement: "other-node", State: "pass"}, true, false},
		{report.Cell{Scenario: "pod-to-pod", Placement: "same-node", State: "pass"}, false, true},
		{report.Cell{Scenario: "pod-to-nodeport", Placement: "same-node", State: "fail"}, false, false},
		{report.Cell{Scenario: "pod-to-nodeport", Placement: "other-node", State: "pass"}, false, true},
		{report.Cell{Scenario: "pod-to-clusterip", Placement: "other-node", State: "fail"}, true, true},
		{report.Cell{Scenario: "dns", Placement: "any", State: "fail"}, true, true},
		{report.Cell{Scenario: "mtu", Placement: "same-node", State: "skip"}, false, true},
	}
	for _, c := range cases {
		wantFail, ok := FaultVerdict(c.cell)
		if (c.cell.State != "skip" && wantFail != c.wantFail) || ok != c.ok {
			t.Errorf("FaultVerdict(%+v) = %v, %v; want %v, %v", c.cell, wantFail, ok, c.wantFail, c.ok)
		}
	}
}
