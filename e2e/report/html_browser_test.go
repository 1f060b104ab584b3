package report

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"golang.org/x/net/html"
)

// The HTML report is checked as a person sees it: headless Chromium (Debian's chromium
// package) parses and lays out the page, a script added to a copy of the page reads back the
// DOM (the resolved evidence links, the cells' boxes and computed colours) and a screenshot of
// the page itself shows the colours on screen. Chromium only ever loads file:// URLs, with
// every background fetch turned off and every host name unresolvable.

// measureScript, appended to the end of a copy of the page, writes what the browser made of
// the page into a <pre id="measure"> after everything else, so the boxes it measures are where
// they are on the page itself.
const measureScript = `<script>
(() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
  const out = {cells: [], fails: [], skips: [], findings: [], scripts: document.scripts.length,
    width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight};
  for (const td of document.querySelectorAll("table.grid td")) {
    out.cells.push({state: td.className, box: box(td), background: getComputedStyle(td).backgroundColor});
  }
  for (const td of document.querySelectorAll("table.grid td.fail")) {
    const a = td.querySelector("a.evidence");
    out.fails.push({text: td.innerText, title: td.title, evidence: a ? a.href : ""});
  }
  for (const td of document.querySelectorAll("table.grid td.skip")) out.skips.push(td.title);
  for (const li of document.querySelectorAll("ul.findings li")) {
    out.findings.push({text: li.innerText, links: [...li.querySelectorAll("a")].map((a) => a.href)});
  }
  const pre = document.createElement("pre");
  pre.id = "measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`

// measured is what measureScript reports.
type measured struct {
	Cells []struct {
		State      string     `json:"state"`
		Box        [4]float64 `json:"box"`
		Background string     `json:"background"`
	} `json:"cells"`
	Fails []struct {
		Text     string `json:"text"`
		Title    string `json:"title"`
		Evidence string `json:"evidence"`
	} `json:"fails"`
	Skips    []string `json:"skips"`
	Findings []struct {
		Text  string   `json:"text"`
		Links []string `json:"links"`
	} `json:"findings"`
	Scripts       int `json:"scripts"`
	Width, Height int
}

// chromium runs headless Chromium on a file:// URL in a window of w x h CSS pixels with args
// (--dump-dom, --screenshot=...), offline, and returns its standard output.
func chromium(t *testing.T, bin, page string, w, h int, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	profile := t.TempDir()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
		"--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=" + profile,
		fmt.Sprintf("--window-size=%d,%d", w, h), "--force-device-scale-factor=1",
		"--force-color-profile=srgb", "--hide-scrollbars",
	}, args...)
	all = append(all, (&url.URL{Scheme: "file", Path: page}).String())
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.Dir = profile // a --screenshot without a path would land here, never in the package
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(all, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// chromiumBinary is Debian's chromium, or $CHROMIUM; the test is skipped without it.
func chromiumBinary(t *testing.T) string {
	t.Helper()
	name := cmp.Or(os.Getenv("CHROMIUM"), "chromium")
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed, so the HTML report is not checked in a browser (Debian: apt-get install chromium; or set CHROMIUM)", name)
	}
	return bin
}

// inBrowser loads page (an HTML report) in Chromium and returns what the browser made of it
// and a screenshot of the whole page. The window is first 1280x800, then as large as the page,
// so the screenshot holds every cell and the boxes are measured in that same window.
func inBrowser(t *testing.T, bin, page string) (measured, image.Image) {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(b, []byte("</body>"))
	if i < 0 {
		t.Fatalf("%s has no </body>", page)
	}
	probe := filepath.Join(filepath.Dir(page), ".measure-"+filepath.Base(page))
	if err := os.WriteFile(probe, slices.Concat(b[:i], []byte(measureScript), b[i:]), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(probe)

	m := measure(t, bin, probe, 1280, 800)
	w, h := max(1280, m.Width), max(800, m.Height)
	if w > 6000 || h > 12000 {
		t.Fatalf("page is %dx%d pixels, too large to check in one screenshot", w, h)
	}
	m = measure(t, bin, probe, w, h)

	shot := filepath.Join(t.TempDir(), "shot.png")
	chromium(t, bin, page, w, h, "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if sz := img.Bounds().Size(); sz.X != w || sz.Y != h {
		t.Fatalf("screenshot is %v, want %dx%d (device scale factor not 1?)", sz, w, h)
	}
	return m, img
}

// measure loads the page with measureScript in a w x h window and reads its report from the DOM.
func measure(t *testing.T, bin, probe string, w, h int) measured {
	t.Helper()
	dom, err := html.Parse(bytes.NewReader(chromium(t, bin, probe, w, h, "--dump-dom")))
	if err != nil {
		t.Fatal(err)
	}
	pres := elements(dom, "pre", "")
	if len(pres) == 0 || attr(pres[len(pres)-1], "id") != "measure" {
		t.Fatalf("the measuring script did not run: no <pre id=measure> in the DOM")
	}
	var m measured
	if err := json.Unmarshal([]byte(text(pres[len(pres)-1])), &m); err != nil {
		t.Fatal(err)
	}
	if m.Scripts != 1 {
		t.Errorf("the page has %d scripts of its own; it must have none", m.Scripts-1)
	}
	return m
}

// checkColours checks that every cell of the grid is painted in its state's colour on the
// screenshot: all pixels of the cell's top padding (no text, no border), and its computed
// background. It returns how many cells of each state it checked.
func checkColours(t *testing.T, m measured, img image.Image) map[string]int {
	t.Helper()
	want := map[string]string{Pass: colorPass, Fail: colorFail, Skip: colorSkip, "none": colorNone}
	checked := map[string]int{}
	for _, cell := range m.Cells {
		hex, ok := want[cell.State]
		if !ok {
			t.Errorf("cell of unknown state %q", cell.State)
			continue
		}
		c := parseHex(t, hex)
		if cell.Background != fmt.Sprintf("rgb(%d, %d, %d)", c.R, c.G, c.B) {
			t.Errorf("%s cell at %v: computed background %s, want %s", cell.State, cell.Box, cell.Background, hex)
		}
		x0, y0, w := int(cell.Box[0])+3, int(cell.Box[1])+2, int(cell.Box[2])
		bad, total := 0, 0
		var example color.RGBA
		for y := y0; y < y0+3; y++ {
			for x := x0; x < x0+w-6; x++ {
				total++
				if p := rgba(img.At(x, y)); !near(p, c) {
					if bad == 0 {
						example = p
					}
					bad++
				}
			}
		}
		if total == 0 || bad > 0 {
			t.Errorf("%s cell at %v: %d of %d pixels are not %s, e.g. %v", cell.State, cell.Box, bad, total, hex, example)
		}
		checked[cell.State]++
	}
	return checked
}

func parseHex(t *testing.T, hex string) color.RGBA {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil {
		t.Fatal(err)
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

func rgba(c color.Color) color.RGBA {
	r, g, b, _ := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}
}

func near(a, b color.RGBA) bool {
	d := func(x, y uint8) int { return max(int(x), int(y)) - min(int(x), int(y)) }
	return d(a.R, b.R) <= 6 && d(a.G, b.G) <= 6 && d(a.B, b.B) <= 6
}

// fileURLPath is the local path a file:// URL names.
func fileURLPath(t *testing.T, href string) string {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil || u.Scheme != "file" {
		t.Fatalf("link %q is not a file:// URL (err %v)", href, err)
	}
	return u.Path
}

func TestHTMLInChromium(t *testing.T) {
	bin := chromiumBinary(t)
	start := time.Now()
	art, run := fixtureRun(t)
	if err := WriteHTML(filepath.Join(art, HTMLFile), []ModeResults{run}); err != nil {
		t.Fatal(err)
	}
	// The artifacts folder is moved after the run (uploaded, copied): links must follow it.
	moved := filepath.Join(t.TempDir(), "uploaded artifacts")
	if err := os.Rename(art, moved); err != nil {
		t.Fatal(err)
	}
	m, img := inBrowser(t, bin, filepath.Join(moved, HTMLFile))

	if got, want := checkColours(t, m, img), map[string]int{Pass: 2, Fail: 3, Skip: 2, "none": 8}; !equalCounts(got, want) {
		t.Errorf("cells seen by state = %v, want %v", got, want)
	}

	if len(m.Fails) != 3 {
		t.Fatalf("browser shows %d failed cells, want 3", len(m.Fails))
	}
	linked := 0
	for _, f := range m.Fails {
		if !strings.Contains(f.Text, "FAIL") || !strings.HasPrefix(f.Title, "FAIL: ") {
			t.Errorf("failed cell does not read FAIL: %q (title %q)", f.Text, f.Title)
		}
		if f.Evidence == "" {
			if !strings.Contains(f.Text, "collecting evidence failed: <boom>") {
				t.Errorf("failed cell without evidence does not say why: %q", f.Text)
			}
			continue
		}
		linked++
		p := fileURLPath(t, f.Evidence)
		if !strings.HasPrefix(p, moved+"/evidence/") {
			t.Errorf("evidence link %s does not lead into the moved artifacts %s", p, moved)
		}
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			t.Errorf("evidence link %s: not a directory (%v)", f.Evidence, err)
		}
	}
	if linked != 2 {
		t.Errorf("%d failed cells link their evidence in the browser, want 2", linked)
	}
	if want := []string{"skip: the cluster has no Windows nodes", `skip: needs "windows" & <dns>`}; !slices.Equal(m.Skips, want) {
		t.Errorf("skip tooltips = %q, want %q", m.Skips, want)
	}
	if len(m.Findings) != 2 || !strings.Contains(m.Findings[1].Text, hostileCause) {
		t.Fatalf("findings as shown = %+v; want 2, the second showing %q as text", m.Findings, hostileCause)
	}
	for _, l := range m.Findings[1].Links {
		if _, err := os.Stat(fileURLPath(t, l)); err != nil {
			t.Errorf("finding link %s: %v", l, err)
		}
	}
	t.Logf("checked in %s in %v", bin, time.Since(start).Round(time.Millisecond))
}

// A real run's report, when this checkout has one under _artifacts (a run with failed cells,
// their evidence and findings); skipped otherwise, so the test never depends on it.
func TestHTMLInChromiumRealRun(t *testing.T) {
	bin := chromiumBinary(t)
	run, cells := realRun(t)
	fs, err := ReadFindings(run)
	if err != nil {
		t.Fatal(err)
	}
	// Written outside the run's folder (it is not this test's to change); links climb back.
	page := filepath.Join(t.TempDir(), HTMLFile)
	if err := WriteHTML(page, []ModeResults{{Mode: "from " + filepath.Base(run), Cells: cells, Findings: fs,
		Meta: map[string]string{"report": filepath.Join(run, "report.json")}}}); err != nil {
		t.Fatal(err)
	}
	m, img := inBrowser(t, bin, page)
	checked := checkColours(t, m, img)
	n := map[string]int{}
	for _, c := range cells {
		n[c.State]++
	}
	for _, s := range []string{Pass, Fail, Skip} {
		if checked[s] != n[s] {
			t.Errorf("browser shows %d %s cells, the run has %d", checked[s], s, n[s])
		}
	}
	for _, f := range m.Fails {
		if f.Evidence == "" {
			continue
		}
		if st, err := os.Stat(fileURLPath(t, f.Evidence)); err != nil || !st.IsDir() {
			t.Errorf("evidence link %s: not a directory (%v)", f.Evidence, err)
		}
	}
	if len(m.Findings) != len(fs) {
		t.Errorf("browser shows %d findings, the run has %d", len(m.Findings), len(fs))
	}
	for _, f := range m.Findings {
		for _, l := range f.Links {
			if strings.HasPrefix(l, "file:") {
				if _, err := os.Stat(fileURLPath(t, l)); err != nil {
					t.Errorf("finding link %s: %v", l, err)
				}
			}
		}
	}
	t.Logf("%s: %d cells (%v), %d findings, page %dx%d", run, len(cells), checked, len(fs), m.Width, m.Height)
}

// realRun is the first run (by path) under ../../_artifacts whose report.json has a failed cell
// with evidence and findings.
func realRun(t *testing.T) (string, []Cell) {
	t.Helper()
	var reports []string
	for _, pattern := range []string{"../../_artifacts/*/report.json", "../../_artifacts/*/*/report.json"} {
		m, _ := filepath.Glob(pattern)
		reports = append(reports, m...)
	}
	slices.Sort(reports)
	for _, r := range reports {
		b, err := os.ReadFile(r)
		if err != nil {
			continue
		}
		var rs []types.Report
		if json.Unmarshal(b, &rs) != nil || len(rs) == 0 {
			continue
		}
		cells := CellsFromReport(rs[0])
		for _, c := range cells {
			if _, err := os.Stat(filepath.Join(c.Evidence, findingsFile)); c.State == Fail && err == nil {
				dir, err := filepath.Abs(filepath.Dir(r))
				if err != nil {
					t.Fatal(err)
				}
				return dir, cells
			}
		}
	}
	t.Skip("no run with failed cells, evidence and findings under _artifacts")
	return "", nil
}
