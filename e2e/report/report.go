// Package report turns a conformance run into things a person reads: the connectivity matrix
// (one row per cell, as Markdown for the artifacts and as an aligned table for the terminal),
// the time each phase of the run took, and a short diagnosis of the likely cause when probes
// fail.
//
// A cell is a Ginkgo spec carrying key:value labels (scenario:, proto:, src-os:, dst-os:,
// placement:, and dns: for DNS cells); specs without a scenario: label are not cells.
package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/internal/msg"
)

// States of a cell.
const (
	Pass = "pass"
	Fail = "fail"
	Skip = "skip"
)

// Cell is the outcome of one matrix cell.
type Cell struct {
	Scenario, Variant, Proto, SrcOS, DstOS, Placement string
	// State is Pass, Fail or Skip.
	State string
	// Reason is the skip message, or the first line of the failure message; empty for a pass.
	Reason   string
	Duration time.Duration
	// Evidence is the value of the spec's EvidenceEntry report entry: a failed cell's evidence
	// directory, or why none was collected; empty when the spec recorded none.
	Evidence string
}

// Label keys read from a cell's spec; the matrix owns them.
const (
	keyScenario  = matrix.KeyScenario
	keyProto     = matrix.KeyProto
	keyVariant   = "variant" // the value of whichever of matrix.VariantKeys the cell has
	keySrcOS     = matrix.KeySrcOS
	keyDstOS     = matrix.KeyDstOS
	keyPlacement = matrix.KeyPlacement
)

// Report order of each label's values (the matrix's order); a value not listed sorts after
// the listed ones. Cells without a DNS variant come first.
var order = map[string][]string{
	keyScenario:  matrix.LabelValues(keyScenario),
	keyProto:     matrix.LabelValues(keyProto),
	keyVariant:   variantOrder(),
	keySrcOS:     matrix.LabelValues(keySrcOS),
	keyDstOS:     matrix.LabelValues(keyDstOS),
	keyPlacement: matrix.LabelValues(keyPlacement),
}

// Scenario label values the diagnosis reasons about.
const (
	scenarioPodToPod  = string(matrix.PodToPod)
	scenarioClusterIP = string(matrix.PodToClusterIP)
	scenarioNodePort  = string(matrix.PodToNodePort)
	scenarioDNS       = string(matrix.DNS)
	scenarioMTU       = string(matrix.MTU)
)

// CellsFromReport extracts the matrix cells from a suite report, in report order: scenario
// (pod-to-pod, pod-to-clusterip, pod-to-nodeport, host-to-pod, dns, mtu), then protocol, DNS
// variant, source OS, destination OS and placement.
func CellsFromReport(r types.Report) []Cell {
	var cells []Cell
	for _, s := range r.SpecReports {
		labels := parseLabels(s.Labels())
		if labels[keyScenario] == "" {
			continue
		}
		state, reason := outcome(s)
		cells = append(cells, Cell{
			Scenario:  labels[keyScenario],
			Variant:   variantOf(labels),
			Proto:     labels[keyProto],
			SrcOS:     labels[keySrcOS],
			DstOS:     labels[keyDstOS],
			Placement: labels[keyPlacement],
			State:     state,
			Reason:    reason,
			Duration:  s.RunTime,
			Evidence:  evidenceOf(s),
		})
	}
	slices.SortStableFunc(cells, compareCells)
	return cells
}

// evidenceOf is the value of the spec's last EvidenceEntry report entry.
func evidenceOf(s types.SpecReport) string {
	ev := ""
	for _, e := range s.ReportEntries {
		if e.Name == EvidenceEntry {
			ev = e.Value.String()
		}
	}
	return ev
}

// variantOrder is the report order of variants: none first, then each variant key's values.
func variantOrder() []string {
	out := []string{""}
	for _, k := range matrix.VariantKeys {
		out = append(out, matrix.LabelValues(k)...)
	}
	return out
}

// variantOf is the cell's variant, under whichever variant key it has.
func variantOf(labels map[string]string) string {
	for _, k := range matrix.VariantKeys {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return ""
}

// parseLabels reads key:value labels; the first label with a key wins.
func parseLabels(labels []string) map[string]string {
	m := map[string]string{}
	for _, l := range labels {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		if _, seen := m[k]; !seen {
			m[k] = v
		}
	}
	return m
}

// outcome maps a spec's state to a cell state and reason. Anything that did not run to a
// verdict (pending, interrupted, aborted) counts as a failure: the cell was not shown to work.
func outcome(s types.SpecReport) (state, reason string) {
	text := s.Failure.Message
	switch s.State {
	case types.SpecStatePassed:
		return Pass, ""
	case types.SpecStateSkipped:
		if r := msg.OneLine(text); r != "" {
			return Skip, r
		}
		return Skip, "no skip message (filtered out, or the run stopped before this spec)"
	case types.SpecStatePending:
		return Fail, "pending: the spec is marked pending and did not run"
	case types.SpecStateInterrupted:
		return Fail, prefixed("interrupted", firstLine(text))
	case types.SpecStateAborted:
		return Fail, prefixed("aborted", firstLine(text))
	case types.SpecStateTimedout:
		return Fail, prefixed("timed out", firstLine(text))
	case types.SpecStatePanicked:
		if p := firstLine(s.Failure.ForwardedPanic); p != "" {
			return Fail, prefixed("panicked", p)
		}
		return Fail, prefixed("panicked", firstLine(text))
	case types.SpecStateFailed:
		if r := firstLine(text); r != "" {
			return Fail, r
		}
		return Fail, "failed without a message"
	default:
		return Fail, "no result recorded (state " + s.State.String() + ")"
	}
}

// prefixed reads "interrupted: <detail>", or just "interrupted" without detail.
func prefixed(what, detail string) string {
	if detail == "" {
		return what
	}
	return what + ": " + detail
}

// firstLine is the first non-blank line of s, trimmed.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

func compareCells(a, b Cell) int {
	return cmp.Or(
		rank(keyScenario, a.Scenario, b.Scenario),
		rank(keyProto, a.Proto, b.Proto),
		rank(keyVariant, a.Variant, b.Variant),
		rank(keySrcOS, a.SrcOS, b.SrcOS),
		rank(keyDstOS, a.DstOS, b.DstOS),
		rank(keyPlacement, a.Placement, b.Placement),
	)
}

// rank compares two values of one label by report order; unknown values come after known
// ones, alphabetically.
func rank(key, a, b string) int {
	known := order[key]
	ia, ib := slices.Index(known, a), slices.Index(known, b)
	if ia < 0 {
		ia = len(known)
	}
	if ib < 0 {
		ib = len(known)
	}
	return cmp.Or(cmp.Compare(ia, ib), strings.Compare(a, b))
}
