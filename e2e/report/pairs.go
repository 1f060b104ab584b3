package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// pairsDir holds the per-process probe results of every suite run that wrote to an artifacts
// directory, one folder per run (its fixture namespace), so runs never read each other's.
func pairsDir(artifacts, run string) string { return filepath.Join(artifacts, "pairs", run) }

// SavePairs writes one Ginkgo process's probe results of run (the fixture namespace).
func SavePairs(artifacts, run string, process int, pairs []PairResult) error {
	if run == "" {
		return fmt.Errorf("save probe results: no run key")
	}
	b, err := json.Marshal(pairs)
	if err != nil {
		return err
	}
	dir := pairsDir(artifacts, run)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, fmt.Sprintf("process-%d.json", process)), b, 0o644)
}

// LoadPairs reads every process's probe results of run, and nothing of any other run.
func LoadPairs(artifacts, run string) ([]PairResult, error) {
	if run == "" {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(pairsDir(artifacts, run), "process-*.json"))
	if err != nil {
		return nil, err
	}
	var all []PairResult
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return all, err
		}
		var ps []PairResult
		if err := json.Unmarshal(b, &ps); err != nil {
			return all, fmt.Errorf("read %s: %w", f, err)
		}
		all = append(all, ps...)
	}
	return all, nil
}
