package main

import (
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/calico-conformance/e2e/infra/lifecycle"
)

// Lane is one CI lane of ci/lanes.yaml.
type Lane struct {
	Name   string `json:"name"`
	Run    string `json:"run"`
	Expect string `json:"expect"`
	Output string `json:"output,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ParseLanes reads and validates a lanes file: every lane named once, a command, a known
// expectation, and a reason wherever the expectation is not a plain pass.
func ParseLanes(b []byte) ([]Lane, error) {
	var f struct {
		Lanes []Lane `json:"lanes"`
	}
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, l := range f.Lanes {
		switch {
		case l.Name == "" || seen[l.Name]:
			return nil, fmt.Errorf("lane %q: names must be set and unique", l.Name)
		case l.Run == "":
			return nil, fmt.Errorf("lane %s: run is empty", l.Name)
		case l.Expect != "pass" && !strings.HasPrefix(l.Expect, "exit:"):
			return nil, fmt.Errorf("lane %s: expect %q: valid values are pass, exit:N", l.Name, l.Expect)
		case l.Expect != "pass" && l.Reason == "":
			return nil, fmt.Errorf("lane %s: expects %s but gives no reason", l.Name, l.Expect)
		case strings.ContainsAny(l.Run+l.Output, "\x1f\n"):
			return nil, fmt.Errorf("lane %s: run/output must be one line", l.Name)
		}
		seen[l.Name] = true
	}
	if len(f.Lanes) == 0 {
		return nil, fmt.Errorf("no lanes")
	}
	return f.Lanes, nil
}

// lanesCmd prints the lanes for .ci/run, one per line, fields separated by \x1f.
func lanesCmd() error {
	if len(os.Args) < 3 {
		return lifecycle.UsageError{Msg: "usage: calico-e2e lanes <ci/lanes.yaml>"}
	}
	b, err := os.ReadFile(os.Args[2])
	if err != nil {
		return err
	}
	lanes, err := ParseLanes(b)
	if err != nil {
		return fmt.Errorf("%s: %w", os.Args[2], err)
	}
	for _, l := range lanes {
		fmt.Println(strings.Join([]string{l.Name, l.Expect, l.Output, l.Run}, "\x1f"))
	}
	return nil
}
