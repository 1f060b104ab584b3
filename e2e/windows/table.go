package windows

import (
	"strings"
)

// Table is one PowerShell table (Format-Table output): a header, a dashes line, rows.
type Table struct {
	Columns []string
	Rows    []TableRow
}

// TableRow is one row, its cells keyed by column name.
type TableRow struct {
	Cells map[string]string
	Line  int
	// Truncated: a cell ended in "..." (the column was too narrow for the value).
	Truncated bool
}

// Get returns the cell of column col (case-insensitive), or "".
func (r TableRow) Get(col string) string {
	for k, v := range r.Cells {
		if strings.EqualFold(k, col) {
			return v
		}
	}
	return ""
}

// ParseTables reads the tables in PowerShell output. Columns are located by the dashes line;
// a header wrapped over two lines ("Interface" / "Index") is joined ("InterfaceIndex"). Rows
// are cut at the column positions when they line up with them; otherwise (whitespace collapsed
// to single spaces by copying) they are split on whitespace, extra words going to the last
// column. A row whose first cell is blank continues the row above (Format-Table -Wrap). A
// table ends at a blank line.
func ParseTables(out string) []Table {
	lines := textLines(out)
	var tables []Table
	for i := 0; i < len(lines); i++ {
		spans := dashSpans(lines[i])
		if spans == nil {
			continue
		}
		var header []string
		for j := i - 1; j >= 0 && j >= i-3; j-- {
			t := strings.TrimSpace(lines[j])
			if t == "" || promptRE.MatchString(t) {
				break
			}
			header = append([]string{lines[j]}, header...)
		}
		if len(header) == 0 {
			continue
		}
		tb := Table{}
		for k := range spans {
			var name string
			for _, h := range header {
				name += strings.TrimSpace(cell(h, spans, k))
			}
			tb.Columns = append(tb.Columns, name)
		}
		j := i + 1
		for ; j < len(lines); j++ {
			row := strings.TrimRight(ellipsis(lines[j]), " \t")
			if strings.TrimSpace(row) == "" {
				break
			}
			cells := splitRow(row, spans)
			if strings.TrimSpace(cells[0]) == "" && len(tb.Rows) > 0 && aligned(row, spans) {
				prev := &tb.Rows[len(tb.Rows)-1]
				for k, c := range cells {
					if c = strings.TrimSpace(c); c != "" {
						prev.Cells[tb.Columns[k]] = strings.TrimSpace(prev.Cells[tb.Columns[k]] + " " + c)
					}
				}
				continue
			}
			r := TableRow{Cells: map[string]string{}, Line: j + 1}
			for k, c := range cells {
				c = strings.TrimSpace(c)
				if strings.HasSuffix(c, "...") {
					r.Truncated = true
				}
				r.Cells[tb.Columns[k]] = c
			}
			tb.Rows = append(tb.Rows, r)
		}
		tables = append(tables, tb)
		i = j
	}
	return tables
}

// dashSpans returns the [start, end) of each run of dashes when the line is a table's dashes
// line, else nil.
func dashSpans(line string) [][2]int {
	t := strings.TrimRight(line, " \t")
	if strings.Trim(t, "- ") != "" || !strings.Contains(t, "-") {
		return nil
	}
	var spans [][2]int
	for i := 0; i < len(t); {
		if t[i] != '-' {
			i++
			continue
		}
		j := i
		for j < len(t) && t[j] == '-' {
			j++
		}
		spans = append(spans, [2]int{i, j})
		i = j
	}
	return spans
}

// cell returns the text of column k in a line cut at the column starts.
func cell(line string, spans [][2]int, k int) string {
	start := spans[k][0]
	if start >= len(line) {
		return ""
	}
	end := len(line)
	if k+1 < len(spans) && spans[k+1][0] < end {
		end = spans[k+1][0]
	}
	return line[start:end]
}

// aligned reports whether every column start of the row follows a space (or the row ended),
// i.e. no value runs across a column boundary.
func aligned(row string, spans [][2]int) bool {
	for _, s := range spans[1:] {
		if s[0] < len(row) && s[0] > 0 && row[s[0]-1] != ' ' {
			return false
		}
	}
	return true
}

func splitRow(row string, spans [][2]int) []string {
	cells := make([]string, len(spans))
	if aligned(row, spans) {
		for k := range spans {
			cells[k] = cell(row, spans, k)
		}
		return cells
	}
	f := strings.Fields(row)
	for k := range cells {
		switch {
		case k >= len(f):
		case k == len(cells)-1:
			cells[k] = strings.Join(f[k:], " ")
		default:
			cells[k] = f[k]
		}
	}
	return cells
}
