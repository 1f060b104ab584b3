package main

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The --json form is the GitHub Actions matrix of .github/workflows/e2e.yaml: one line (a step
// output), every lane of ci/lanes.yaml in order, each field as the lanes file gives it.
func TestWriteLanesJSON(t *testing.T) {
	b, err := os.ReadFile("../../../ci/lanes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lanes, err := ParseLanes(b)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteLanes(&out, lanes, true); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 1 || !strings.HasSuffix(out.String(), "\n") {
		t.Fatalf("--json printed %d lines, want one line:\n%s", n, out.String())
	}
	var got []Lane
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("--json output is not a JSON array of lanes: %v\n%s", err, out.String())
	}
	if !reflect.DeepEqual(got, lanes) {
		t.Errorf("--json round trip = %+v, want %+v", got, lanes)
	}
	var raw []map[string]any
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "run", "expect"} { // what the workflow reads as matrix.lane.*
		if _, ok := raw[0][k]; !ok {
			t.Errorf("--json lane %v has no %q field", raw[0], k)
		}
	}
}

// The default form is what .ci/run reads: name, expect, output, run separated by \x1f.
func TestWriteLanesFields(t *testing.T) {
	lanes := []Lane{
		{Name: "unit", Run: "make test", Expect: "pass"},
		{Name: "ipip", Run: "MODE=ipip hack/e2e.sh", Expect: "exit:3", Output: "needs IPIP", Reason: "no IPIP here"},
	}
	var out bytes.Buffer
	if err := WriteLanes(&out, lanes, false); err != nil {
		t.Fatal(err)
	}
	want := "unit\x1fpass\x1f\x1fmake test\nipip\x1fexit:3\x1fneeds IPIP\x1fMODE=ipip hack/e2e.sh\n"
	if out.String() != want {
		t.Errorf("WriteLanes = %q, want %q", out.String(), want)
	}
}
