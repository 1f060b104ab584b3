package calico

import (
	"reflect"
	"testing"
)

// setEnv is exercised through RenderManifest, but the release manifests never set the pool
// variables through valueFrom; this covers that and the other branches directly.
func TestSetEnv(t *testing.T) {
	from := map[string]any{"configMapKeyRef": map[string]any{"name": "calico-config", "key": "k"}}
	tests := []struct {
		name        string
		env         []any
		wantChanged bool
		wantEnv     []any
	}{
		{"append", nil, true, []any{map[string]any{"name": "X", "value": "v"}}},
		{"replace value", []any{map[string]any{"name": "X", "value": "old"}}, true,
			[]any{map[string]any{"name": "X", "value": "v"}}},
		{"replace valueFrom", []any{map[string]any{"name": "X", "valueFrom": from}}, true,
			[]any{map[string]any{"name": "X", "value": "v"}}},
		{"unchanged", []any{map[string]any{"name": "Y", "value": "y"}, map[string]any{"name": "X", "value": "v"}}, false,
			[]any{map[string]any{"name": "Y", "value": "y"}, map[string]any{"name": "X", "value": "v"}}},
	}
	for _, tt := range tests {
		c := map[string]any{"name": "calico-node"}
		if tt.env != nil {
			c["env"] = tt.env
		}
		changed, err := setEnv(c, "X", "v")
		if err != nil || changed != tt.wantChanged || !reflect.DeepEqual(c["env"], tt.wantEnv) {
			t.Errorf("%s: setEnv = %v, %v, env %v; want %v, nil, env %v", tt.name, changed, err, c["env"], tt.wantChanged, tt.wantEnv)
		}
	}
	if _, err := setEnv(map[string]any{"env": "X=v"}, "X", "v"); err == nil {
		t.Error("setEnv on a non-list env: no error")
	}
}

func TestHeader(t *testing.T) {
	tests := map[string]string{
		"---\n# Source: a\n\n# more\nkind: X\n# inner\n": "---\n# Source: a\n\n# more\n",
		"kind: X\n":           "",
		"# only a comment\n":  "# only a comment\n",
		"# no newline at end": "",
	}
	for in, want := range tests {
		if got := string(header([]byte(in))); got != want {
			t.Errorf("header(%q) = %q, want %q", in, got, want)
		}
	}
}
