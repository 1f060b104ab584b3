package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// Markdown renders the run as a Markdown document: a header, the run's metadata (sorted by key),
// the matrix table and the totals.
func Markdown(cells []Cell, meta map[string]string) string {
	var b strings.Builder
	b.WriteString("# Connectivity matrix\n\n")
	if len(meta) > 0 {
		b.WriteString(metaTable(meta))
	}
	if len(cells) == 0 {
		b.WriteString("No matrix cells were run.\n\n")
	} else {
		b.WriteString("| scenario | proto | src → dst | placement | result |\n")
		b.WriteString("|---|---|---|---|---|\n")
		for _, c := range cells {
			fmt.Fprintf(&b, "| %s | %s | %s → %s | %s | %s |\n",
				escapeMarkdown(c.scenario()), escapeMarkdown(c.Proto), escapeMarkdown(c.SrcOS),
				escapeMarkdown(c.DstOS), escapeMarkdown(c.Placement), escapeMarkdown(c.result()))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s\n", totals(cells))
	return b.String()
}

// metaTable is a run's metadata as a Markdown key/value table, sorted by key.
func metaTable(meta map[string]string) string {
	var b strings.Builder
	b.WriteString("| key | value |\n|---|---|\n")
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		fmt.Fprintf(&b, "| %s | %s |\n", escapeMarkdown(k), escapeMarkdown(meta[k]))
	}
	b.WriteString("\n")
	return b.String()
}

// scenario names the cell's scenario with its DNS variant: "dns (fqdn)".
func (c Cell) scenario() string {
	if c.Variant == "" {
		return c.Scenario
	}
	return c.Scenario + " (" + c.Variant + ")"
}

// result reads "pass", "FAIL: <reason>" or "skip: <reason>".
func (c Cell) result() string {
	switch c.State {
	case Pass:
		return Pass
	case Fail:
		return prefixed("FAIL", c.Reason)
	default:
		return prefixed(c.State, c.Reason)
	}
}

// totals reads "N passed, N failed, N skipped".
func totals(cells []Cell) string {
	n := map[string]int{}
	for _, c := range cells {
		n[c.State]++
	}
	return fmt.Sprintf("%d passed, %d failed, %d skipped", n[Pass], n[Fail], n[Skip])
}

// markdownEscaper keeps a value inside its table cell and shows it literally: a pipe would end
// the cell, and a "<...>" (as in "expected <nil>") would be taken for HTML and vanish.
var markdownEscaper = strings.NewReplacer(`\`, `\\`, `|`, `\|`, `<`, `\<`, `>`, `\>`, "\n", " ", "\r", "")

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// Summary is the terminal verdict: the cells that ran (pass or FAIL), then the skipped cells
// grouped by reason, then the totals line. Markdown keeps every cell on its own row.
func Summary(cells []Cell) string {
	var ran []Cell
	var reasons []string
	skips := map[string]int{}
	for _, c := range cells {
		if c.State != Skip {
			ran = append(ran, c)
			continue
		}
		if skips[c.Reason] == 0 {
			reasons = append(reasons, c.Reason)
		}
		skips[c.Reason]++
	}
	var b strings.Builder
	if len(ran) > 0 {
		w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "SCENARIO\tPROTO\tSRC -> DST\tPLACEMENT\tRESULT")
		for _, c := range ran {
			fmt.Fprintf(w, "%s\t%s\t%s -> %s\t%s\t%s\n", c.scenario(), c.Proto, c.SrcOS, c.DstOS, c.Placement, c.result())
		}
		w.Flush()
	}
	for _, r := range reasons {
		fmt.Fprintf(&b, "skipped %d cells: %s\n", skips[r], r)
	}
	fmt.Fprintf(&b, "cells: %s\n", totals(cells))
	return b.String()
}
