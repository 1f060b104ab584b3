package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// RunFile is where a run keeps its matrix (mode, metadata, cells, findings) so that a run of
// several modes (MODES=vxlan,noencap) can show them as one matrix.
const RunFile = "cells.json"

// SaveRun writes r to dir/RunFile.
func SaveRun(dir string, r ModeResults) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, RunFile), b, 0o644)
}

// LoadRun reads the run SaveRun wrote to dir. A run that stopped before its specs has no file:
// it comes back as a ModeResults with no cells and the error.
func LoadRun(dir string) (ModeResults, error) {
	var r ModeResults
	b, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		return r, fmt.Errorf("no matrix in %s: the run stopped before its specs (its log says why)", dir)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("read %s: %w", filepath.Join(dir, RunFile), err)
	}
	return r, nil
}

// row is one line of the combined matrix: a cell without its mode.
type row struct{ scenario, proto, pair, placement string }

func rowOf(c Cell) row {
	return row{c.scenario(), c.Proto, c.SrcOS + " -> " + c.DstOS, c.Placement}
}

// combine lays the modes' cells side by side: the rows in the order they first appear (each
// run lists its cells in matrix order, and every mode has the same spec tree) and, per row,
// each mode's cell.
func combine(runs []ModeResults) ([]row, map[row][]*Cell) {
	var rows []row
	byRow := map[row][]*Cell{}
	for i, r := range runs {
		for j := range r.Cells {
			k := rowOf(r.Cells[j])
			if _, ok := byRow[k]; !ok {
				rows = append(rows, k)
				byRow[k] = make([]*Cell, len(runs))
			}
			byRow[k][i] = &r.Cells[j]
		}
	}
	return rows, byRow
}

// short is a cell's state in a grid column: pass, FAIL or skip, or "-" when the mode has no
// such cell (its run stopped before the specs).
func short(c *Cell) string {
	if c == nil {
		return "-"
	}
	if c.State == Fail {
		return "FAIL"
	}
	return c.State
}

// CombinedSummary is the terminal verdict of a run of several modes: one grid, a row per cell
// (scenario, protocol, OS pair, placement) and a column per mode, rows where every mode skipped
// left out; then each failure with its reason, and one totals line per mode.
func CombinedSummary(runs []ModeResults) string {
	rows, byRow := combine(runs)
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprint(w, "SCENARIO\tPROTO\tSRC -> DST\tPLACEMENT")
	for _, r := range runs {
		fmt.Fprintf(w, "\t%s", strings.ToUpper(r.Mode))
	}
	fmt.Fprintln(w)
	for _, k := range rows {
		cells := byRow[k]
		allSkipped := true
		for _, c := range cells {
			if c != nil && c.State != Skip {
				allSkipped = false
			}
		}
		if allSkipped {
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s", k.scenario, k.proto, k.pair, k.placement)
		for _, c := range cells {
			fmt.Fprintf(w, "\t%s", short(c))
		}
		fmt.Fprintln(w)
	}
	w.Flush()
	for _, k := range rows {
		for i, c := range byRow[k] {
			if c != nil && c.State == Fail {
				fmt.Fprintf(&b, "FAIL %s: %s %s %s %s: %s\n", runs[i].Mode, k.scenario, k.proto, k.pair, k.placement, c.Reason)
			}
		}
	}
	for _, r := range runs {
		if len(r.Cells) == 0 {
			fmt.Fprintf(&b, "MODE=%s: no cells ran\n", r.Mode)
			continue
		}
		fmt.Fprintf(&b, "MODE=%s: %s\n", r.Mode, totals(r.Cells))
	}
	return b.String()
}

// CombinedMarkdown is matrix.md of a run of several modes: each mode's metadata, then one
// table with a column per mode (every cell, its full result), then each mode's findings.
func CombinedMarkdown(runs []ModeResults) string {
	var b strings.Builder
	b.WriteString("# Connectivity matrix, every mode\n\n")
	for _, r := range runs {
		fmt.Fprintf(&b, "## MODE=%s\n\n", r.Mode)
		if len(r.Cells) == 0 {
			b.WriteString("No cells ran: the run stopped before its specs.\n\n")
		}
		if len(r.Meta) > 0 {
			b.WriteString(metaTable(r.Meta))
		}
	}
	rows, byRow := combine(runs)
	if len(rows) > 0 {
		b.WriteString("## Cells\n\n| scenario | proto | src → dst | placement |")
		for _, r := range runs {
			fmt.Fprintf(&b, " %s |", escapeMarkdown(r.Mode))
		}
		b.WriteString("\n|---|---|---|---|" + strings.Repeat("---|", len(runs)) + "\n")
		for _, k := range rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |", escapeMarkdown(k.scenario), escapeMarkdown(k.proto), escapeMarkdown(strings.Replace(k.pair, "->", "→", 1)), escapeMarkdown(k.placement))
			for _, c := range byRow[k] {
				res := "-"
				if c != nil {
					res = c.result()
				}
				fmt.Fprintf(&b, " %s |", escapeMarkdown(res))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	for _, r := range runs {
		fmt.Fprintf(&b, "MODE=%s: %s\n\n", r.Mode, totals(r.Cells))
		if len(r.Findings) > 0 {
			fmt.Fprintf(&b, "Findings (MODE=%s):\n\n", r.Mode)
			for _, f := range r.Findings {
				b.WriteString("- " + escapeMarkdown(f.String()) + "\n")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
