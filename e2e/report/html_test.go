package report

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
	"golang.org/x/net/html"

	"github.com/calico-conformance/e2e/e2e/findings"
)

// hostileCause is a finding cause a page must show as text, never run.
const hostileCause = `drops VXLAN <script>alert("x")</script> & "more"`

// fixtureRun lays out an artifacts directory as a failed run leaves it (two failed cells with
// evidence and findings, a failed spec that is not a cell, one failed cell whose evidence could
// not be collected) and returns it with the run's results.
func fixtureRun(t *testing.T) (string, ModeResults) {
	t.Helper()
	art := t.TempDir()
	dropped := findings.Finding{ID: "vxlan-dropped", Nodes: []string{"w1"}, Cause: hostileCause, Fix: "allow UDP 4789",
		Evidence: []findings.Ref{{File: "node w1#1.txt", Lines: []int{387}, Excerpt: "udp dport 4789 counter packets 110 drop"}}}
	stale := findings.Finding{ID: "calico-node-not-ready", Nodes: []string{"cp"}, Cause: "calico-node is not ready", Fix: "read its log"}
	evidence := func(name string, fs ...findings.Finding) string {
		dir := filepath.Join(art, "evidence", name)
		writeFile(t, filepath.Join(dir, "node w1#1.txt"), "udp dport 4789 counter packets 110 drop\n")
		b, err := json.Marshal(fs)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, findingsFile), string(b))
		return dir
	}
	podDir := evidence("Pod-to-pod_connectivity_tcp_linux_-_linux_other_node", dropped)
	dnsDir := evidence("Cluster_DNS_fqdn_linux_-_linux_any_node", dropped)
	evidence("Calico_is_ready", stale)

	cells := []Cell{
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "same-node", State: Pass},
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "other-node", State: Fail,
			Reason: "pod-to-pod/tcp linux -> linux (other node): 4 of 6 probes failed (expected reachable)", Evidence: podDir},
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "windows", Placement: "same-node", State: Skip,
			Reason: "the cluster has no Windows nodes"},
		{Scenario: "pod-to-pod", Proto: "udp", SrcOS: "linux", DstOS: "linux", Placement: "same-node", State: Pass},
		{Scenario: "pod-to-pod", Proto: "udp", SrcOS: "linux", DstOS: "linux", Placement: "other-node", State: Fail,
			Reason: "pod-to-pod/udp linux -> linux (other node): timed out", Evidence: "collecting evidence failed: <boom>"},
		{Scenario: "dns", Variant: "fqdn", Proto: "dns", SrcOS: "linux", DstOS: "linux", Placement: "any", State: Fail,
			Reason: "dns/fqdn linux -> linux (any node): 1 of 3 probes failed", Evidence: dnsDir},
		{Scenario: "dns", Variant: "fqdn", Proto: "dns", SrcOS: "windows", DstOS: "linux", Placement: "any", State: Skip,
			Reason: `needs "windows" & <dns>`},
	}
	fs, err := ReadFindings(art)
	if err != nil {
		t.Fatal(err)
	}
	return art, ModeResults{Mode: "vxlan", Cells: cells, Findings: fs,
		Meta: map[string]string{"mode": "vxlan", "pinned versions": "kubernetes=1.34.4 calico=3.28.5", "detected": "Kubernetes v1.34.4, Calico v3.28.5, backend vxlan, 3 nodes"}}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// renderFixture writes the fixture's matrix.html and returns the artifacts directory, the page
// and its parsed document.
func renderFixture(t *testing.T) (string, []byte, *html.Node) {
	t.Helper()
	art, run := fixtureRun(t)
	path := filepath.Join(art, HTMLFile)
	if err := WriteHTML(path, []ModeResults{run}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return art, b, doc
}

// elements are the descendants of n with tag name tag and, if class is not empty, that class.
func elements(n *html.Node, tag, class string) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && d.Data == tag && (class == "" || slices.Contains(strings.Fields(attr(d, "class")), class)) {
			out = append(out, d)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// resolve checks href is relative and returns the path it names from the page's directory.
func resolve(t *testing.T, dir, href string) string {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil {
		t.Fatalf("href %q: %v", href, err)
	}
	if u.IsAbs() || u.Host != "" || strings.HasPrefix(u.Path, "/") {
		t.Errorf("href %q is not relative to the page", href)
	}
	return filepath.Join(dir, filepath.FromSlash(u.Path))
}

func TestHTMLGrid(t *testing.T) {
	art, _, doc := renderFixture(t)
	grid := theGrid(t, doc)
	count := map[string]int{}
	for _, td := range elements(grid, "td", "") {
		count[attr(td, "class")]++
	}
	// rows: pod-to-pod tcp, pod-to-pod udp, dns (fqdn); columns: linux -> linux same-node and
	// other-node, linux -> windows same-node, linux -> linux any, windows -> linux any
	if want := map[string]int{Pass: 2, Fail: 3, Skip: 2, "none": 3*5 - 7}; !equalCounts(count, want) {
		t.Errorf("cells by class = %v, want %v", count, want)
	}
	var heads []string
	for _, th := range elements(grid, "th", "") {
		heads = append(heads, text(th))
	}
	for _, want := range []string{"linux → linux", "linux → windows", "windows → linux", "same-node", "other-node", "any", "pod-to-pod", "dns (fqdn)", "vxlan"} {
		if !slices.Contains(heads, want) {
			t.Errorf("no header %q in %q", want, heads)
		}
	}

	linked := 0
	for _, td := range elements(doc, "td", Fail) {
		if !strings.Contains(text(td), "FAIL") || !strings.Contains(text(td), "probes failed") && !strings.Contains(text(td), "timed out") {
			t.Errorf("failed cell does not show its failure: %q", text(td))
		}
		links := elements(td, "a", "evidence")
		if len(links) == 0 {
			if got := text(td); !strings.Contains(got, "collecting evidence failed: <boom>") {
				t.Errorf("failed cell without an evidence link does not say why: %q", got)
			}
			continue
		}
		linked++
		p := resolve(t, art, attr(links[0], "href"))
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			t.Errorf("evidence link %q does not lead to a directory: %v", attr(links[0], "href"), err)
		}
		if f := elements(td, "a", "finding"); len(f) != 1 || text(f[0]) != "vxlan-dropped" || attr(f[0], "href") != "#finding-1-2" {
			t.Errorf("failed cell does not link its finding: %d links", len(f))
		}
	}
	if linked != 2 {
		t.Errorf("%d failed cells link their evidence, want 2", linked)
	}
	// the grid's headers name the pair: a cell shows its failure without the pair, its title
	// keeps the whole message
	first := elements(grid, "td", Fail)[0]
	if got := text(elements(first, "span", "reason")[0]); got != "4 of 6 probes failed (expected reachable)" {
		t.Errorf("failed cell shows %q", got)
	}
	if got, want := attr(first, "title"), "FAIL: pod-to-pod/tcp linux -> linux (other node): 4 of 6 probes failed (expected reachable)"; got != want {
		t.Errorf("failed cell's title = %q, want %q", got, want)
	}

	var titles []string
	for _, td := range elements(doc, "td", Skip) {
		titles = append(titles, attr(td, "title"))
	}
	if want := []string{"skip: the cluster has no Windows nodes", `skip: needs "windows" & <dns>`}; !slices.Equal(titles, want) {
		t.Errorf("skip titles = %q, want %q", titles, want)
	}
	var skips []string
	for _, li := range elements(doc, "ul", "skips") {
		for _, l := range elements(li, "li", "") {
			skips = append(skips, text(l))
		}
	}
	if want := []string{"1 cell: the cluster has no Windows nodes", `1 cell: needs "windows" & <dns>`}; !slices.Equal(skips, want) {
		t.Errorf("skip list = %q, want %q", skips, want)
	}
}

// theGrid is the page's one grid table.
func theGrid(t *testing.T, doc *html.Node) *html.Node {
	t.Helper()
	grids := elements(doc, "table", "grid")
	if len(grids) != 1 {
		t.Fatalf("page has %d grids, want 1", len(grids))
	}
	return grids[0]
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

func TestHTMLHeaderAndFindings(t *testing.T) {
	art, _, doc := renderFixture(t)
	meta := map[string]string{}
	for _, tr := range elements(doc, "tr", "") {
		if th, td := elements(tr, "th", ""), elements(tr, "td", ""); len(th) == 1 && len(td) == 1 {
			meta[text(th[0])] = text(td[0])
		}
	}
	if meta["mode"] != "vxlan" || meta["pinned versions"] != "kubernetes=1.34.4 calico=3.28.5" || !strings.HasPrefix(meta["detected"], "Kubernetes v1.34.4") {
		t.Errorf("header = %v", meta)
	}

	items := elements(doc, "li", "")
	byID := map[string]*html.Node{}
	for _, li := range items {
		if id := attr(li, "id"); id != "" {
			byID[id] = li
		}
	}
	if len(byID) != 2 {
		t.Fatalf("got %d findings, want 2 (calico-node-not-ready, vxlan-dropped)", len(byID))
	}
	if got := text(byID["finding-1-1"]); !strings.Contains(got, "[calico-node-not-ready]") || !strings.Contains(got, "fix: read its log") {
		t.Errorf("first finding = %q", got)
	}
	li := byID["finding-1-2"]
	for _, want := range []string{"[vxlan-dropped]", "nodes w1:", hostileCause, "fix: allow UDP 4789", "node w1#1.txt:387", "udp dport 4789 counter packets 110 drop"} {
		if !strings.Contains(text(li), want) {
			t.Errorf("finding lacks %q: %q", want, text(li))
		}
	}
	refs := elements(li, "a", "ref")
	if len(refs) != 1 {
		t.Fatalf("finding has %d evidence links, want 1", len(refs))
	}
	if _, err := os.Stat(resolve(t, art, attr(refs[0], "href"))); err != nil {
		t.Errorf("evidence file link %q: %v", attr(refs[0], "href"), err)
	}
	found := elements(li, "a", "found")
	if len(found) != 2 {
		t.Fatalf("finding names %d evidence directories, want 2 (the pod-to-pod and the DNS cell)", len(found))
	}
	for _, a := range found {
		if st, err := os.Stat(resolve(t, art, attr(a, "href"))); err != nil || !st.IsDir() {
			t.Errorf("found-in link %q: %v", attr(a, "href"), err)
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	_, page, doc := renderFixture(t)
	if n := len(elements(doc, "script", "")); n != 0 {
		t.Errorf("page has %d script elements, want none (a cause was not escaped)", n)
	}
	for _, want := range []string{"drops VXLAN &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;more&#34;", "collecting evidence failed: &lt;boom&gt;"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("page lacks the escaped %q", want)
		}
	}
	for _, external := range []string{"http:", "https:", "//", "@import", "url("} {
		if i := bytes.Index(page, []byte(external)); i >= 0 {
			t.Errorf("page refers to something outside it (%q at byte %d): it must read offline", external, i)
		}
	}
}

// A run of several modes is one grid: each scenario row has a row per mode, and the columns
// are every mode's.
func TestHTMLModes(t *testing.T) {
	vx := ModeResults{Mode: "vxlan", Meta: map[string]string{"mode": "vxlan"}, Cells: []Cell{
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "same-node", State: Pass},
	}}
	ne := ModeResults{Mode: "noencap", Meta: map[string]string{"mode": "noencap"}, Cells: []Cell{
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "same-node", State: Pass},
		{Scenario: "pod-to-pod", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "other-node", State: Fail, Reason: "no route"},
		{Scenario: "mtu", Proto: "tcp", SrcOS: "linux", DstOS: "linux", Placement: "other-node", State: Skip, Reason: "no MTU probe"},
	}}
	var b bytes.Buffer
	if err := HTML(&b, []ModeResults{vx, ne}, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	var sections []string
	for _, s := range elements(doc, "section", "mode") {
		sections = append(sections, attr(s, "id"))
	}
	if want := []string{"mode-vxlan", "mode-noencap"}; !slices.Equal(sections, want) {
		t.Errorf("mode headers = %v, want %v", sections, want)
	}
	type row struct{ mode, cells string }
	var rows []row
	for _, tbody := range elements(theGrid(t, doc), "tbody", "") {
		for _, tr := range elements(tbody, "tr", "") {
			ths := elements(tr, "th", "")
			var cells []string
			for _, td := range elements(tr, "td", "") {
				cells = append(cells, attr(td, "class"))
			}
			rows = append(rows, row{text(ths[len(ths)-1]), strings.Join(cells, " ")})
		}
	}
	want := []row{
		{"vxlan", "pass none"}, {"noencap", "pass fail"}, // pod-to-pod tcp
		{"vxlan", "none none"}, {"noencap", "none skip"}, // mtu tcp
	}
	if !slices.Equal(rows, want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}
	if got := elements(doc, "th", "row"); len(got) < 3+4 || attr(got[3], "rowspan") != "2" {
		t.Errorf("a scenario's header does not span its modes' rows")
	}
	if !strings.Contains(text(doc), "Findings (noencap)") || !strings.Contains(text(doc), "Skipped cells (noencap)") {
		t.Errorf("per-mode findings and skips are not named by mode")
	}
}

func TestHTMLNoCells(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, []ModeResults{{Mode: "vxlan"}}, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"No matrix cells were run.", "0 passed, 0 failed, 0 skipped", "No finding"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("empty report lacks %q", want)
		}
	}
}

func TestReadFindings(t *testing.T) {
	art, run := fixtureRun(t)
	var got []string
	for _, f := range run.Findings {
		var dirs []string
		for _, d := range f.Dirs {
			dirs = append(dirs, filepath.Base(d))
		}
		got = append(got, f.ID+" "+strings.Join(dirs, ","))
	}
	want := []string{
		"calico-node-not-ready Calico_is_ready",
		"vxlan-dropped Cluster_DNS_fqdn_linux_-_linux_any_node,Pod-to-pod_connectivity_tcp_linux_-_linux_other_node",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings = %q, want %q", got, want)
	}

	writeFile(t, filepath.Join(art, "evidence", "broken", findingsFile), "{not json")
	fs, err := ReadFindings(art)
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("an unreadable findings file is not reported: %v", err)
	}
	if len(fs) != 2 {
		t.Errorf("an unreadable findings file lost the others: %d findings", len(fs))
	}
	if fs, err := ReadFindings(t.TempDir()); err != nil || len(fs) != 0 {
		t.Errorf("no evidence folder: %v, %v", fs, err)
	}
}

// A failed spec records its evidence directory in a report entry; the cell carries it, also
// after the report went through JSON (from another Ginkgo process, or report.json).
func TestCellsFromReportEvidence(t *testing.T) {
	failed := spec(types.SpecStateFailed, "boom", "pod-to-pod", "tcp", "linux", "linux", "other-node")
	failed.ReportEntries = types.ReportEntries{
		{Name: "findings", Value: types.WrapEntryValue("findings: none")},
		{Name: EvidenceEntry, Value: types.WrapEntryValue("/artifacts/evidence/Pod-to-pod_tcp")},
	}
	r := types.Report{SpecReports: types.SpecReports{failed, spec(types.SpecStatePassed, "", "pod-to-pod", "tcp", "linux", "linux", "same-node")}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var decoded types.Report
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	for name, rep := range map[string]types.Report{"in process": r, "from JSON": decoded} {
		var got []string
		for _, c := range CellsFromReport(rep) {
			got = append(got, c.Placement+"="+c.Evidence)
		}
		if want := []string{"same-node=", "other-node=/artifacts/evidence/Pod-to-pod_tcp"}; !slices.Equal(got, want) {
			t.Errorf("%s: evidence = %q, want %q", name, got, want)
		}
	}
}
