package capz

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/versions"
)

// These tests check the rendered recipe against the upstream files it depends on, read from the
// Go module cache: CAPZ's cluster template and CRDs, Cluster API's CRDs, CAAPH's CRDs and the
// tigera-operator chart of the pinned Calico source. None is a dependency of this module; a
// missing one skips its test, saying which `go mod download` brings it (the Go module proxy
// serves them as module zips).

// module returns the module cache directory of path@version, or skips.
func module(t *testing.T, path, version string, note ...string) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skipf("go env GOMODCACHE: %v", err)
	}
	if path != strings.ToLower(path) {
		t.Fatalf("%s: module paths with capitals are escaped in the cache; not handled here", path)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), path+"@"+version)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s@%s is not in the module cache, so this check did not run: `go mod download -json %s@%s` fetches it from the Go module proxy%s", path, version, path, version, strings.Join(note, ""))
	}
	return dir
}

func capzModule(t *testing.T) string {
	return module(t, "sigs.k8s.io/cluster-api-provider-azure", CAPZVersion)
}
func capiModule(t *testing.T) string { return module(t, "sigs.k8s.io/cluster-api", CAPIVersion) }
func caaphModule(t *testing.T) string {
	return module(t, "sigs.k8s.io/cluster-api-addon-provider-helm", CAAPHVersion,
		" (it answered 403 for this version to this project when the recipe was written)")
}
func calicoModule(t *testing.T) string {
	v, err := versions.Pinned()
	if err != nil {
		t.Fatal(err)
	}
	return module(t, "github.com/projectcalico/calico", v.CalicoModule)
}

func readFile(t *testing.T, dir, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatalf("upstream file: %v", err)
	}
	return b
}

// substitute expands ${VAR}, ${VAR:=default} and ${VAR:-default} (a default may hold another
// ${...}) the way clusterctl's yaml processor (github.com/drone/envsubst, used by
// cmd/clusterctl/client/yamlprocessor/simple_processor.go) expands these forms: a variable unset
// or empty takes its default. Variables with neither a value nor a default are returned as
// missing (clusterctl refuses the template then). Any other use of '$' is an error, so a
// template that grows a form this does not model fails the test instead of passing unread.
func substitute(s string, env map[string]string) (string, []string, error) {
	var out strings.Builder
	var missing []string
	for i := 0; i < len(s); {
		if s[i] != '$' {
			out.WriteByte(s[i])
			i++
			continue
		}
		if i+1 >= len(s) || s[i+1] != '{' {
			return "", nil, fmt.Errorf("offset %d: a '$' that is not ${...}: %q", i, s[i:min(len(s), i+20)])
		}
		end, depth := -1, 0
		for j := i + 1; j < len(s); j++ {
			switch {
			case s[j] == '{':
				depth++
			case s[j] == '}':
				depth--
			}
			if depth == 0 {
				end = j
				break
			}
		}
		if end < 0 {
			return "", nil, fmt.Errorf("offset %d: unterminated ${", i)
		}
		body := s[i+2 : end]
		name, rest := body, ""
		if k := strings.IndexAny(body, ":/#%^,"); k >= 0 {
			name, rest = body[:k], body[k:]
		}
		if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(name) {
			return "", nil, fmt.Errorf("offset %d: %q is not a variable", i, body)
		}
		val, set := env[name]
		switch {
		case rest == "":
			if !set {
				missing = append(missing, name)
			}
			out.WriteString(val)
		case strings.HasPrefix(rest, ":=") || strings.HasPrefix(rest, ":-"):
			if set && val != "" {
				out.WriteString(val)
				break
			}
			def, m, err := substitute(rest[2:], env)
			if err != nil {
				return "", nil, err
			}
			missing = append(missing, m...)
			out.WriteString(def)
		default:
			return "", nil, fmt.Errorf("offset %d: ${%s}: this form is not modelled here", i, body)
		}
		i = end + 1
	}
	return out.String(), missing, nil
}

// templateVariables lists a template's variables: name → whether every use has a default.
func templateVariables(s string) map[string]bool {
	vars := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:[=-])?`).FindAllStringSubmatch(s, -1) {
		def, seen := vars[m[1]]
		vars[m[1]] = (m[2] != "") && (def || !seen)
	}
	return vars
}

func TestSubstituteModelsTheTemplateForms(t *testing.T) {
	env := map[string]string{"A": "a", "E": ""}
	for in, want := range map[string]string{
		"x ${A} y":           "x a y",
		"${B:=dflt}":         "dflt",
		"${E:-dflt}":         "dflt",
		"${A:=dflt}":         "a",
		"${B:=${A}-vnet}":    "a-vnet",
		`${B:=""}`:           `""`,
		"{{ ds.meta_data }}": "{{ ds.meta_data }}",
	} {
		got, missing, err := substitute(in, env)
		if err != nil || got != want || len(missing) > 0 {
			t.Errorf("substitute(%q) = %q, %v, %v; want %q", in, got, missing, err, want)
		}
	}
	if _, missing, _ := substitute("${C}", env); !reflect.DeepEqual(missing, []string{"C"}) {
		t.Errorf("an unset variable without default is not missing: %v", missing)
	}
	for _, bad := range []string{"$A", "${A/+/_}", "${A", "$$"} {
		if _, _, err := substitute(bad, env); err == nil {
			t.Errorf("substitute(%q) accepted a form it does not model", bad)
		}
	}
}

// crdIndex holds openAPIV3 schemas by group, version and kind.
type crdIndex map[string]map[string]any

func crdKey(group, version, kind string) string { return group + "/" + version + "/" + kind }

// addCRDs reads every CustomResourceDefinition document of b.
func (idx crdIndex) addCRDs(t *testing.T, where string, b []byte) {
	t.Helper()
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		var crd struct {
			Kind string `json:"kind"`
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal([]byte(doc), &crd); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			idx[crdKey(crd.Spec.Group, v.Name, crd.Spec.Names.Kind)] = v.Schema.OpenAPIV3Schema
		}
	}
}

func (idx crdIndex) addDir(t *testing.T, dir string) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no CRDs in %s (%v)", dir, err)
	}
	for _, p := range paths {
		idx.addCRDs(t, p, readFile(t, "", p))
	}
}

// validateObject checks obj against its CRD's schema; it returns the problems found.
func (idx crdIndex) validateObject(obj map[string]any) []string {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return []string{fmt.Sprintf("%s: apiVersion %q has no group", kind, apiVersion)}
	}
	schema, ok := idx[crdKey(group, version, kind)]
	if !ok {
		return []string{fmt.Sprintf("%s %s: no CRD for it here", apiVersion, kind)}
	}
	var errs []string
	validate("", obj, schema, &errs)
	return errs
}

// validate is a small structural check of v against an openAPIV3 schema: required fields,
// field names (unknown ones are what the API server would prune or reject), types, enums and
// patterns. It does not evaluate x-kubernetes-validations (CEL), formats, bounds or webhooks.
func validate(path string, v any, s map[string]any, errs *[]string) {
	if v == nil || s == nil {
		return // a null is dropped by the API server for a field that is not nullable
	}
	fail := func(format string, a ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, a...)) }
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			if reflect.DeepEqual(x, v) {
				found = true
			}
		}
		if !found {
			fail("%v is not one of %v", v, e)
		}
	}
	if s["x-kubernetes-int-or-string"] == true {
		switch v.(type) {
		case string, float64:
		default:
			fail("want an integer or a string, have %T", v)
		}
		return
	}
	preserve := s["x-kubernetes-preserve-unknown-fields"] == true
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			fail("want an object, have %T", v)
			return
		}
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if m[r.(string)] == nil {
					fail("required field %s is missing", r)
				}
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := path + "." + k
			if p == ".metadata" {
				continue // ObjectMeta: validated by the API server itself, not by the CRD schema
			}
			if ps, ok := props[k].(map[string]any); ok {
				validate(p, m[k], ps, errs)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case map[string]any:
				validate(p, m[k], ap, errs)
			case bool:
				if !ap {
					fail("unknown field %s", k)
				}
			default:
				if !preserve {
					*errs = append(*errs, p+": unknown field (not in the CRD's schema)")
				}
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			fail("want an array, have %T", v)
			return
		}
		items, _ := s["items"].(map[string]any)
		for i, x := range a {
			validate(fmt.Sprintf("%s[%d]", path, i), x, items, errs)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			fail("want a string, have %T (%v)", v, v)
			return
		}
		if pat, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(pat); err == nil && !re.MatchString(str) {
				fail("%q does not match %s", str, pat)
			}
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			fail("want an integer, have %v", v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			fail("want a number, have %T", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("want a boolean, have %T (%v)", v, v)
		}
	}
}

func TestValidateFindsWhatItClaims(t *testing.T) {
	schema := map[string]any{"type": "object", "required": []any{"spec"}, "properties": map[string]any{
		"metadata": map[string]any{"type": "object"},
		"spec": map[string]any{"type": "object", "properties": map[string]any{
			"replicas": map[string]any{"type": "integer"},
			"mode":     map[string]any{"type": "string", "enum": []any{"A", "B"}},
			"name":     map[string]any{"type": "string", "pattern": "^[a-z]+$"},
			"labels":   map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
		}},
	}}
	var errs []string
	validate("", map[string]any{"metadata": map[string]any{"name": "x"}, "spec": map[string]any{
		"replicas": 1.5, "mode": "C", "name": "X1", "labels": map[string]any{"a": true}, "typo": 1.0,
	}}, schema, &errs)
	for _, want := range []string{".spec.replicas", ".spec.mode", ".spec.name", ".spec.labels.a", ".spec.typo"} {
		found := false
		for _, e := range errs {
			found = found || strings.HasPrefix(e, want+":")
		}
		if !found {
			t.Errorf("no error for %s in %v", want, errs)
		}
	}
	errs = nil
	validate("", map[string]any{}, schema, &errs)
	if len(errs) != 1 || !strings.Contains(errs[0], "required field spec") {
		t.Errorf("missing required field: %v", errs)
	}
}

// generatedCluster is what `clusterctl generate cluster` would print for o: CAPZ's windows
// flavor with the rendered environment file and stand-ins for the user's own variables.
func generatedCluster(t *testing.T, o Options) []map[string]any {
	t.Helper()
	tmpl := readFile(t, capzModule(t), "templates/cluster-template-"+Flavor+".yaml")
	env := userTemplateEnv()
	for _, v := range o.envVars() {
		if v.Template {
			env[v.Name] = v.Value
		}
	}
	env["CLUSTER_NAME"] = o.ClusterName // clusterctl sets it from its argument
	out, missing, err := substitute(string(tmpl), env)
	if err != nil {
		t.Fatalf("the %s flavor: %v", Flavor, err)
	}
	if len(missing) > 0 {
		t.Fatalf("clusterctl would refuse the %s flavor: no value for %v", Flavor, missing)
	}
	return yamlDocs(t, "cluster-template-"+Flavor+".yaml", []byte(out))
}

// userTemplateEnv stands in for the variables the user's environment gives clusterctl.
func userTemplateEnv() map[string]string {
	zero := "00000000-0000-0000-0000-000000000000"
	return map[string]string{
		"AZURE_SUBSCRIPTION_ID": zero, "AZURE_TENANT_ID": zero, "AZURE_LOCATION": "westeurope",
		"AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY": zero, // the recipe sets it to AZURE_CLIENT_ID
	}
}

// TestEnvFileCoversTheTemplate: clusterctl gets a value for every variable of the flavor that has
// no default, from the environment file, the user's environment or itself; and every template
// variable the file sets is one the flavor uses.
func TestEnvFileCoversTheTemplate(t *testing.T) {
	tmpl := string(readFile(t, capzModule(t), "templates/cluster-template-"+Flavor+".yaml"))
	vars := templateVariables(tmpl)
	o, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	provided := map[string]string{"CLUSTER_NAME": "clusterctl's argument"}
	for k := range userTemplateEnv() {
		provided[k] = "the user's environment"
	}
	for _, v := range o.envVars() {
		if !v.Template {
			continue
		}
		provided[v.Name] = EnvFile
		if _, used := vars[v.Name]; !used {
			t.Errorf("%s sets %s, which the %s flavor does not use", EnvFile, v.Name, Flavor)
		}
	}
	for name, hasDefault := range vars {
		if _, ok := provided[name]; !ok && !hasDefault {
			t.Errorf("the %s flavor needs %s and nothing provides it", Flavor, name)
		}
	}
	for k, from := range provided {
		if from == "the user's environment" && k != "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY" && !contains(UserEnv, k) {
			t.Errorf("%s comes from the user's environment but is not in UserEnv", k)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestGeneratedClusterAgainstCRDs validates every object of the generated cluster against the
// CRDs of CAPZ and Cluster API at the pinned versions, and checks the facts the recipe relies on.
func TestGeneratedClusterAgainstCRDs(t *testing.T) {
	capz, capi := capzModule(t), capiModule(t)
	idx := crdIndex{}
	idx.addDir(t, filepath.Join(capz, "config/crd/bases"))
	idx.addDir(t, filepath.Join(capi, "config/crd/bases"))
	idx.addDir(t, filepath.Join(capi, "bootstrap/kubeadm/config/crd/bases"))
	idx.addDir(t, filepath.Join(capi, "controlplane/kubeadm/config/crd/bases"))
	for _, g := range goldenCases {
		o := g.options(t)
		objs := generatedCluster(t, o)
		kinds := map[string]int{}
		byName := map[string]map[string]any{}
		for _, obj := range objs {
			for _, e := range idx.validateObject(obj) {
				t.Errorf("%s: %s %v: %s", g.name, obj["kind"], get(obj, "metadata", "name"), e)
			}
			kinds[obj["kind"].(string)]++
			byName[obj["kind"].(string)+"/"+get(obj, "metadata", "name").(string)] = obj
		}
		t.Logf("%s: %d objects valid against the CRDs: %v", g.name, len(objs), kinds)
		if g.name == goldenCases[0].name {
			checkSchemasBite(t, idx, byName, o)
		}

		cluster := byName["Cluster/"+o.ClusterName]
		if got := get(cluster, "spec", "clusterNetwork", "pods", "cidrBlocks"); !reflect.DeepEqual(got, []any{PodCIDR}) {
			t.Errorf("%s: the flavor's pod range is %v, Calico's pool is %s", g.name, got, PodCIDR)
		}
		if got := get(cluster, "spec", "clusterNetwork", "services"); got != nil {
			t.Errorf("%s: the flavor sets a Service range %v: ServiceCIDR assumes kubeadm's default %s", g.name, got, ServiceCIDR)
		}
		if _, taken := get(cluster, "metadata", "labels").(map[string]any)[calicoLabelKey]; taken {
			t.Errorf("%s: the flavor's Cluster already has a %s label, which the recipe's kubectl label would overwrite", g.name, calicoLabelKey)
		}
		for _, md := range []string{o.ClusterName + "-md-0", o.ClusterName + "-md-win"} {
			obj := byName["MachineDeployment/"+md]
			if obj == nil {
				t.Errorf("%s: no MachineDeployment %s (the recipe waits for it)", g.name, md)
				continue
			}
			if got := get(obj, "spec", "replicas"); got != float64(o.WindowsNodes) {
				t.Errorf("%s: %s has %v replicas, want WORKER_MACHINE_COUNT %d", g.name, md, got, o.WindowsNodes)
			}
			if got := get(obj, "spec", "template", "spec", "version"); got != o.KubernetesVersion {
				t.Errorf("%s: %s runs %v, want %s", g.name, md, got, o.KubernetesVersion)
			}
		}
		win := byName["AzureMachineTemplate/"+o.ClusterName+"-md-win"]
		if got := get(win, "spec", "template", "spec", "osDisk", "osType"); got != "Windows" {
			t.Errorf("%s: md-win's machines are %v, want Windows", g.name, got)
		}
		if got := get(win, "spec", "template", "spec", "vmSize"); got != o.NodeMachineType {
			t.Errorf("%s: md-win's VM size %v, want %s", g.name, got, o.NodeMachineType)
		}
		if got := get(win, "spec", "template", "spec", "image"); got != nil {
			t.Errorf("%s: md-win names an image %v: the recipe's reference-image check assumes CAPZ's default", g.name, got)
		}
		if ann, _ := get(win, "spec", "template", "metadata", "annotations").(map[string]any); ann["windowsServerVersion"] != nil {
			t.Errorf("%s: md-win asks for Windows %v: the recipe checks %s only", g.name, ann["windowsServerVersion"], WindowsImageDefinition)
		}
		kcp := byName["KubeadmControlPlane/"+o.ClusterName+"-control-plane"]
		if got := get(kcp, "spec", "version"); got != o.KubernetesVersion {
			t.Errorf("%s: the control plane runs %v, want %s", g.name, got, o.KubernetesVersion)
		}
		if get(kcp, "spec", "kubeadmConfigSpec", "clusterConfiguration", "networking") != nil {
			t.Errorf("%s: the control plane sets kubeadm networking: ServiceCIDR assumes kubeadm's default", g.name)
		}
		// the recipe applies the objects labelled move-hierarchy first: that must be the identity alone
		var labelled []string
		for key, obj := range byName {
			if l, _ := get(obj, "metadata", "labels").(map[string]any); l["clusterctl.cluster.x-k8s.io/move-hierarchy"] == "true" {
				labelled = append(labelled, key)
			}
		}
		if want := []string{"AzureClusterIdentity/" + o.identityName()}; !reflect.DeepEqual(labelled, want) {
			t.Errorf("%s: objects labelled move-hierarchy: %v, want %v", g.name, labelled, want)
		}
		id := byName["AzureClusterIdentity/"+o.identityName()]
		if get(id, "spec", "type") != "ServicePrincipal" || get(id, "spec", "clientSecret") != nil {
			t.Errorf("%s: the identity is %v with clientSecret %v: the recipe patches clientSecret into a ServicePrincipal identity", g.name, get(id, "spec", "type"), get(id, "spec", "clientSecret"))
		}
		if got, _ := get(byName["AzureCluster/"+o.ClusterName], "spec", "resourceGroup").(string); got != o.ClusterName {
			t.Errorf("%s: the resource group is %q, the recipe's teardown checks %q", g.name, got, o.ClusterName)
		}
	}
}

// checkSchemasBite spoils three generated objects and expects the real CRDs to say so: the check
// above is not passing because the schemas are empty or not reached.
func checkSchemasBite(t *testing.T, idx crdIndex, byName map[string]map[string]any, o Options) {
	t.Helper()
	spoil := func(key string, f func(obj map[string]any)) []string {
		b, err := yaml.Marshal(byName[key])
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(b, &obj); err != nil {
			t.Fatal(err)
		}
		f(obj)
		return idx.validateObject(obj)
	}
	for _, c := range []struct {
		key, want string
		f         func(map[string]any)
	}{
		{"AzureCluster/" + o.ClusterName, ".spec.networkSpec.vnett: unknown field", func(obj map[string]any) {
			get(obj, "spec", "networkSpec").(map[string]any)["vnett"] = map[string]any{}
		}},
		{"MachineDeployment/" + o.ClusterName + "-md-win", "required field clusterName", func(obj map[string]any) {
			delete(get(obj, "spec").(map[string]any), "clusterName")
		}},
		{"AzureMachineTemplate/" + o.ClusterName + "-md-win", ".spec.template.spec.identity: Assigned is not one of", func(obj map[string]any) {
			get(obj, "spec", "template", "spec").(map[string]any)["identity"] = "Assigned"
		}},
	} {
		errs := spoil(c.key, c.f)
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e, c.want)
		}
		if !found {
			t.Errorf("spoiled %s: want an error with %q, got %v", c.key, c.want, errs)
		}
	}
}

// installationCRDs are the Installation CRDs this module has: the vendored operator manifest's
// (always) and the one in the pinned Calico source's chart (when the module is cached).
func operatorCRDs(t *testing.T) crdIndex {
	t.Helper()
	idx := crdIndex{}
	v, err := versions.Pinned()
	if err != nil {
		t.Fatal(err)
	}
	op, err := calico.OperatorManifest(v.Calico)
	if err != nil {
		t.Fatal(err)
	}
	idx.addCRDs(t, "manifests/calico/"+v.Calico+"/"+calico.OperatorManifestFile, op)
	if _, ok := idx[crdKey("operator.tigera.io", "v1", "Installation")]; !ok {
		t.Fatal("the vendored operator manifest has no Installation CRD")
	}
	return idx
}

// TestInstallationAgainstOperatorCRD validates installation.yaml, and the chart values'
// installation as the Installation the chart makes of it, against the operator's CRD.
func TestInstallationAgainstOperatorCRD(t *testing.T) {
	idx := operatorCRDs(t)
	for _, g := range goldenCases {
		files := g.render(t)
		inst := yamlDocs(t, InstallationFile, files[InstallationFile])[0]
		fromChart := map[string]any{"apiVersion": "operator.tigera.io/v1", "kind": "Installation",
			"metadata": map[string]any{"name": "default"}, "spec": chartValues(t, files[HelmChartProxyFile])["installation"]}
		for where, obj := range map[string]map[string]any{InstallationFile: inst, "chart values": fromChart} {
			for _, e := range idx.validateObject(obj) {
				t.Errorf("%s/%s: %s", g.name, where, e)
			}
		}
	}
	bad := map[string]any{"apiVersion": "operator.tigera.io/v1", "kind": "Installation", "metadata": map[string]any{"name": "default"},
		"spec": map[string]any{"calicoNetwork": map[string]any{"windowsDataplane": "HSN", "ipPool": []any{}}}}
	errs := strings.Join(idx.validateObject(bad), "\n")
	if !strings.Contains(errs, ".spec.calicoNetwork.windowsDataplane") || !strings.Contains(errs, ".spec.calicoNetwork.ipPool: unknown field") {
		t.Errorf("the operator CRD did not catch a wrong windowsDataplane and a misspelt field: %s", errs)
	}
}

// TestChartMakesTheInstallationFromTheValues reads the tigera-operator chart of the pinned
// Calico source: it renders the Installation "default" from .Values.installation less "enabled"
// and the kubernetes-services-endpoint ConfigMap, and its own Installation CRD accepts ours.
func TestChartMakesTheInstallationFromTheValues(t *testing.T) {
	chart := filepath.Join(calicoModule(t), "charts", "tigera-operator")
	crs := string(readFile(t, chart, "templates/crs/custom-resources.yaml"))
	for _, want := range []string{`omit .Values.installation "enabled"`, "kind: Installation", "name: default"} {
		if !strings.Contains(crs, want) {
			t.Errorf("templates/crs/custom-resources.yaml has no %q: the values may not become the Installation", want)
		}
	}
	var values map[string]any
	if err := yaml.Unmarshal(readFile(t, chart, "values.yaml"), &values); err != nil {
		t.Fatal(err)
	}
	if get(values, "installation", "enabled") != true {
		t.Errorf("the chart does not create the Installation by default: installation %v", values["installation"])
	}
	ep := string(readFile(t, chart, "templates/tigera-operator/01-kubernetes-services-endpoint.yaml"))
	for _, want := range []string{"name: kubernetes-services-endpoint", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"} {
		if !strings.Contains(ep, want) {
			t.Errorf("the chart's kubernetes-services-endpoint ConfigMap has no %q", want)
		}
	}
	idx := crdIndex{}
	idx.addCRDs(t, "chart crds", readFile(t, chart, "crds/operator.tigera.io_installations_crd.yaml"))
	for _, g := range goldenCases {
		inst := yamlDocs(t, InstallationFile, g.render(t)[InstallationFile])[0]
		for _, e := range idx.validateObject(inst) {
			t.Errorf("%s: against the chart's CRD: %s", g.name, e)
		}
	}
}

// TestHelmChartProxyAgainstCAAPHCRD needs CAAPH's module, which the Go module proxy did not
// serve to this project when the recipe was written; it skips then.
func TestHelmChartProxyAgainstCAAPHCRD(t *testing.T) {
	idx := crdIndex{}
	idx.addDir(t, filepath.Join(caaphModule(t), "config/crd/bases"))
	for _, g := range goldenCases {
		hcp := yamlDocs(t, HelmChartProxyFile, g.render(t)[HelmChartProxyFile])[0]
		for _, e := range idx.validateObject(hcp) {
			t.Errorf("%s: %s", g.name, e)
		}
	}
}

// TestPinsAndUpstreamFilesAgree ties the pinned releases and the upstream files the recipe
// applies to what CAPZ's module says.
func TestPinsAndUpstreamFilesAgree(t *testing.T) {
	capz := capzModule(t)
	if !regexp.MustCompile(`(?m)^\s*sigs\.k8s\.io/cluster-api ` + regexp.QuoteMeta(CAPIVersion) + `$`).Match(readFile(t, capz, "go.mod")) {
		t.Errorf("CAPZ %s's go.mod does not require sigs.k8s.io/cluster-api %s", CAPZVersion, CAPIVersion)
	}
	if !bytes.Contains(readFile(t, capz, "test/e2e/config/azure-dev.yaml"), []byte("cluster-api-addon-provider-helm/releases/download/"+CAAPHVersion+"/")) {
		t.Errorf("CAPZ %s's e2e config does not install CAAPH %s", CAPZVersion, CAAPHVersion)
	}
	defaults := string(readFile(t, capz, "azure/defaults.go"))
	for _, want := range []string{`"` + ImageGallery + `"`, `DefaultLinuxGalleryImageName = "` + LinuxImageDefinition + `"`, `DefaultWindowsGalleryImageName = "` + WindowsImageDefinition + `"`} {
		if !strings.Contains(defaults, want) {
			t.Errorf("azure/defaults.go has no %s", want)
		}
	}
	ccm := yamlDocs(t, cloudProviderProxyPath, readFile(t, capz, cloudProviderProxyPath))
	if len(ccm) != 1 || ccm[0]["kind"] != "HelmChartProxy" || get(ccm[0], "metadata", "name") != cloudProviderProxyName ||
		get(ccm[0], "spec", "clusterSelector", "matchLabels", "cloud-provider") != "azure" || get(ccm[0], "metadata", "namespace") != nil {
		t.Errorf("%s is not the HelmChartProxy %s selecting %s without a namespace of its own: %v", cloudProviderProxyPath, cloudProviderProxyName, cloudProviderLabel, ccm)
	}
	kp := string(readFile(t, capz, kubeProxyWindowsPath))
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(kp, -1) {
		names[m[1]] = true
	}
	if !reflect.DeepEqual(names, map[string]bool{"KUBERNETES_VERSION": true}) {
		t.Errorf("%s uses variables %v; the recipe gives it KUBERNETES_VERSION only", kubeProxyWindowsPath, names)
	}
	for _, want := range []string{"name: kube-proxy-windows", "namespace: kube-system", "kind: DaemonSet"} {
		if !strings.Contains(kp, want) {
			t.Errorf("%s has no %q (the recipe waits for that DaemonSet)", kubeProxyWindowsPath, want)
		}
	}
}
