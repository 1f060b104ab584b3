package lifecycle

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseModes(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		ipip bool
		want string // the modes, or the error's start
	}{
		{map[string]string{"MODES": "vxlan,noencap"}, false, "[vxlan noencap]"},
		{map[string]string{"MODES": " noencap , vxlan "}, false, "[noencap vxlan]"},
		{map[string]string{"MODES": "all"}, false, "[vxlan noencap]"},
		{map[string]string{"MODES": "all"}, true, "[vxlan noencap ipip]"},
		{map[string]string{"MODES": "ipip"}, false, "[ipip]"}, // the mode's own preflight says why it cannot run
		{map[string]string{"MODES": ""}, false, "MODES is empty"},
		{map[string]string{"MODES": "vxlan,gre"}, false, `MODES="vxlan,gre": unknown MODE "gre"`},
		{map[string]string{"MODES": "vxlan,,noencap"}, false, `MODES="vxlan,,noencap": MODE is empty`},
		{map[string]string{"MODES": "vxlan,vxlan"}, false, "MODES=\"vxlan,vxlan\" names vxlan twice"},
		{map[string]string{"MODES": "all", "PROVIDER": "existing"}, false, "MODES needs clusters the suite creates: a PROVIDER=existing cluster"},
		{map[string]string{"MODES": "all", "PROVIDER": "gke"}, false, `unknown PROVIDER "gke"`},
	} {
		modes, err := ParseModes(func(k string) string { return tc.env[k] }, func() bool { return tc.ipip })
		got := fmt.Sprint(modes)
		if err != nil {
			got = err.Error()
			if ExitCode(err) != ExitBadInput || strings.Contains(got, "\n") {
				t.Errorf("%v: %q is not one bad-input line", tc.env, got)
			}
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%v (ipip %v) = %s, want %s", tc.env, tc.ipip, got, tc.want)
		}
	}
}
