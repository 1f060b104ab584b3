package report

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
)

// FormatBenchmark lays several runs' phases side by side with the median of each phase and of
// the total: the report of hack/bench-e2e.sh. Phases keep the order of their first appearance.
func FormatBenchmark(runs [][]Phase) string {
	var order []string
	seen := map[string]bool{}
	for _, r := range runs {
		for _, p := range r {
			if !seen[p.Name] {
				seen[p.Name] = true
				order = append(order, p.Name)
			}
		}
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
	header := "phase\t"
	for i := range runs {
		header += fmt.Sprintf("run %d\t", i+1)
	}
	fmt.Fprintln(tw, header+"median\t")
	totals := make([]float64, len(runs))
	row := func(name string, vals []float64, ok []bool) {
		line := name + "\t"
		var present []float64
		for i, v := range vals {
			if ok[i] {
				line += fmt.Sprintf("%.1fs\t", v)
				present = append(present, v)
			} else {
				line += "-\t"
			}
		}
		fmt.Fprintln(tw, line+fmt.Sprintf("%.1fs\t", Median(present)))
	}
	for _, name := range order {
		vals, ok := make([]float64, len(runs)), make([]bool, len(runs))
		for i, r := range runs {
			for _, p := range r {
				if p.Name == name {
					vals[i], ok[i] = vals[i]+p.Seconds, true
					totals[i] += p.Seconds
				}
			}
		}
		row(name, vals, ok)
	}
	all := make([]bool, len(runs))
	for i := range all {
		all[i] = true
	}
	row("total", totals, all)
	tw.Flush()
	return b.String()
}

// Median of the values (0 for none).
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
