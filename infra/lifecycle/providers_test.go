package lifecycle

import (
	"io"
	"testing"
)

// Every PROVIDER value opens the provider of that name, and each provider that makes clusters
// reads its own knobs (so nothing above the registry branches on a provider's name).
func TestProvidersRegistry(t *testing.T) {
	env := func(k string) string { return map[string]string{"HOME": t.TempDir()}[k] }
	seen := map[string]bool{}
	for _, reg := range providers {
		if seen[reg.name] {
			t.Errorf("provider %s registered twice", reg.name)
		}
		seen[reg.name] = true
		if reg.open == nil || reg.options == nil {
			t.Errorf("provider %s: open and options are required", reg.name)
			continue
		}
		p, err := reg.open(env, t.TempDir(), t.TempDir(), io.Discard)
		if err != nil {
			t.Errorf("open %s: %v", reg.name, err)
			continue
		}
		if p.Name() != reg.name {
			t.Errorf("PROVIDER=%s opens a provider named %s", reg.name, p.Name())
		}
		if p.Creates() && reg.hostChecks == nil {
			t.Errorf("provider %s creates clusters but has no host checks to run before it does", reg.name)
		}
	}
	for _, name := range []string{ProviderKind, ProviderExisting, ProviderVagrant} {
		if !seen[name] {
			t.Errorf("provider %s is not registered", name)
		}
	}
	if _, err := registered("gke"); err == nil || ExitCode(err) != ExitBadInput {
		t.Errorf("registered(gke) = %v, want a bad-input error", err)
	}
}
