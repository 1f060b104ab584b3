package windows

import (
	"regexp"
	"strings"
)

// textLines splits command output into lines, dropping a UTF-8 byte-order mark and the CR of
// CRLF line ends. Trailing spaces are kept; callers trim what they compare.
func textLines(out string) []string {
	out = strings.TrimPrefix(out, "\ufeff")
	out = strings.ReplaceAll(out, "\r\n", "\n")
	out = strings.ReplaceAll(out, "\r", "\n")
	return strings.Split(out, "\n")
}

// Prop is one `Name : Value` property of a PowerShell list record, with its value joined
// across wrapped continuation lines.
type Prop struct {
	Name, Value string
	Line        int
}

// Record is one object of PowerShell list output (Format-List, or the default list view of
// objects with more than four properties).
type Record struct {
	Props []Prop
	Line  int
}

// Get returns the property named name (case-insensitive).
func (r Record) Get(name string) (Prop, bool) {
	for _, p := range r.Props {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Prop{}, false
}

// Value returns the value of the property named name, or "".
func (r Record) Value(name string) string {
	p, _ := r.Get(name)
	return p.Value
}

// lines maps each property name to its line.
func (r Record) lines() map[string]int {
	m := make(map[string]int, len(r.Props))
	for _, p := range r.Props {
		m[p.Name] = p.Line
	}
	return m
}

// listPropRE matches the start of a list property: a name at column 0, padding, a colon, and
// a space or the end of the line.
var listPropRE = regexp.MustCompile(`^([A-Za-z][\w .\-()/#]*?) *:(?: (.*))?$`)

// promptRE matches a PowerShell or cmd prompt line ("PS C:\k> ...", "C:\inetpub>...").
var promptRE = regexp.MustCompile(`^(PS )?[A-Za-z]:\\[^>]*>`)

// ParseList reads PowerShell list output into records. A record starts at a property whose
// name repeats in the current record, or after a blank line at a different colon column (each
// object pads names to its own width). Indented lines continue the previous value; so do
// unindented lines that are not properties at the record's colon column, which is what a wrapped
// value looks like after a paste lost its indentation. Prompt lines and banners are skipped.
// Values joined across lines are separated by one space.
func ParseList(out string) []Record {
	var recs []Record
	var cur *Record
	col := -1
	blank := false
	flush := func() {
		if cur != nil && len(cur.Props) > 0 {
			recs = append(recs, *cur)
		}
		cur, col, blank = nil, -1, false
	}
	for i, raw := range textLines(out) {
		ln := i + 1
		line := strings.TrimRight(raw, " \t")
		if line == "" {
			blank = cur != nil
			continue
		}
		if promptRE.MatchString(line) {
			flush()
			continue
		}
		indented := line[0] == ' ' || line[0] == '\t'
		m := listPropRE.FindStringSubmatch(line)
		if m != nil && !indented {
			name, c := strings.TrimSpace(m[1]), strings.Index(line, ":")
			switch {
			case cur == nil:
				cur, col = &Record{Line: ln}, c
			case !blank && c != col:
				// a lost-indent continuation that happens to contain " : "
				cont(cur, line)
				continue
			case hasProp(cur, name) || (blank && c != col):
				flush()
				cur, col = &Record{Line: ln}, c
			}
			cur.Props = append(cur.Props, Prop{Name: name, Value: strings.TrimSpace(m[2]), Line: ln})
			blank = false
			continue
		}
		if cur != nil && len(cur.Props) > 0 && (indented || !blank) {
			cont(cur, line)
			blank = false
			continue
		}
		if blank {
			flush()
		}
	}
	flush()
	return recs
}

func hasProp(r *Record, name string) bool {
	_, ok := r.Get(name)
	return ok
}

func cont(r *Record, line string) {
	p := &r.Props[len(r.Props)-1]
	t := strings.TrimSpace(line)
	if p.Value == "" {
		p.Value = t
	} else {
		p.Value += " " + t
	}
}

// ellipsis normalizes PowerShell 7's "…" to the "..." of Windows PowerShell 5.1.
func ellipsis(s string) string { return strings.ReplaceAll(s, "\u2026", "...") }

// psObject is one `@{A=1; B=x}` as PowerShell renders a nested object in list or table output.
type psObject struct {
	Fields map[string]string
	// Truncated: the text ended inside the object, or a value ended in "...".
	Truncated bool
}

// parsePSObjects reads PowerShell's rendering of an array of objects,
// "{@{A=1; B=x}, @{C=2}...}". truncated reports that the enumeration was cut ("...", by
// $FormatEnumerationLimit), so objects beyond those returned may exist.
func parsePSObjects(s string) (objs []psObject, truncated bool) {
	s = strings.TrimSpace(ellipsis(s))
	if strings.HasPrefix(s, "{") { // an array: strip its braces; a lone "@{...}" keeps them
		s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	}
	if strings.HasSuffix(s, "...") {
		truncated = true
		s = strings.TrimSuffix(s, "...")
	}
	for {
		i := strings.Index(s, "@{")
		if i < 0 {
			break
		}
		body, rest, closed := matchBrace(s[i+2:])
		o := psObject{Fields: map[string]string{}, Truncated: !closed}
		for _, part := range splitTop(body, ';') {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				if strings.TrimSpace(part) != "" {
					o.Truncated = true
				}
				continue
			}
			v = strings.TrimSpace(v)
			if strings.HasSuffix(v, "...") {
				o.Truncated = true
				v = strings.TrimSuffix(v, "...")
			}
			o.Fields[strings.TrimSpace(k)] = v
		}
		objs = append(objs, o)
		if !closed {
			truncated = true
		}
		s = rest
	}
	return objs, truncated
}

// parsePSList reads PowerShell's rendering of a list of scalars, "{a, b, c}" or "{a, b...}".
// known is false when the list was collapsed to its type name ("System.Object[]").
func parsePSList(s string) (items []string, truncated, known bool) {
	s = strings.TrimSpace(ellipsis(s))
	if strings.HasSuffix(s, "[]") && !strings.HasPrefix(s, "{") {
		return nil, false, false
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if strings.HasSuffix(s, "...") {
		truncated = true
		s = strings.TrimSuffix(s, "...")
	}
	for _, it := range splitTop(s, ',') {
		if it = strings.TrimSpace(it); it != "" {
			items = append(items, it)
		}
	}
	return items, truncated, true
}

// matchBrace returns the text up to the "}" that closes an already opened "{", and the text
// after it. closed is false when the text ends first.
func matchBrace(s string) (body, rest string, closed bool) {
	depth := 1
	for i, r := range s {
		switch r {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[:i], s[i+1:], true
			}
		}
	}
	return s, "", false
}

// splitTop splits s at sep outside braces.
func splitTop(s string, sep rune) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range s {
		switch {
		case r == '{':
			depth++
		case r == '}':
			depth--
		case r == sep && depth <= 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// splitComma splits a comma-separated value ("10.96.0.10,10.96.0.11"), dropping empty items.
func splitComma(s string) []string {
	var out []string
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}
