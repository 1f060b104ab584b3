package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/calico-conformance/e2e/e2e/findings"
)

// HTMLFile is the name of the HTML report, written next to matrix.md.
const HTMLFile = "matrix.html"

// EvidenceEntry is the name of the report entry in which a failed spec records its evidence
// directory (or why none was collected).
const EvidenceEntry = "evidence"

// findingsFile is the file each evidence directory's findings are written to
// (framework.FindingsFile; the framework imports this package, so it cannot be named here).
const findingsFile = "findings.json"

// ModeResults is one mode's run as the HTML report shows it: the mode, the run's metadata (the
// key/value table of matrix.md), its cells and the findings read from its evidence. A run of
// several modes passes one ModeResults per mode.
type ModeResults struct {
	Mode     string
	Meta     map[string]string
	Cells    []Cell
	Findings []Found
}

// Found is a finding with the evidence directories it was read from, one per failed spec
// whose evidence names it.
type Found struct {
	findings.Finding
	Dirs []string
}

// ReadFindings reads the findings of every evidence directory under artifacts
// (evidence/*/findings.json), as the framework's RunFindings does, but keeps where each was
// read: the same finding (ID, nodes and cause) once, with every directory that names it, in
// findings.Sort order. A missing evidence folder is no findings; an unreadable file is
// reported and the others are still read.
func ReadFindings(artifacts string) ([]Found, error) {
	files, err := filepath.Glob(filepath.Join(artifacts, "evidence", "*", findingsFile))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	var all []Found
	index := map[string]int{}
	var errs []error
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var fs []findings.Finding
		if err := json.Unmarshal(b, &fs); err != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", f, err))
			continue
		}
		dir := filepath.Dir(f)
		for _, x := range fs {
			key := x.ID + "|" + strings.Join(x.Nodes, ",") + "|" + x.Cause
			if i, ok := index[key]; ok {
				all[i].Dirs = append(all[i].Dirs, dir)
				continue
			}
			index[key] = len(all)
			all = append(all, Found{Finding: x, Dirs: []string{dir}})
		}
	}
	// the order of findings.Sort: by ID, then by nodes
	slices.SortStableFunc(all, func(a, b Found) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), strings.Compare(strings.Join(a.Nodes, ","), strings.Join(b.Nodes, ",")))
	})
	return all, errors.Join(errs...)
}

// WriteHTML writes the HTML report of runs to path. Links to evidence are relative to path's
// directory, so the artifacts folder can be moved or uploaded whole.
func WriteHTML(path string, runs []ModeResults) error {
	var b bytes.Buffer
	if err := HTML(&b, runs, filepath.Dir(path)); err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// HTML renders runs as one self-contained page (inline CSS, no scripts, nothing fetched): a
// header per mode, one coloured grid over every mode (rows: scenario, variant and protocol, one
// row per mode; columns: source OS -> destination OS and placement), the skip reasons, and
// each mode's findings. Links to evidence are relative to base, the page's directory; a
// failed cell links to its evidence directory only when that directory exists.
func HTML(w io.Writer, runs []ModeResults, base string) error {
	p, err := buildPage(runs, base)
	if err != nil {
		return err
	}
	return pageTemplate.Execute(w, p)
}

// Colours of the cell states; the browser test reads them back from a screenshot.
const (
	colorPass = "#2da44e"
	colorFail = "#cf222e"
	colorSkip = "#d0d7de"
	colorNone = "#ffffff"
)

// Fixed cell geometry, so the grid reads the same in every browser and a screenshot can be
// checked.
const (
	cellWidthPx  = 120
	cellHeightPx = 48
)

var pageCSS = template.CSS(fmt.Sprintf(`
body { font: 14px/1.35 sans-serif; margin: 16px; color: #1f2328; background: #fff; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 18px; margin: 20px 0 8px; }
table.meta { border-collapse: collapse; margin-bottom: 8px; }
table.meta th, table.meta td { text-align: left; padding: 2px 10px 2px 0; vertical-align: top; }
table.grid { border-collapse: collapse; table-layout: fixed; }
table.grid th { background: #f6f8fa; border: 1px solid #8c959f; padding: 4px; font-weight: 600; }
table.grid th.row { text-align: left; white-space: nowrap; }
table.grid td { width: %[5]dpx; min-width: %[5]dpx; max-width: %[5]dpx; height: %[6]dpx;
  border: 1px solid #8c959f; padding: 6px; vertical-align: top; overflow: hidden;
  overflow-wrap: anywhere; font-size: 12px; }
.pass { background: %[1]s; color: #fff; }
.fail { background: %[2]s; color: #fff; }
.fail a { color: #fff; font-weight: 600; }
.skip { background: %[3]s; color: #424a53; }
.none { background: %[4]s; color: #8c959f; }
.state { font-weight: 700; display: block; }
.reason { display: block; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 6px; border: 1px solid #8c959f; }
ul.findings li { margin-bottom: 8px; }
code, .id { font-family: monospace; }
q { font-family: monospace; quotes: none; background: #f6f8fa; }
`, colorPass, colorFail, colorSkip, colorNone, cellWidthPx, cellHeightPx))

// page is what the template renders.
type page struct {
	CSS       template.CSS
	Modes     []modeView
	Columns   []column
	Groups    []columnGroup
	Rows      []gridRow
	MultiMode bool
}

type modeView struct {
	Mode     string
	Meta     [][2]string
	Totals   string
	Skips    []skipGroup
	Findings []findingView
}

type skipGroup struct {
	Reason string
	Count  int
}

type rowKey struct{ Scenario, Variant, Proto string }

type colKey struct{ SrcOS, DstOS, Placement string }

type column struct{ colKey }

// columnGroup is one source -> destination pair spanning its placements.
type columnGroup struct {
	Src, Dst string
	Span     int
}

type gridRow struct {
	Scenario, Proto string
	// First is the first row of a scenario's rows (one per mode); it carries the row header.
	First bool
	Span  int
	Mode  string
	Cells []cellView
}

type cellView struct {
	State, Reason, Title string
	// Evidence is the link to the evidence directory; NoEvidence says why there is none.
	Evidence, NoEvidence string
	Findings             []findingLink
}

type findingLink struct{ ID, Anchor string }

type findingView struct {
	Anchor, ID, Nodes, Cause, Fix string
	Evidence                      []refView
	Cells                         []link
}

type refView struct {
	Href, Text, Excerpt string
}

type link struct{ Href, Text string }

func buildPage(runs []ModeResults, base string) (page, error) {
	absBase, err := filepath.Abs(base)
	if err != nil {
		return page{}, err
	}
	p := page{CSS: pageCSS, MultiMode: len(runs) > 1}
	var rows []rowKey
	var cols []colKey
	seenRow, seenCol := map[rowKey]bool{}, map[colKey]bool{}
	byMode := make([]map[rowKey]map[colKey]Cell, len(runs))
	for i, r := range runs {
		byMode[i] = map[rowKey]map[colKey]Cell{}
		for _, c := range r.Cells {
			rk, ck := rowKey{c.Scenario, c.Variant, c.Proto}, colKey{c.SrcOS, c.DstOS, c.Placement}
			if !seenRow[rk] {
				seenRow[rk] = true
				rows = append(rows, rk)
			}
			if !seenCol[ck] {
				seenCol[ck] = true
				cols = append(cols, ck)
			}
			if byMode[i][rk] == nil {
				byMode[i][rk] = map[colKey]Cell{}
			}
			byMode[i][rk][ck] = c
		}
	}
	slices.SortStableFunc(rows, func(a, b rowKey) int {
		return cmp.Or(rank(keyScenario, a.Scenario, b.Scenario), rank(keyProto, a.Proto, b.Proto), rank(keyVariant, a.Variant, b.Variant))
	})
	slices.SortStableFunc(cols, func(a, b colKey) int {
		return cmp.Or(rank(keySrcOS, a.SrcOS, b.SrcOS), rank(keyDstOS, a.DstOS, b.DstOS), rank(keyPlacement, a.Placement, b.Placement))
	})
	for _, c := range cols {
		p.Columns = append(p.Columns, column{c})
		if n := len(p.Groups); n > 0 && p.Groups[n-1].Src == c.SrcOS && p.Groups[n-1].Dst == c.DstOS {
			p.Groups[n-1].Span++
			continue
		}
		p.Groups = append(p.Groups, columnGroup{Src: c.SrcOS, Dst: c.DstOS, Span: 1})
	}

	// anchors[i][dir] are the findings of mode i read from an evidence directory.
	anchors := make([]map[string][]findingLink, len(runs))
	for i, r := range runs {
		mv := modeView{Mode: r.Mode, Totals: totals(r.Cells)}
		for _, k := range slices.Sorted(maps.Keys(r.Meta)) {
			mv.Meta = append(mv.Meta, [2]string{k, r.Meta[k]})
		}
		skips := map[string]int{}
		for _, c := range r.Cells {
			if c.State != Skip {
				continue
			}
			if skips[c.Reason] == 0 {
				mv.Skips = append(mv.Skips, skipGroup{Reason: c.Reason})
			}
			skips[c.Reason]++
		}
		for j := range mv.Skips {
			mv.Skips[j].Count = skips[mv.Skips[j].Reason]
		}
		anchors[i] = map[string][]findingLink{}
		for j, f := range r.Findings {
			fv := findingView{Anchor: fmt.Sprintf("finding-%d-%d", i+1, j+1), ID: f.ID, Nodes: strings.Join(f.Nodes, ", "), Cause: f.Cause, Fix: f.Fix}
			for _, d := range f.Dirs {
				abs, err := filepath.Abs(d)
				if err != nil {
					return page{}, err
				}
				anchors[i][abs] = append(anchors[i][abs], findingLink{ID: f.ID, Anchor: fv.Anchor})
				fv.Cells = append(fv.Cells, link{Href: relativeURL(absBase, abs, true), Text: filepath.Base(abs)})
			}
			if len(f.Dirs) > 0 {
				first, err := filepath.Abs(f.Dirs[0])
				if err != nil {
					return page{}, err
				}
				for _, ref := range f.Evidence {
					fv.Evidence = append(fv.Evidence, refView{Href: relativeURL(absBase, filepath.Join(first, ref.File), false), Text: ref.String(), Excerpt: ref.Excerpt})
				}
			}
			mv.Findings = append(mv.Findings, fv)
		}
		p.Modes = append(p.Modes, mv)
	}

	for _, rk := range rows {
		for i, r := range runs {
			gr := gridRow{Scenario: Cell{Scenario: rk.Scenario, Variant: rk.Variant}.scenario(), Proto: rk.Proto,
				First: i == 0, Span: len(runs), Mode: r.Mode}
			for _, ck := range cols {
				c, ok := byMode[i][rk][ck]
				if !ok {
					gr.Cells = append(gr.Cells, cellView{State: "none", Title: "not in this run"})
					continue
				}
				gr.Cells = append(gr.Cells, cellViewOf(c, absBase, anchors[i]))
			}
			p.Rows = append(p.Rows, gr)
		}
	}
	return p, nil
}

func cellViewOf(c Cell, absBase string, anchors map[string][]findingLink) cellView {
	v := cellView{State: c.State, Reason: c.shortReason(), Title: c.result()}
	if c.State != Fail {
		return v
	}
	if c.Evidence == "" {
		v.NoEvidence = "no evidence recorded"
		return v
	}
	abs, err := filepath.Abs(c.Evidence)
	if err != nil {
		v.NoEvidence = c.Evidence
		return v
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		v.NoEvidence = c.Evidence
		return v
	}
	v.Evidence = relativeURL(absBase, abs, true)
	v.Findings = anchors[abs]
	return v
}

// cellPrefix is how a failed cell's message names its cell, "pod-to-pod/tcp linux -> linux
// (other node): ", which the grid's headers already say.
var cellPrefix = regexp.MustCompile(`^\S+/\S+ \S+ -> \S+ \([^)]*\): `)

// shortReason is the reason without the cell's own name in front, as a grid cell shows it;
// the cell's title keeps the whole reason.
func (c Cell) shortReason() string {
	if strings.HasPrefix(c.Reason, c.Scenario+"/") {
		if short := cellPrefix.ReplaceAllString(c.Reason, ""); short != "" {
			return short
		}
	}
	return c.Reason
}

// relativeURL is target as a URL relative to base, both absolute paths; a directory's URL
// ends in a slash.
func relativeURL(base, target string, dir bool) string {
	rel, err := filepath.Rel(base, target)
	if err != nil {
		rel = target
	}
	u := (&url.URL{Path: filepath.ToSlash(rel)}).String()
	if dir && !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

var pageTemplate = template.Must(template.New("matrix.html").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connectivity matrix{{range .Modes}} · {{.Mode}}{{end}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<h1>Connectivity matrix</h1>
{{range .Modes}}<section class="mode" id="mode-{{.Mode}}">
<h2>Mode {{.Mode}}</h2>
{{if .Meta}}<table class="meta">
{{range .Meta}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>
{{end}}<p class="totals">{{.Totals}}</p>
</section>
{{end}}
<h2>Cells</h2>
<p class="legend"><span class="pass">pass</span><span class="fail">FAIL</span><span class="skip">skip (reason on hover, and listed below)</span><span class="none">– not in this run</span></p>
{{if .Rows}}<table class="grid">
<thead>
<tr><th class="row" rowspan="2">scenario</th><th class="row" rowspan="2">proto</th><th class="row" rowspan="2">mode</th>{{range .Groups}}<th colspan="{{.Span}}">{{.Src}} → {{.Dst}}</th>{{end}}</tr>
<tr>{{range .Columns}}<th>{{.Placement}}</th>{{end}}</tr>
</thead>
<tbody>
{{range .Rows}}<tr>{{if .First}}<th class="row" rowspan="{{.Span}}">{{.Scenario}}</th><th class="row" rowspan="{{.Span}}">{{.Proto}}</th>{{end}}<th class="row">{{.Mode}}</th>{{range .Cells}}{{template "cell" .}}{{end}}</tr>
{{end}}</tbody>
</table>
{{else}}<p>No matrix cells were run.</p>
{{end}}
{{range .Modes}}{{if .Skips}}<h2>Skipped cells{{if $.MultiMode}} ({{.Mode}}){{end}}</h2>
<ul class="skips">
{{range .Skips}}<li>{{.Count}} {{if eq .Count 1}}cell{{else}}cells{{end}}: {{.Reason}}</li>
{{end}}</ul>
{{end}}{{end}}
{{range .Modes}}<h2>Findings{{if $.MultiMode}} ({{.Mode}}){{end}}</h2>
{{if .Findings}}<ul class="findings">
{{range .Findings}}<li id="{{.Anchor}}"><span class="id">[{{.ID}}]</span>{{if .Nodes}} nodes {{.Nodes}}:{{end}} <span class="cause">{{.Cause}}</span>
{{if .Fix}}<br>fix: <span class="fix">{{.Fix}}</span>{{end}}
{{if .Evidence}}<br>evidence: {{range $i, $r := .Evidence}}{{if $i}}, {{end}}<a class="ref" href="{{$r.Href}}">{{$r.Text}}</a>{{if $r.Excerpt}} <q>{{$r.Excerpt}}</q>{{end}}{{end}}{{end}}
{{if .Cells}}<br>found in: {{range $i, $c := .Cells}}{{if $i}}, {{end}}<a class="found" href="{{$c.Href}}">{{$c.Text}}</a>{{end}}{{end}}
</li>
{{end}}</ul>
{{else}}<p>No finding: no failed spec's evidence names a known cause.</p>
{{end}}{{end}}
</body>
</html>
{{define "cell"}}<td class="{{.State}}" title="{{.Title}}">{{if eq .State "fail"}}<span class="state">FAIL</span><span class="reason">{{.Reason}}</span>{{if .Evidence}}<a class="evidence" href="{{.Evidence}}">evidence</a>{{else}}<span class="noevidence">{{.NoEvidence}}</span>{{end}}{{range .Findings}} <a class="finding" href="#{{.Anchor}}">{{.ID}}</a>{{end}}{{else if eq .State "pass"}}<span class="state">pass</span>{{else if eq .State "skip"}}<span class="state">skip</span>{{else}}–{{end}}</td>{{end}}
`))
