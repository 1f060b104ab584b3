package lifecycle

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/calico-conformance/e2e/infra/calico"
)

// ParseModes reads MODES: a comma-separated list of modes to run one after another, or "all",
// every mode this host can run (IPIP only when ipipOK says the kernel has it). Each mode gets a
// cluster of its own: a verdict never depends on what an earlier mode left on a node. Every
// error is one UsageError line.
func ParseModes(getenv func(string) string, ipipOK func() bool) ([]calico.Mode, error) {
	v := strings.TrimSpace(getenv("MODES"))
	if v == "" {
		return nil, UsageError{"MODES is empty: give modes separated by commas, e.g. MODES=vxlan,noencap, or MODES=all"}
	}
	name := cmp.Or(getenv("PROVIDER"), ProviderKind)
	reg, err := registered(name)
	if err != nil {
		return nil, err
	}
	if p, err := reg.open(getenv, "", stateRoot(getenv), io.Discard); err != nil {
		return nil, err
	} else if !p.Creates() {
		return nil, UsageError{fmt.Sprintf("MODES needs clusters the suite creates: a PROVIDER=%s cluster has the one mode it was installed with; use PROVIDER=kind, or MODE alone", name)}
	}
	if v == "all" {
		var modes []calico.Mode
		for _, m := range calico.Modes() {
			if m != calico.ModeIPIP || ipipOK() {
				modes = append(modes, m)
			}
		}
		return modes, nil
	}
	var modes []calico.Mode
	for _, s := range strings.Split(v, ",") {
		m, err := calico.ParseMode(strings.TrimSpace(s))
		if err != nil {
			return nil, UsageError{fmt.Sprintf("MODES=%q: %v (or MODES=all)", v, err)}
		}
		if slices.Contains(modes, m) {
			return nil, UsageError{fmt.Sprintf("MODES=%q names %s twice: give each mode once", v, m)}
		}
		modes = append(modes, m)
	}
	return modes, nil
}
