package lifecycle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calico-conformance/e2e/infra/vagrant"
)

func TestParseBool(t *testing.T) {
	for _, v := range []string{"1", "true", "TRUE", "yes", "Yes", "on", "y"} {
		if b, err := ParseBool("KEEP_CLUSTER", v, false); err != nil || !b {
			t.Errorf("KEEP_CLUSTER=%s = %v, %v; want true", v, b, err)
		}
	}
	for _, v := range []string{"0", "false", "no", "off", "N"} {
		if b, err := ParseBool("KEEP_CLUSTER", v, true); err != nil || b {
			t.Errorf("KEEP_CLUSTER=%s = %v, %v; want false", v, b, err)
		}
	}
	if b, _ := ParseBool("PRELOAD", "", true); !b {
		t.Error("empty must mean the default")
	}
	_, err := ParseBool("KEEP_CLUSTER", "maybe", false)
	if err == nil || ExitCode(err) != ExitBadInput || !strings.Contains(err.Error(), `KEEP_CLUSTER="maybe" is not a boolean: use 1 or 0`) {
		t.Errorf("KEEP_CLUSTER=maybe: %v", err)
	}
}

// The values the re-run issue found accepted before they failed after a cluster existed.
func TestParseRunKnobs(t *testing.T) {
	k, err := ParseRunKnobs(env(map[string]string{}))
	if err != nil || k.CellTimeout != 20*time.Second || k.MaxCaptures != 3 || k.ClusterDomain != "cluster.local" {
		t.Fatalf("defaults = %+v, %v", k, err)
	}
	k, err = ParseRunKnobs(env(map[string]string{"CELL_TIMEOUT": "8s", "MAX_CAPTURES": "0", "LABEL_FILTER": "scenario:dns && !dns:headless",
		"CLUSTER_DOMAIN": "k8s.example.internal", "KEEP_CLUSTER": "yes"}))
	if err != nil || k.CellTimeout != 8*time.Second || k.MaxCaptures != 0 || k.ClusterDomain != "k8s.example.internal" {
		t.Fatalf("valid knobs = %+v, %v", k, err)
	}
	bad := map[string]string{
		"CELL_TIMEOUT=abc":            `CELL_TIMEOUT="abc" is not a positive duration`,
		"CELL_TIMEOUT=-5s":            `CELL_TIMEOUT="-5s" is not a positive duration`,
		"LABEL_FILTER=(((":            `LABEL_FILTER="(((" is not a valid Ginkgo label filter`,
		"MAX_CAPTURES=-1":             `MAX_CAPTURES="-1" is not a number of captures`,
		"MAX_CAPTURES=three":          `MAX_CAPTURES="three" is not a number of captures`,
		"KEEP_CLUSTER=maybe":          `KEEP_CLUSTER="maybe" is not a boolean`,
		"SKIP_IMAGES=2":               `SKIP_IMAGES="2" is not a boolean`,
		"CLUSTER_DOMAIN=Cluster_Loc":  `CLUSTER_DOMAIN="Cluster_Loc" is not a DNS domain`,
		"AGNHOST_IMAGE=not an image!": `AGNHOST_IMAGE="not an image!" is not an image reference`,
	}
	for kv, want := range bad {
		k, v, _ := strings.Cut(kv, "=")
		_, err := ParseRunKnobs(env(map[string]string{k: v}))
		if err == nil || ExitCode(err) != ExitBadInput || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", kv, err, want)
		}
		// ParseOptions (what `calico-e2e check` runs before anything is created) rejects it too
		if _, err := ParseOptions(env(map[string]string{"MODE": "vxlan", k: v}), time.Now()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseOptions with %s: %v", kv, err)
		}
	}
}

func TestCheckFilterSelects(t *testing.T) {
	specs := filepath.Join(t.TempDir(), "specs.txt")
	list := "Cluster DNS resolves fqdn: linux -> linux (any node) [area:dns, scenario:dns, proto:dns, src-os:linux]\n" +
		"Pod-to-pod connectivity reaches tcp: linux -> linux (other node) [area:connectivity, scenario:pod-to-pod, proto:tcp]\n"
	if err := os.WriteFile(specs, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"", "scenario:dns", "proto:tcp && area:connectivity", "!scenario:dns"} {
		if err := CheckFilterSelects(f, specs); err != nil {
			t.Errorf("%q: %v", f, err)
		}
	}
	err := CheckFilterSelects("scenario:bgp && proto:udp", specs)
	if err == nil || ExitCode(err) != ExitBadInput || !strings.Contains(err.Error(), "selects none of the 2 specs") {
		t.Errorf("a filter selecting nothing: %v", err)
	}
	if err := CheckFilterSelects("scenario:dns", filepath.Join(t.TempDir(), "absent")); err != nil {
		t.Errorf("no spec list is not an error: %v", err)
	}
}

// Each e2e-run writes where it is told, else in a folder of its own.
func TestRunArtifacts(t *testing.T) {
	r := Run{RunID: "vxlan-1", Artifacts: "_artifacts/vxlan-1"}
	now := time.Now()
	if got := RunArtifacts(env(map[string]string{"ARTIFACTS": "/tmp/mine"}), r, now); got != "/tmp/mine" {
		t.Errorf("ARTIFACTS given: %q", got)
	}
	a, b := RunArtifacts(env(nil), r, now), RunArtifacts(env(nil), r, now)
	if a == b || filepath.Dir(a) != r.Artifacts || !strings.HasPrefix(filepath.Base(a), "e2e-run-") {
		t.Errorf("two runs on one cluster got %q and %q; want distinct folders under %s", a, b, r.Artifacts)
	}
}

// WINDOWS_REGISTRY follows registry.Parse (the rule PROVIDER=vagrant applies too), and what the
// run builds image names on is the prefix, never a scheme.
func TestWindowsRegistryKnob(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "WINDOWS_REGISTRY" {
				return v
			}
			return ""
		}
	}
	for in, prefix := range map[string]string{
		"":                                        "",
		"registry.example.com":                    "registry.example.com",
		"registry.example.com:5000/e2e":           "registry.example.com:5000/e2e",
		"localhost:5000/team/images":              "localhost:5000/team/images",
		"https://registry.example.com":            "registry.example.com",
		"http://registry.lan:5000":                "registry.lan:5000",
		"http://registry.lan:5000/e2e":            "registry.lan:5000/e2e",
		"https://registry.k8s.io/e2e-test-images": "registry.k8s.io/e2e-test-images",
	} {
		if k, err := ParseRunKnobs(env(in)); err != nil || k.WindowsRegistry != prefix {
			t.Errorf("WINDOWS_REGISTRY=%q: image prefix %q, %v; want %q", in, k.WindowsRegistry, err, prefix)
		}
	}
	for bad, why := range map[string]string{
		"ftp://registry.example.com": `the scheme "ftp" is neither http nor https`,
		"registry.example.com/":      `the path "" has a component ""`,
		"Registry.Example.com":       `"Registry.Example.com" is not a host name`,
		"reg istry":                  `"reg istry" is not a host name`,
		"registry.lan:99999":         `the port "99999" is not a number`,
	} {
		_, err := ParseRunKnobs(env(bad))
		want := `WINDOWS_REGISTRY="` + bad + `" is not a registry: ` + why
		if err == nil || ExitCode(err) != ExitBadInput || !strings.HasPrefix(err.Error(), `WINDOWS_REGISTRY="`+bad+`" is not a registry: `) ||
			!strings.Contains(err.Error(), why) || strings.Contains(err.Error(), "\n") {
			t.Errorf("WINDOWS_REGISTRY=%q: %v, want one bad-input line like %q...", bad, err, want)
		}
	}
}

// The problem this rule replaced: the run and PROVIDER=vagrant checked WINDOWS_REGISTRY with
// different rules, so a value one accepted the other rejected. Both now give the same answer.
func TestWindowsRegistryOneRuleWithVagrant(t *testing.T) {
	for _, v := range []string{
		"registry.lan:5000", "registry.lan:5000/e2e", "http://registry.lan:5000", "http://registry.lan:5000/e2e",
		"https://registry.k8s.io/e2e-test-images",
		"ftp://registry.lan", "registry.lan/", "Registry.lan", "registry.lan:99999", "registry.lan/e2e/agnhost:2.56",
	} {
		getenv := env(map[string]string{"WINDOWS_REGISTRY": v})
		_, runErr := ParseRunKnobs(getenv)
		_, vagrantErr := vagrant.ParseConfig(getenv)
		if (runErr == nil) != (vagrantErr == nil) {
			t.Errorf("WINDOWS_REGISTRY=%q: the run says %v, PROVIDER=vagrant says %v", v, runErr, vagrantErr)
		}
		if runErr != nil && vagrantErr != nil && runErr.Error() != vagrantErr.Error() {
			t.Errorf("WINDOWS_REGISTRY=%q: two messages for one rule:\n run     %q\n vagrant %q", v, runErr, vagrantErr)
		}
	}
}
