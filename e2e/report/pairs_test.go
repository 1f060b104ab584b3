package report

import (
	"reflect"
	"testing"
)

// A run reads only the probe results it wrote: a run whose setup failed must not print the
// diagnosis of an earlier run that used the same artifacts directory.
func TestPairsAreReadPerRun(t *testing.T) {
	dir := t.TempDir()
	earlier := []PairResult{{Scenario: "dns", Proto: "dns", Placement: "any", SrcNode: "w1", OK: false}}
	if err := SavePairs(dir, "e2e-conn-aaaa", 1, earlier); err != nil {
		t.Fatal(err)
	}
	if err := SavePairs(dir, "e2e-conn-aaaa", 2, earlier); err != nil {
		t.Fatal(err)
	}
	got, err := LoadPairs(dir, "e2e-conn-bbbb")
	if err != nil || len(got) != 0 {
		t.Fatalf("another run read %v, %v", got, err)
	}
	if Diagnose(got, "vxlan") != nil {
		t.Error("a run without probes must diagnose nothing")
	}
	got, err = LoadPairs(dir, "e2e-conn-aaaa")
	if err != nil || !reflect.DeepEqual(got, append(earlier, earlier...)) {
		t.Errorf("own run: %v, %v", got, err)
	}
	if got, _ := LoadPairs(dir, ""); got != nil {
		t.Errorf("no run key reads nothing, got %v", got)
	}
	if err := SavePairs(dir, "", 1, earlier); err == nil {
		t.Error("saving without a run key must fail")
	}
}
