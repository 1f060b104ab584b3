// Package findings names the causes of failures from collected evidence. A finding is what a
// person needs to act: which known problem it is (ID), where (Nodes), one sentence of cause,
// the evidence that supports it (file and lines), and the fix a person would try.
//
// Rules are plain functions over parsed evidence (no cluster access), one per known problem,
// each tested on recorded real output. Collectors gather evidence; rules decide. A healthy
// cluster produces no findings.
package findings

import (
	"fmt"
	"sort"
	"strings"
)

// Ref points at the evidence a finding rests on: a file of the evidence bundle (relative to
// the evidence directory) and, where known, the lines (1-based) and their text.
type Ref struct {
	File  string `json:"file"`
	Lines []int  `json:"lines,omitempty"`
	// Excerpt is the supporting text, short (one or a few lines).
	Excerpt string `json:"excerpt,omitempty"`
}

// Finding is one named cause.
type Finding struct {
	// ID is stable and kebab-case, e.g. "vxlan-dropped", "hns-mgmt-ip-mismatch".
	ID       string   `json:"id"`
	Nodes    []string `json:"nodes,omitempty"`
	Cause    string   `json:"cause"`
	Evidence []Ref    `json:"evidence,omitempty"`
	Fix      string   `json:"fix"`
}

// String is the finding on one line, as the failure message and the report list it:
// "[vxlan-dropped] node w1: <cause> (fix: ...; evidence: node-w1.txt:12)".
func (f Finding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] ", f.ID)
	if len(f.Nodes) > 0 {
		fmt.Fprintf(&b, "%s %s: ", plural(len(f.Nodes), "node", "nodes"), strings.Join(f.Nodes, ", "))
	}
	b.WriteString(f.Cause)
	var tail []string
	if f.Fix != "" {
		tail = append(tail, "fix: "+f.Fix)
	}
	if len(f.Evidence) > 0 {
		var refs []string
		for _, r := range f.Evidence {
			refs = append(refs, r.String())
		}
		tail = append(tail, "evidence: "+strings.Join(refs, ", "))
	}
	if len(tail) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(tail, "; "))
	}
	return b.String()
}

// String reads "file:3,7" or "file".
func (r Ref) String() string {
	if len(r.Lines) == 0 {
		return r.File
	}
	var ls []string
	for _, l := range r.Lines {
		ls = append(ls, fmt.Sprint(l))
	}
	return r.File + ":" + strings.Join(ls, ",")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Sort orders findings by ID, then by their first node, so reports are stable.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].ID != fs[j].ID {
			return fs[i].ID < fs[j].ID
		}
		return strings.Join(fs[i].Nodes, ",") < strings.Join(fs[j].Nodes, ",")
	})
}
