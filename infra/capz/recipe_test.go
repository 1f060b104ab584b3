package capz

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The recipe is run here against stand-ins for az, clusterctl, kubectl and make that record
// their arguments (and what they read on standard input) and answer what the recipe reads back.
// Nothing reaches Azure or a cluster; what this shows is the recipe's own logic: the order of its
// commands, its preflight, its teardown and where the service principal's password goes.

// fakeCommand answers like the real command where the recipe reads its output.
const fakeCommand = `#!/usr/bin/env bash
name="$(basename "$0")"
printf '%s %s\n' "$name" "$*" >>"$FAKE_LOG"
for a in "$@"; do
	if [[ "$a" == *=/dev/stdin ]]; then
		cat >>"$FAKE_STDIN"
	elif [[ "$a" == - ]]; then
		cat >/dev/null # like kubectl apply --filename -
	fi
done
case "$name $*" in
"clusterctl version -o short") echo "${FAKE_CLUSTERCTL_VERSION:-v1.10.4}" ;;
"clusterctl generate cluster"*) echo "kind: Cluster" ;;
"clusterctl generate yaml"*) echo "kind: DaemonSet" ;;
"clusterctl get kubeconfig"*) echo "apiVersion: v1" ;;
"az sig image-version list-community"*) [[ "${FAKE_IMAGE_VERSION:-}" == none ]] || echo 1.34.4 ;;
"az identity show"*) echo "principal-of-the-identity" ;;
"az group exists"*) echo false ;;
"kubectl "*" get secret "*) exit 1 ;;
"kubectl "*" get helmchartproxy "*) exit 1 ;;
"kubectl "*" config view "*) echo "https://capz-api.westeurope.cloudapp.azure.com:6443" ;;
"kubectl "*" create configmap "*) echo "kind: ConfigMap" ;;
"make "*) exit "${FAKE_MAKE_RC:-0}" ;;
esac
exit 0
`

type recipeRun struct {
	rc     int
	log    []string // one line per command: name and arguments
	stdin  string   // what the commands read on standard input from /dev/stdin
	stderr string
	dir    string // the rendered recipe's directory
}

const fakePassword = "Zq1Q~fake.password.for-the-recipe-test"

// runRecipe renders the default recipe into a directory and runs it with the fakes first in PATH.
func runRecipe(t *testing.T, args []string, env map[string]string) recipeRun {
	t.Helper()
	dir := t.TempDir()
	for name, b := range goldenCases[0].render(t) {
		mode := os.FileMode(0o644)
		if name == RecipeFile {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, mode); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "fakebin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"az", "clusterctl", "kubectl", "make"} {
		if err := os.WriteFile(filepath.Join(bin, c), []byte(fakeCommand), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	repo := filepath.Join(dir, "suite")
	if err := os.Mkdir(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "Makefile"), []byte("e2e:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mgmt := filepath.Join(dir, "management.kubeconfig")
	if err := os.WriteFile(mgmt, []byte("apiVersion: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"PATH":                  bin + ":" + os.Getenv("PATH"),
		"HOME":                  dir,
		"FAKE_LOG":              filepath.Join(dir, "commands.log"),
		"FAKE_STDIN":            filepath.Join(dir, "stdin.log"),
		"AZURE_SUBSCRIPTION_ID": "subscription-placeholder",
		"AZURE_TENANT_ID":       "tenant-placeholder",
		"AZURE_CLIENT_ID":       "client-placeholder",
		"AZURE_CLIENT_SECRET":   fakePassword,
		"AZURE_LOCATION":        "westeurope",
		"MANAGEMENT_KUBECONFIG": mgmt,
		"WINDOWS_REGISTRY":      "registry.k8s.io/e2e-test-images",
		"E2E_REPO":              repo,
		"CLUSTER_NAME":          "exported-by-the-user",
	}
	for k, v := range env {
		if v == "" {
			delete(vars, k)
		} else {
			vars[k] = v
		}
	}
	cmd := exec.Command(filepath.Join(dir, RecipeFile), args...)
	cmd.Dir = dir
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	run := recipeRun{stderr: stderr.String(), dir: dir}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run the recipe: %v", err)
		}
		run.rc = ee.ExitCode()
	}
	if b, err := os.ReadFile(vars["FAKE_LOG"]); err == nil {
		run.log = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	}
	if b, err := os.ReadFile(vars["FAKE_STDIN"]); err == nil {
		run.stdin = string(b)
	}
	return run
}

// index returns the first logged command at or after from that contains every part, or -1.
func (r recipeRun) index(from int, parts ...string) int {
	for i := from; i < len(r.log); i++ {
		ok := true
		for _, p := range parts {
			if !strings.Contains(r.log[i], p) {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// inOrder fails unless the commands appear in this order.
func (r recipeRun) inOrder(t *testing.T, steps ...[]string) {
	t.Helper()
	at := 0
	for _, s := range steps {
		i := r.index(at, s...)
		if i < 0 {
			t.Fatalf("no command with %q after command %d; commands:\n%s\nstderr:\n%s", s, at, strings.Join(r.log, "\n"), r.stderr)
		}
		at = i + 1
	}
}

var (
	stepsUp = [][]string{
		{"clusterctl version -o short"},
		{"az sig image-version list-community", "--gallery-image-definition " + LinuxImageDefinition, "--location westeurope"},
		{"az sig image-version list-community", "--gallery-image-definition " + WindowsImageDefinition},
		{"az group create --name calico-e2e-capz-identity-rg"},
		{"az identity create --name calico-e2e-capz-cloud-provider"},
		{"az role assignment create", "--assignee-object-id principal-of-the-identity", "--role Contributor", "--scope /subscriptions/subscription-placeholder"},
		{"clusterctl init", "--core cluster-api:" + CAPIVersion, "--bootstrap kubeadm:" + CAPIVersion, "--control-plane kubeadm:" + CAPIVersion,
			"--infrastructure azure:" + CAPZVersion, "--addon helm:" + CAAPHVersion, "--wait-providers"},
		{"kubectl", "create secret generic calico-e2e-capz-identity-secret", "--from-file=clientSecret=/dev/stdin"},
		{"clusterctl generate cluster calico-e2e-capz", "--infrastructure azure:" + CAPZVersion, "--flavor windows", "--kubernetes-version v1.34.4"},
		{"kubectl", "apply --filename", "calico-e2e-capz.yaml --selector clusterctl.cluster.x-k8s.io/move-hierarchy=true"},
		{"kubectl", "patch azureclusteridentity calico-e2e-capz-identity", `"name":"calico-e2e-capz-identity-secret"`},
		{"kubectl", "apply --filename", "calico-e2e-capz.yaml"},
		{"kubectl", "label cluster calico-e2e-capz cni=calico-e2e-capz-calico cloud-provider=azure"},
		{"kubectl", "apply --filename", HelmChartProxyFile},
		{"kubectl", "apply --filename " + capzRaw + cloudProviderProxyPath},
		{"kubectl", "wait --for=condition=ControlPlaneInitialized cluster/calico-e2e-capz"},
		{"clusterctl get kubeconfig calico-e2e-capz"},
		{"kubectl", "calico-e2e-capz.kubeconfig", "wait --for=create installation.operator.tigera.io/default"},
		{"kubectl", "rollout status --namespace calico-system daemonset/calico-node "},
		{"kubectl", "patch ipamconfigs.crd.projectcalico.org default", "strictAffinity"},
		{"kubectl", "create configmap kubernetes-services-endpoint --namespace tigera-operator",
			"--from-literal=KUBERNETES_SERVICE_HOST=capz-api.westeurope.cloudapp.azure.com", "--from-literal=KUBERNETES_SERVICE_PORT=6443"},
		{"clusterctl generate yaml --from " + capzRaw + kubeProxyWindowsPath},
		{"kubectl", "wait --for=condition=Available machinedeployment/calico-e2e-capz-md-0 machinedeployment/calico-e2e-capz-md-win"},
		{"kubectl", "wait --for=condition=Ready nodes --all"},
		{"kubectl", "rollout status --namespace calico-system daemonset/calico-node-windows"},
		{"kubectl", "rollout status --namespace kube-system daemonset/kube-proxy-windows"},
		{"kubectl", "wait --for=condition=Available tigerastatus --all"},
		{"make -C", "e2e PROVIDER=existing KUBECONFIG=", "calico-e2e-capz.kubeconfig MODE=vxlan WINDOWS_REGISTRY=registry.k8s.io/e2e-test-images"},
	}
	stepsDown = [][]string{
		{"kubectl", "delete helmchartproxy calico-e2e-capz-calico"},
		{"kubectl", "delete cluster calico-e2e-capz"},
		{"kubectl", "delete azureclusteridentity calico-e2e-capz-identity"},
		{"kubectl", "delete secret calico-e2e-capz-identity-secret"},
		{"kubectl", "delete helmchartproxy " + cloudProviderProxyName},
		{"az role assignment delete", "--assignee principal-of-the-identity", "--role Contributor"},
		{"az group delete --name calico-e2e-capz-identity-rg --yes"},
		{"az group exists --name calico-e2e-capz"},
	}
)

func TestRecipeRunsItsStepsInOrderAndDeletesEverything(t *testing.T) {
	r := runRecipe(t, nil, nil)
	if r.rc != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.rc, r.stderr)
	}
	r.inOrder(t, append(stepsUp, stepsDown...)...)
	if r.index(0, "clusterctl describe cluster") >= 0 {
		t.Errorf("diagnostics were collected on success")
	}
	if _, err := os.Stat(filepath.Join(r.dir, "calico-e2e-capz.kubeconfig")); err == nil {
		t.Errorf("the workload kubeconfig (credentials) is left after teardown")
	}
}

func TestRecipePasswordTravelsOnlyOnStandardInput(t *testing.T) {
	r := runRecipe(t, nil, nil)
	if r.rc != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.rc, r.stderr)
	}
	if r.stdin != fakePassword {
		t.Errorf("the Secret was given %q on standard input, want the password exactly (no newline)", r.stdin)
	}
	for _, line := range r.log {
		if strings.Contains(line, fakePassword) {
			t.Errorf("the password is on a command line: %s", line)
		}
	}
	if strings.Contains(r.stderr, fakePassword) {
		t.Errorf("the password is in the recipe's output")
	}
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(r.dir, e.Name())); err == nil && strings.Contains(string(b), fakePassword) && e.Name() != "stdin.log" {
			t.Errorf("%s holds the password", e.Name())
		}
	}
}

func TestRecipeDoesNotHandTheSuiteItsClusterName(t *testing.T) {
	r := runRecipe(t, nil, nil)
	i := r.index(0, "make -C")
	if i < 0 {
		t.Fatalf("make was not run; stderr:\n%s", r.stderr)
	}
	if strings.Contains(r.log[i], "CLUSTER_NAME") {
		t.Errorf("make got CLUSTER_NAME: %s", r.log[i])
	}
}

func TestRecipeFailureCollectsEvidenceThenDeletesAndKeepsTheExitCode(t *testing.T) {
	r := runRecipe(t, nil, map[string]string{"FAKE_MAKE_RC": "3"})
	if r.rc != 3 {
		t.Fatalf("exit %d, want the suite's 3; stderr:\n%s", r.rc, r.stderr)
	}
	r.inOrder(t, []string{"make -C"}, []string{"clusterctl describe cluster calico-e2e-capz"}, []string{"kubectl", "delete cluster calico-e2e-capz"})
	if _, err := os.Stat(filepath.Join(r.dir, "_artifacts", "clusterctl-describe.txt")); err != nil {
		t.Errorf("no diagnostics file: %v", err)
	}
}

func TestRecipeKeepsTheClusterWhenAsked(t *testing.T) {
	r := runRecipe(t, nil, map[string]string{"KEEP_CLUSTER": "1"})
	if r.rc != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.rc, r.stderr)
	}
	if i := r.index(0, " delete "); i >= 0 {
		t.Errorf("KEEP_CLUSTER=1 deleted: %s", r.log[i])
	}
	if !strings.Contains(r.stderr, "recipe.sh down") {
		t.Errorf("KEEP_CLUSTER=1 does not say how to delete later:\n%s", r.stderr)
	}
	down := runRecipe(t, []string{"down"}, map[string]string{"WINDOWS_REGISTRY": "", "AZURE_CLIENT_SECRET": ""})
	if down.rc != 0 {
		t.Fatalf("down: exit %d; stderr:\n%s", down.rc, down.stderr)
	}
	// a fresh directory: no marker that this recipe applied CAPZ's cloud-provider proxy, so it stays
	var steps [][]string
	for _, s := range stepsDown {
		if !strings.Contains(strings.Join(s, " "), cloudProviderProxyName) {
			steps = append(steps, s)
		}
	}
	down.inOrder(t, steps...)
	if i := down.index(0, "delete helmchartproxy "+cloudProviderProxyName); i >= 0 {
		t.Errorf("down deleted a cloud-provider proxy it did not create: %s", down.log[i])
	}
	if i := down.index(0, "create"); i >= 0 {
		t.Errorf("down created something: %s", down.log[i])
	}
}

// TestRecipePreflightFailsBeforeCreatingAnything: bad input is one line and exit 2, and no
// command that creates anything has run.
func TestRecipePreflightFailsBeforeCreatingAnything(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no password", map[string]string{"AZURE_CLIENT_SECRET": ""}, "AZURE_CLIENT_SECRET is not set"},
		{"no registry", map[string]string{"WINDOWS_REGISTRY": ""}, "WINDOWS_REGISTRY is not set"},
		{"other clusterctl", map[string]string{"FAKE_CLUSTERCTL_VERSION": "v1.11.0"}, "clusterctl is v1.11.0"},
		{"no reference image", map[string]string{"FAKE_IMAGE_VERSION": "none"}, "no CAPZ reference image " + LinuxImageDefinition},
		{"no suite checkout", map[string]string{"E2E_REPO": "/nonexistent"}, "E2E_REPO=/nonexistent has no Makefile"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runRecipe(t, nil, c.env)
			if r.rc != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", r.rc, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr %q, want one line with %q", r.stderr, c.want)
			}
			for _, l := range r.log {
				if strings.Contains(l, " create") || strings.Contains(l, " init") || strings.Contains(l, " apply") || strings.Contains(l, " delete") {
					t.Errorf("preflight failure still ran: %s", l)
				}
			}
		})
	}
}
