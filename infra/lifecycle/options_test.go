package lifecycle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseOptions(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 18, 0, 0, 0, time.UTC)
	o, err := ParseOptions(env(map[string]string{"MODE": "vxlan", "HOME": "/home/u"}), now)
	if err != nil {
		t.Fatal(err)
	}
	if o.Provider != ProviderKind || o.Images != "release" || !o.Preload || o.Workers != 2 {
		t.Errorf("defaults = %+v", o)
	}
	if !strings.HasPrefix(o.RunID, "vxlan-1121-180000-") || o.ClusterName != "e2e-"+o.RunID {
		t.Errorf("run id %q, cluster %q", o.RunID, o.ClusterName)
	}
	if o.Kubeconfig != filepath.Join("/home/u/.cache/calico-e2e/runs", o.RunID, "kubeconfig") || strings.HasPrefix(o.Kubeconfig, o.Artifacts) {
		t.Errorf("kubeconfig %q must live in the state dir, not in artifacts %q", o.Kubeconfig, o.Artifacts)
	}
	o2, _ := ParseOptions(env(map[string]string{"MODE": "vxlan"}), now)
	if o2.RunID == o.RunID {
		t.Error("two runs in the same second got the same id")
	}
	o, err = ParseOptions(env(map[string]string{"MODE": "noencap", "PROVIDER": "existing", "KUBECONFIG": kubeconfig, "IMAGES": "source", "PRELOAD": "0"}), now)
	if err != nil || o.Kubeconfig != kubeconfig || o.ClusterName != "" || o.Preload {
		t.Fatalf("existing = %+v, %v", o, err)
	}

	bad := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "MODE is empty: valid values are vxlan, noencap, ipip"},
		{map[string]string{"MODE": "bgp"}, `unknown MODE "bgp": valid values are vxlan, noencap, ipip`},
		{map[string]string{"MODE": "vxlan", "PROVIDER": "gke"}, `unknown PROVIDER "gke": valid values are kind, existing`},
		{map[string]string{"MODE": "vxlan", "IMAGES": "local"}, `unknown IMAGES "local": valid values are source, release`},
		{map[string]string{"MODE": "vxlan", "PROVIDER": "existing"}, "PROVIDER=existing needs KUBECONFIG=<path to the cluster's kubeconfig>"},
		{map[string]string{"MODE": "vxlan", "PROVIDER": "existing", "KUBECONFIG": "/nope"}, "KUBECONFIG /nope does not exist"},
		{map[string]string{"MODE": "vxlan", "PROVIDER": "existing", "KUBECONFIG": "/a:/b"}, "lists several files"},
		{map[string]string{"MODE": "vxlan", "RUN_ID": "Bad_ID"}, `RUN_ID "Bad_ID" is not valid`},
		{map[string]string{"MODE": "vxlan", "CLUSTER_NAME": "My.Cluster"}, `CLUSTER_NAME "My.Cluster" is not valid`},
	}
	for _, b := range bad {
		_, err := ParseOptions(env(b.env), now)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseOptions(%v) = %v, want %q", b.env, err, b.want)
			continue
		}
		if ExitCode(err) != ExitBadInput || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseOptions(%v): exit %d, one line %v", b.env, ExitCode(err), !strings.Contains(err.Error(), "\n"))
		}
	}
}

func TestExitCodes(t *testing.T) {
	if ExitCode(nil) != 0 || ExitCode(UsageError{"x"}) != 2 || ExitCode(PreflightError{"x"}) != 3 || ExitCode(os.ErrNotExist) != 1 {
		t.Fatal("exit codes are wrong")
	}
}

func TestRunRecordRoundTrip(t *testing.T) {
	root := t.TempDir()
	r := Run{RunID: "vxlan-1", Mode: "vxlan", Provider: ProviderKind, ClusterName: "e2e-vxlan-1", Created: true}
	if err := r.Save(filepath.Join(root, r.RunID)); err != nil {
		t.Fatal(err)
	}
	got, dir, err := LoadRun(env(map[string]string{"E2E_STATE_DIR": root}))
	if err != nil || got != r || dir != filepath.Join(root, "vxlan-1") {
		t.Fatalf("LoadRun latest = %+v %s %v", got, dir, err)
	}
	if _, _, err := LoadRun(env(map[string]string{"E2E_STATE_DIR": root, "RUN_ID": "other"})); ExitCode(err) != ExitBadInput {
		t.Fatalf("LoadRun of an unknown run = %v, want a usage error", err)
	}
	if _, _, err := LoadRun(env(map[string]string{"E2E_STATE_DIR": t.TempDir()})); err == nil || !strings.Contains(err.Error(), "make e2e-up") {
		t.Fatalf("LoadRun with no runs = %v", err)
	}
}

// The Corefile kind v0.33.0 writes (kubeadm's default).
const kindCorefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`

func TestStripForward(t *testing.T) {
	got := StripForward(kindCorefile)
	if strings.Contains(got, "forward") || strings.Contains(got, "max_concurrent") {
		t.Fatalf("forward left in:\n%s", got)
	}
	for _, keep := range []string{"kubernetes cluster.local", "cache 30 {", "loadbalance", "prometheus :9153"} {
		if !strings.Contains(got, keep) {
			t.Errorf("StripForward removed %q:\n%s", keep, got)
		}
	}
	if one := StripForward("    forward . 8.8.8.8\n    cache 30\n"); one != "    cache 30\n" {
		t.Errorf("one-line forward: %q", one)
	}
}

func TestWorkersKnob(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	o, err := ParseOptions(env(map[string]string{"MODE": "vxlan", "WORKERS": "4"}), now)
	if err != nil || o.Workers != 4 {
		t.Fatalf("WORKERS=4: %+v %v", o.Workers, err)
	}
	for _, bad := range []string{"0", "11", "two", "-1"} {
		_, err := ParseOptions(env(map[string]string{"MODE": "vxlan", "WORKERS": bad}), now)
		if err == nil || ExitCode(err) != ExitBadInput || !strings.Contains(err.Error(), "WORKERS=") {
			t.Errorf("WORKERS=%s: %v, want one bad-input line", bad, err)
		}
	}
	// PROVIDER=vagrant counts its own workers (LINUX_WORKERS, WINDOWS_NODES)
	o, err = ParseOptions(env(map[string]string{"MODE": "vxlan", "PROVIDER": "vagrant", "LINUX_WORKERS": "2", "WINDOWS_NODES": "3", "WORKERS": "7"}), now)
	if err != nil || o.Workers != 2 || o.WindowsNodes != 3 || o.Router {
		t.Errorf("vagrant: workers %d windows %d router %v, %v", o.Workers, o.WindowsNodes, o.Router, err)
	}
}
