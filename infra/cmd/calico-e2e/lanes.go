package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
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

// lanesCmd prints the lanes for .ci/run, one per line, fields separated by \x1f; with --json,
// one line holding a JSON array of the lanes (a GitHub Actions matrix: .github/workflows/e2e.yaml).
func lanesCmd() error {
	fs := flag.NewFlagSet("lanes", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the lanes as one JSON array")
	const usage = "usage: calico-e2e lanes [--json] <ci/lanes.yaml>"
	if err := fs.Parse(os.Args[2:]); err != nil {
		return lifecycle.UsageError{Msg: err.Error() + "; " + usage}
	}
	if fs.NArg() != 1 {
		return lifecycle.UsageError{Msg: usage}
	}
	file := fs.Arg(0)
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	lanes, err := ParseLanes(b)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return WriteLanes(os.Stdout, lanes, *asJSON)
}

// WriteLanes prints lanes one per line with fields separated by \x1f (name, expect, output,
// run: what .ci/run reads), or as one line of JSON when asJSON is set.
func WriteLanes(w io.Writer, lanes []Lane, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(lanes)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	for _, l := range lanes {
		if _, err := fmt.Fprintln(w, strings.Join([]string{l.Name, l.Expect, l.Output, l.Run}, "\x1f")); err != nil {
			return err
		}
	}
	return nil
}
