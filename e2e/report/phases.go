package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TimingsFile is the name of the phase timings file in a run's artifacts directory.
const TimingsFile = "timings.json"

// Phase is how long one phase of a run took.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// AppendPhase records a phase in dir/timings.json (a JSON array), creating the file if needed.
// The file is rewritten through a temporary file and a rename, so separate processes recording
// phases one after another never leave it half written.
func AppendPhase(dir, name string, d time.Duration) error {
	phases, err := LoadPhases(dir)
	if err != nil {
		return err
	}
	phases = append(phases, Phase{Name: name, Seconds: math.Round(d.Seconds()*1000) / 1000})
	b, err := json.MarshalIndent(phases, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".timings-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("write phase timings: %w", err)
	}
	// CreateTemp makes the file 0600; the timings are an ordinary artifact.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, TimingsFile))
}

// LoadPhases reads dir/timings.json; a missing file is no phases and no error.
func LoadPhases(dir string) ([]Phase, error) {
	path := filepath.Join(dir, TimingsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var phases []Phase
	if err := json.Unmarshal(b, &phases); err != nil {
		return nil, fmt.Errorf("read phase timings %s: %w", path, err)
	}
	return phases, nil
}

// FormatPhases renders phases as an aligned table in the order they were recorded: name,
// seconds and share of the total, then a total line.
func FormatPhases(phases []Phase) string {
	if len(phases) == 0 {
		return "no phase timings recorded\n"
	}
	const totalName = "total"
	width := len(totalName)
	var total float64
	for _, p := range phases {
		width = max(width, len(p.Name))
		total += p.Seconds
	}
	var b strings.Builder
	for _, p := range phases {
		share := 0.0
		if total > 0 {
			share = 100 * p.Seconds / total
		}
		fmt.Fprintf(&b, "%-*s  %8.1fs  %3.0f%%\n", width, p.Name, p.Seconds, share)
	}
	b.WriteString(strings.Repeat("-", width+16) + "\n")
	fmt.Fprintf(&b, "%-*s  %8.1fs\n", width, totalName, total)
	return b.String()
}
