package capz

import (
	"bytes"
	"flag"
	"github.com/calico-conformance/e2e/internal/golden"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"sigs.k8s.io/yaml"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/versions"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current renderer")

type goldenCase struct {
	name string
	env  map[string]string // knobs, as ParseOptions reads them
}

var goldenCases = []goldenCase{
	{"default", nil},
	{"three-windows-nodes", map[string]string{
		"CLUSTER_NAME": "lab-win", "WINDOWS_NODES": "3", "AZURE_NODE_MACHINE_TYPE": "Standard_D8s_v3",
	}},
}

func (g goldenCase) options(t *testing.T) Options {
	t.Helper()
	o, err := ParseOptions(func(k string) string { return g.env[k] })
	if err != nil {
		t.Fatalf("ParseOptions: %v", err)
	}
	return o
}

func (g goldenCase) render(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := Render(g.options(t))
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return files
}

func TestRenderGolden(t *testing.T) {
	for _, g := range goldenCases {
		t.Run(g.name, func(t *testing.T) {
			golden.Check(t, filepath.Join("testdata", "golden", g.name), g.render(t), *update, "infra/capz")
		})
	}
}

// yamlDocs splits a multi-document YAML file and decodes each document.
func yamlDocs(t *testing.T, name string, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var m map[string]any
		if err := yaml.UnmarshalStrict([]byte(doc), &m); err != nil {
			t.Fatalf("%s: document %d does not parse: %v", name, i+1, err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// get walks a decoded document along keys.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

var yamlFiles = []string{InstallationFile, HelmChartProxyFile}

func TestRenderedObjectsParseAndAreNamed(t *testing.T) {
	for _, g := range goldenCases {
		files := g.render(t)
		for _, name := range yamlFiles {
			docs := yamlDocs(t, name, files[name])
			if len(docs) != 1 {
				t.Errorf("%s/%s: %d objects, want 1", g.name, name, len(docs))
			}
			for _, d := range docs {
				for _, f := range [][]string{{"apiVersion"}, {"kind"}, {"metadata", "name"}} {
					if s, _ := get(d, f...).(string); s == "" {
						t.Errorf("%s/%s: an object has no %s: %v", g.name, name, strings.Join(f, "."), d)
					}
				}
			}
		}
	}
}

// chartValues is the HelmChartProxy's valuesTemplate as CAAPH would hand it to Helm: executed as
// a Go template against the selected Cluster (here a stand-in; the template uses no field of it),
// then parsed as YAML.
func chartValues(t *testing.T, hcp []byte) map[string]any {
	t.Helper()
	doc := yamlDocs(t, HelmChartProxyFile, hcp)[0]
	vt, _ := get(doc, "spec", "valuesTemplate").(string)
	if vt == "" {
		t.Fatalf("%s has no spec.valuesTemplate", HelmChartProxyFile)
	}
	tmpl, err := template.New("values").Option("missingkey=error").Parse(vt)
	if err != nil {
		t.Fatalf("valuesTemplate is not a Go template: %v", err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, map[string]any{"Cluster": map[string]any{"metadata": map[string]any{"name": "c"}}}); err != nil {
		t.Fatalf("valuesTemplate does not execute: %v", err)
	}
	var values map[string]any
	if err := yaml.UnmarshalStrict(b.Bytes(), &values); err != nil {
		t.Fatalf("valuesTemplate is not YAML after templating: %v", err)
	}
	return values
}

// TestInstallationIsWindowsVXLAN: the Installation (file and chart values alike) has the HNS
// Windows data plane, one VXLAN pool on the flavor's pod range, BGP off and the Service range.
func TestInstallationIsWindowsVXLAN(t *testing.T) {
	for _, g := range goldenCases {
		files := g.render(t)
		inst := yamlDocs(t, InstallationFile, files[InstallationFile])[0]
		if inst["kind"] != "Installation" || inst["apiVersion"] != "operator.tigera.io/v1" || get(inst, "metadata", "name") != "default" {
			t.Fatalf("%s: %v %v %v, want operator.tigera.io/v1 Installation default", InstallationFile, inst["apiVersion"], inst["kind"], get(inst, "metadata", "name"))
		}
		values := chartValues(t, files[HelmChartProxyFile])
		specs := map[string]any{InstallationFile: inst["spec"], HelmChartProxyFile + " values.installation": values["installation"]}
		for where, spec := range specs {
			if got := get(spec, "calicoNetwork", "windowsDataplane"); got != "HNS" {
				t.Errorf("%s/%s: windowsDataplane %v, want HNS", g.name, where, got)
			}
			if got := get(spec, "calicoNetwork", "bgp"); got != "Disabled" {
				t.Errorf("%s/%s: bgp %v, want Disabled (VXLAN)", g.name, where, got)
			}
			pools, _ := get(spec, "calicoNetwork", "ipPools").([]any)
			if len(pools) != 1 || get(pools[0], "encapsulation") != "VXLAN" || get(pools[0], "cidr") != PodCIDR {
				t.Errorf("%s/%s: ipPools %v, want one VXLAN pool on %s", g.name, where, pools, PodCIDR)
			}
			if got := get(spec, "serviceCIDRs"); !reflect.DeepEqual(got, []any{ServiceCIDR}) {
				t.Errorf("%s/%s: serviceCIDRs %v, want [%s]", g.name, where, got, ServiceCIDR)
			}
		}
		if !reflect.DeepEqual(inst["spec"], values["installation"]) {
			t.Errorf("%s: the chart values' installation differs from %s's spec:\n%v\n%v", g.name, InstallationFile, values["installation"], inst["spec"])
		}
		if len(values) != 1 {
			t.Errorf("%s: chart values %v, want only installation", g.name, values)
		}
	}
}

// TestHelmChartProxySelectsTheLabelledCluster: the proxy selects exactly the label the recipe
// puts on the Cluster, installs the pinned chart into the namespace where the recipe creates
// kubernetes-services-endpoint.
func TestHelmChartProxySelectsTheLabelledCluster(t *testing.T) {
	for _, g := range goldenCases {
		o := g.options(t)
		files := g.render(t)
		hcp := yamlDocs(t, HelmChartProxyFile, files[HelmChartProxyFile])[0]
		sel, _ := get(hcp, "spec", "clusterSelector", "matchLabels").(map[string]any)
		if len(sel) != 1 || sel[calicoLabelKey] != o.calicoProxyName() {
			t.Errorf("%s: clusterSelector %v, want %s: %s", g.name, sel, calicoLabelKey, o.calicoProxyName())
		}
		recipe := string(files[RecipeFile])
		if want := "label cluster \"$CLUSTER_NAME\" " + calicoLabelKey + "=" + o.calicoProxyName() + " "; !strings.Contains(recipe, want) {
			t.Errorf("%s: the recipe does not label the Cluster %q", g.name, want)
		}
		if get(hcp, "spec", "version") != o.CalicoVersion || get(hcp, "spec", "chartName") != "tigera-operator" ||
			get(hcp, "spec", "namespace") != "tigera-operator" || get(hcp, "metadata", "namespace") != clusterNamespace {
			t.Errorf("%s: HelmChartProxy spec %v", g.name, hcp["spec"])
		}
	}
}

// TestRecipeCreatesTheEndpointConfigMapOfRenderInstallation: the ConfigMap the recipe creates from
// the workload kubeconfig is the one RenderInstallation renders for Windows nodes.
func TestRecipeCreatesTheEndpointConfigMapOfRenderInstallation(t *testing.T) {
	out, err := calico.RenderInstallation(calico.InstallationOptions{Mode: calico.ModeVXLAN, PodCIDR: PodCIDR, Windows: true,
		ServiceCIDR: ServiceCIDR, KubernetesServiceHost: "example.westeurope.cloudapp.azure.com", KubernetesServicePort: 6443})
	if err != nil {
		t.Fatal(err)
	}
	var cm map[string]any
	for _, d := range yamlDocs(t, "RenderInstallation", out) {
		if d["kind"] == "ConfigMap" {
			cm = d
		}
	}
	if cm == nil {
		t.Fatal("RenderInstallation with Windows gave no ConfigMap")
	}
	files := goldenCases[0].render(t)
	recipe := string(files[RecipeFile])
	want := "create configmap " + get(cm, "metadata", "name").(string) + " --namespace " + get(cm, "metadata", "namespace").(string)
	if !strings.Contains(recipe, want) {
		t.Errorf("the recipe does not %q", want)
	}
	for k := range get(cm, "data").(map[string]any) {
		if !strings.Contains(recipe, "--from-literal="+k+"=") {
			t.Errorf("the recipe's ConfigMap has no key %s", k)
		}
	}
	for name, b := range files {
		if bytes.Contains(b, []byte(".invalid")) {
			t.Errorf("%s holds the placeholder address %s", name, endpointPlaceholder)
		}
	}
}

// secretShapes are what credentials look like; publicValues are published identifiers that
// merely look alike.
var (
	secretShapes = map[string]*regexp.Regexp{
		"private key":         regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),
		"SSH public key body": regexp.MustCompile(`AAAA[0-9A-Za-z+/]{40,}`),
		"JWT":                 regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.`),
		"UUID (subscription, tenant or client ID)": regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`),
		"Azure client secret":                      regexp.MustCompile(`[0-9A-Za-z_-]{3}[0-9]Q~[0-9A-Za-z_~.-]{30,}`),
		"base64 or hex blob":                       regexp.MustCompile(`[A-Za-z0-9+/]{48,}={0,2}`),
		"assigned password, token or secret":       regexp.MustCompile(`(?i)[a-z_]*(password|passwd|token|secret|api_?key)["']?\s*[:=]\s*["']?([^\s"'$]{6,})`),
	}
	publicValues = map[string]string{
		ImageGallery: "the CAPZ reference images' community gallery (azure/defaults.go DefaultPublicGalleryName)",
		"/dev/stdin": "where the recipe reads the service principal's password from (a pipe from the environment)",
	}
)

func secretsIn(s string) []string {
	for v := range publicValues {
		s = strings.ReplaceAll(s, v, "")
	}
	var found []string
	for what, re := range secretShapes {
		for _, m := range re.FindAllString(s, -1) {
			found = append(found, what+": "+m)
		}
	}
	sort.Strings(found)
	return found
}

func TestSecretShapesAreFound(t *testing.T) {
	for _, sample := range []string{
		"-----BEGIN RSA PRIVATE KEY-----",
		"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7dGVzdGtleWJvZHl0ZXN0a2V5Ym9keXRlc3Q= me",
		"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
		"AZURE_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47",
		"abc8Q~aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"clientSecret: hunter2hunter2",
		"KUBEADM_TOKEN=abcdef.0123456789abcdef",
	} {
		if len(secretsIn(sample)) == 0 {
			t.Errorf("no secret found in %q", sample)
		}
	}
	for _, clean := range []string{
		"AZURE_CLUSTER_IDENTITY_SECRET_NAME=calico-e2e-capz-identity-secret",
		`printf '%s' "$AZURE_CLIENT_SECRET" | kubectl create secret generic x --from-file=clientSecret=/dev/stdin`,
	} {
		if f := secretsIn(clean); len(f) > 0 {
			t.Errorf("%q: found %v", clean, f)
		}
	}
}

// TestNoSecretsInRenderedFiles renders with credentials in the environment (as a user would have
// them) and finds neither them nor anything shaped like a credential in any file.
func TestNoSecretsInRenderedFiles(t *testing.T) {
	canaries := map[string]string{
		"AZURE_SUBSCRIPTION_ID": "5f1e2d3c-aaaa-4bbb-8ccc-0123456789ab",
		"AZURE_TENANT_ID":       "6e2f3a4b-bbbb-4ccc-9ddd-123456789abc",
		"AZURE_CLIENT_ID":       "7a3b4c5d-cccc-4ddd-addd-23456789abcd",
		"AZURE_CLIENT_SECRET":   "Zq1Q~canary.secret.value-notreal-0123456789",
		"AZURE_LOCATION":        "canarylocation",
		"WINDOWS_REGISTRY":      "canary.registry.example/e2e",
		"MANAGEMENT_KUBECONFIG": "/canary/kubeconfig",
	}
	for k, v := range canaries {
		t.Setenv(k, v)
	}
	o, err := ParseOptions(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goldenCases {
		for name, b := range g.render(t) {
			files[g.name+"/"+name] = b
		}
	}
	for name, b := range files {
		for k, v := range canaries {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds the value of %s", name, k)
			}
		}
		if found := secretsIn(string(b)); len(found) > 0 {
			t.Errorf("%s holds secret-looking values: %v", name, found)
		}
	}
}

func TestRecipeIsValidBash(t *testing.T) {
	dir := t.TempDir()
	for _, g := range goldenCases {
		path := filepath.Join(dir, g.name+".sh")
		if err := os.WriteFile(path, g.render(t)[RecipeFile], 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
			t.Errorf("%s: bash -n: %v\n%s", g.name, err, out)
		}
	}
}

func TestRecipePassesShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck is not installed (Debian package shellcheck): only bash -n checked the recipe")
	}
	for _, g := range goldenCases {
		dir := t.TempDir()
		for name, b := range g.render(t) {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := exec.Command(sc, "-x", filepath.Join(dir, RecipeFile)).CombinedOutput(); err != nil {
			t.Errorf("%s: shellcheck: %v\n%s", g.name, err, out)
		}
	}
}

var envLine = regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=([A-Za-z0-9._/:-]+)$`)

// TestEnvFileIsPlainAssignments: every line is a comment or KEY=value with a value that needs no
// quoting, no key twice, and bash reads the same values as the file says.
func TestEnvFileIsPlainAssignments(t *testing.T) {
	for _, g := range goldenCases {
		env := g.render(t)[EnvFile]
		want := map[string]string{}
		for i, line := range strings.Split(strings.TrimRight(string(env), "\n"), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			m := envLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s line %d is not KEY=value: %q", g.name, i+1, line)
				continue
			}
			if _, dup := want[m[1]]; dup {
				t.Errorf("%s: %s is set twice", g.name, m[1])
			}
			want[m[1]] = m[2]
		}
		path := filepath.Join(t.TempDir(), EnvFile)
		if err := os.WriteFile(path, env, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "-c", `set -a; . "$1"; env -0`, "bash", path)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bash cannot source %s: %v", EnvFile, err)
		}
		got := map[string]string{}
		for _, kv := range strings.Split(string(out), "\x00") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				got[k] = v
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: bash reads %s=%q, the file says %q", g.name, k, got[k], v)
			}
		}
		o := g.options(t)
		for k, v := range map[string]string{
			"KUBERNETES_VERSION": o.KubernetesVersion, "WORKER_MACHINE_COUNT": strconv.Itoa(o.WindowsNodes),
			"AZURE_NODE_MACHINE_TYPE": o.NodeMachineType, "MODE": "vxlan", "CLUSTER_NAME": o.ClusterName,
			"CAPZ_VERSION": CAPZVersion, "CAPI_VERSION": CAPIVersion, "CAAPH_VERSION": CAAPHVersion, "FLAVOR": Flavor,
		} {
			if want[k] != v {
				t.Errorf("%s: %s=%q, want %q", g.name, k, want[k], v)
			}
		}
	}
}

func TestDefaultsArePinnedVersions(t *testing.T) {
	o, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	v, err := versions.Pinned()
	if err != nil {
		t.Fatal(err)
	}
	if o.KubernetesVersion != "v"+strings.TrimPrefix(v.Kubernetes, "v") || o.CalicoVersion != "v"+strings.TrimPrefix(v.Calico, "v") {
		t.Errorf("defaults %s / %s, want versions.yaml's %s / %s with a leading v", o.KubernetesVersion, o.CalicoVersion, v.Kubernetes, v.Calico)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("the defaults do not validate: %v", err)
	}
}

func TestBadKnobsAreOneLineErrors(t *testing.T) {
	for _, c := range []struct {
		knob, value string
	}{
		{"CLUSTER_NAME", "Calico_E2E"},
		{"CLUSTER_NAME", strings.Repeat("a", 41)},
		{"KUBERNETES_VERSION", "1.34"},
		{"MODE", "ipip"},
		{"MODE", "noencap"},
		{"MODE", "bgp"},
		{"WINDOWS_NODES", "0"},
		{"WINDOWS_NODES", "11"},
		{"WINDOWS_NODES", "two"},
		{"AZURE_CONTROL_PLANE_MACHINE_TYPE", "D2s_v3"},
		{"AZURE_NODE_MACHINE_TYPE", "Standard D4s"},
	} {
		_, err := ParseOptions(func(k string) string {
			if k == c.knob {
				return c.value
			}
			return ""
		})
		if err == nil {
			t.Errorf("%s=%q was accepted", c.knob, c.value)
			continue
		}
		if !strings.Contains(err.Error(), c.knob) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s=%q: error %q should be one line naming %s", c.knob, c.value, err, c.knob)
		}
	}
}
