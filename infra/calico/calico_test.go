package calico_test

import (
	"bytes"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/manifests"
)

const (
	version = "3.28.5"
	podCIDR = "10.244.0.0/16"
)

var sep = []byte("\n---\n")

func TestParseMode(t *testing.T) {
	if got, want := calico.Modes(), []calico.Mode{calico.ModeVXLAN, calico.ModeNoEncap, calico.ModeIPIP}; !slices.Equal(got, want) {
		t.Fatalf("Modes() = %v, want %v", got, want)
	}
	tests := []struct {
		in      string
		want    calico.Mode
		wantErr string
	}{
		{in: "vxlan", want: calico.ModeVXLAN},
		{in: "noencap", want: calico.ModeNoEncap},
		{in: "ipip", want: calico.ModeIPIP},
		{in: "", wantErr: "MODE is empty: valid values are vxlan, noencap, ipip"},
		{in: "foo", wantErr: `unknown MODE "foo": valid values are vxlan, noencap, ipip`},
		{in: "VXLAN", wantErr: `unknown MODE "VXLAN": valid values are vxlan, noencap, ipip`},
		{in: " vxlan", wantErr: `unknown MODE " vxlan": valid values are vxlan, noencap, ipip`},
	}
	for _, tt := range tests {
		got, err := calico.ParseMode(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseMode(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("ParseMode(%q) = %q with an error, want the zero Mode", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestModeSettings(t *testing.T) {
	tests := []struct {
		mode                 calico.Mode
		backend, ipip, vxlan string
		bgp                  bool
	}{
		{calico.ModeVXLAN, "vxlan", "Never", "Always", false},
		{calico.ModeNoEncap, "bird", "Never", "Never", true},
		{calico.ModeIPIP, "bird", "Always", "Never", true},
	}
	for _, tt := range tests {
		m := tt.mode
		if m.Backend() != tt.backend || m.PoolIPIP() != tt.ipip || m.PoolVXLAN() != tt.vxlan || m.UsesBGP() != tt.bgp {
			t.Errorf("%s: Backend, PoolIPIP, PoolVXLAN, UsesBGP = %s, %s, %s, %v; want %s, %s, %s, %v",
				m, m.Backend(), m.PoolIPIP(), m.PoolVXLAN(), m.UsesBGP(), tt.backend, tt.ipip, tt.vxlan, tt.bgp)
		}
	}
}

// meta is what the tests read to identify a document.
type meta struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

func (m meta) String() string { return m.Kind + " " + m.Metadata.Namespace + "/" + m.Metadata.Name }

func identify(t *testing.T, doc []byte) meta {
	t.Helper()
	var m meta
	if err := yaml.Unmarshal(doc, &m); err != nil {
		t.Fatalf("parse document: %v\n%s", err, doc)
	}
	return m
}

// find returns the document with the given kind and name.
func find(t *testing.T, docs [][]byte, kind, name string) []byte {
	t.Helper()
	for _, d := range docs {
		if m := identify(t, d); m.Kind == kind && m.Metadata.Name == name {
			return d
		}
	}
	t.Fatalf("no %s %s in the manifest", kind, name)
	return nil
}

func source(t *testing.T, mode calico.Mode) []byte {
	t.Helper()
	file := "calico.yaml"
	if mode == calico.ModeVXLAN {
		file = "calico-vxlan.yaml"
	}
	b, err := fs.ReadFile(manifests.FS, "calico/v"+version+"/"+file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func strictDaemonSet(t *testing.T, doc []byte) appsv1.DaemonSet {
	t.Helper()
	var ds appsv1.DaemonSet
	if err := yaml.UnmarshalStrict(doc, &ds); err != nil {
		t.Fatalf("parse DaemonSet: %v", err)
	}
	return ds
}

func envMap(t *testing.T, c corev1.Container) map[string]corev1.EnvVar {
	t.Helper()
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		if _, dup := m[e.Name]; dup {
			t.Errorf("container %s sets %s twice", c.Name, e.Name)
		}
		m[e.Name] = e
	}
	return m
}

func container(t *testing.T, cs []corev1.Container, name string) *corev1.Container {
	t.Helper()
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	t.Fatalf("no container %s", name)
	return nil
}

func TestRenderManifest(t *testing.T) {
	type tc struct {
		mode   calico.Mode
		iface  string
		policy corev1.PullPolicy
	}
	var tests []tc
	for _, m := range calico.Modes() {
		tests = append(tests, tc{m, "eth0", corev1.PullIfNotPresent}, tc{m, "", corev1.PullNever})
	}
	for _, tt := range tests {
		t.Run(string(tt.mode)+"/"+string(tt.policy)+"/"+tt.iface, func(t *testing.T) {
			out, err := calico.RenderManifest(calico.ManifestOptions{Mode: tt.mode, Version: version, PodCIDR: podCIDR,
				NodeInterface: tt.iface, PullPolicy: tt.policy})
			if err != nil {
				t.Fatal(err)
			}
			src := source(t, tt.mode)
			srcDocs, outDocs := bytes.Split(src, sep), bytes.Split(out, sep)
			if len(outDocs) != len(srcDocs) {
				t.Fatalf("rendered %d documents, the source has %d", len(outDocs), len(srcDocs))
			}

			// Only the documents the options change differ, and those keep their "# Source:" header.
			mayChange := map[string]bool{"DaemonSet kube-system/calico-node": true}
			if tt.policy != corev1.PullIfNotPresent { // the release manifest's own policy
				mayChange["Deployment kube-system/calico-kube-controllers"] = true
			}
			changed := map[string]bool{}
			for i := range srcDocs {
				if bytes.Equal(srcDocs[i], outDocs[i]) {
					continue
				}
				id := identify(t, srcDocs[i]).String()
				if got := identify(t, outDocs[i]).String(); got != id {
					t.Errorf("document %d is %s, the source's is %s", i+1, got, id)
				}
				changed[id] = true
				if !mayChange[id] {
					t.Errorf("document %d (%s) changed; only %v may", i+1, id, mayChange)
				}
				if h := firstLine(srcDocs[i]); !bytes.HasPrefix(outDocs[i], []byte(h)) {
					t.Errorf("%s lost its header %q", id, h)
				}
			}
			if !reflect.DeepEqual(changed, mayChange) {
				t.Errorf("changed documents %v, want %v", changed, mayChange)
			}

			// calico-config
			var cm corev1.ConfigMap
			if err := yaml.UnmarshalStrict(find(t, outDocs, "ConfigMap", "calico-config"), &cm); err != nil {
				t.Fatal(err)
			}
			if got := cm.Data["calico_backend"]; got != tt.mode.Backend() {
				t.Errorf("calico_backend = %q, want %q", got, tt.mode.Backend())
			}

			// calico-node: compare with the source plus exactly the expected changes.
			ds := strictDaemonSet(t, find(t, outDocs, "DaemonSet", "calico-node"))
			want := strictDaemonSet(t, find(t, srcDocs, "DaemonSet", "calico-node"))
			node := container(t, ds.Spec.Template.Spec.Containers, "calico-node")
			wantNode := container(t, want.Spec.Template.Spec.Containers, "calico-node")
			gotEnv, wantEnv := envMap(t, *node), envMap(t, *wantNode)
			wantEnv["CALICO_IPV4POOL_CIDR"] = corev1.EnvVar{Name: "CALICO_IPV4POOL_CIDR", Value: podCIDR}
			wantEnv["CALICO_IPV4POOL_IPIP"] = corev1.EnvVar{Name: "CALICO_IPV4POOL_IPIP", Value: tt.mode.PoolIPIP()}
			wantEnv["CALICO_IPV4POOL_VXLAN"] = corev1.EnvVar{Name: "CALICO_IPV4POOL_VXLAN", Value: tt.mode.PoolVXLAN()}
			if tt.iface != "" {
				wantEnv["IP_AUTODETECTION_METHOD"] = corev1.EnvVar{Name: "IP_AUTODETECTION_METHOD", Value: "interface=^eth0$"}
			}
			if !reflect.DeepEqual(gotEnv, wantEnv) {
				t.Errorf("calico-node env:\n got %v\nwant %v", gotEnv, wantEnv)
			}
			if _, set := gotEnv["IP_AUTODETECTION_METHOD"]; set != (tt.iface != "") {
				t.Errorf("IP_AUTODETECTION_METHOD set = %v with NodeInterface %q", set, tt.iface)
			}
			if got := gotEnv["IP"].Value; got != "autodetect" {
				t.Errorf("IP = %q, want autodetect", got)
			}
			node.Env, wantNode.Env = nil, nil
			setPolicy(&want.Spec.Template.Spec, tt.policy)
			if !reflect.DeepEqual(ds, want) {
				t.Errorf("the calico-node DaemonSet differs from the source in more than env and pull policy")
			}
			probes := strings.Join(append(node.LivenessProbe.Exec.Command, node.ReadinessProbe.Exec.Command...), " ")
			if hasBird := strings.Contains(probes, "-bird-live") && strings.Contains(probes, "-bird-ready"); hasBird != tt.mode.UsesBGP() {
				t.Errorf("probes %q check BIRD = %v, want %v", probes, hasBird, tt.mode.UsesBGP())
			}

			// Every container of every workload has the pull policy.
			workloads := 0
			for _, d := range outDocs {
				var spec *corev1.PodSpec
				switch identify(t, d).Kind {
				case "DaemonSet":
					ds := strictDaemonSet(t, d)
					spec = &ds.Spec.Template.Spec
				case "Deployment":
					var dep appsv1.Deployment
					if err := yaml.UnmarshalStrict(d, &dep); err != nil {
						t.Fatal(err)
					}
					spec = &dep.Spec.Template.Spec
				default:
					continue
				}
				workloads++
				for _, c := range append(spec.InitContainers, spec.Containers...) {
					if c.ImagePullPolicy != tt.policy {
						t.Errorf("container %s imagePullPolicy = %q, want %q", c.Name, c.ImagePullPolicy, tt.policy)
					}
				}
			}
			if workloads != 2 {
				t.Errorf("found %d workloads, want the DaemonSet and the Deployment", workloads)
			}
		})
	}
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(line) + "\n"
}

func setPolicy(spec *corev1.PodSpec, p corev1.PullPolicy) {
	for i := range spec.InitContainers {
		spec.InitContainers[i].ImagePullPolicy = p
	}
	for i := range spec.Containers {
		spec.Containers[i].ImagePullPolicy = p
	}
}

func TestRenderManifestErrors(t *testing.T) {
	ok := calico.ManifestOptions{Mode: calico.ModeVXLAN, Version: version, PodCIDR: podCIDR, NodeInterface: "eth0",
		PullPolicy: corev1.PullIfNotPresent}
	tests := []struct {
		name   string
		edit   func(*calico.ManifestOptions)
		wantIn []string // what the error must say
	}{
		{"unknown mode", func(o *calico.ManifestOptions) { o.Mode = "foo" },
			[]string{`unknown MODE "foo"`, "valid values are vxlan, noencap, ipip"}},
		{"empty mode", func(o *calico.ManifestOptions) { o.Mode = "" },
			[]string{"MODE is empty", "valid values are vxlan, noencap, ipip"}},
		{"bad CIDR", func(o *calico.ManifestOptions) { o.PodCIDR = "10.244.0.0" },
			[]string{`PodCIDR "10.244.0.0" is not a CIDR`, "10.244.0.0/16"}},
		{"empty CIDR", func(o *calico.ManifestOptions) { o.PodCIDR = "" }, []string{"PodCIDR is empty", "10.244.0.0/16"}},
		{"IPv6 CIDR", func(o *calico.ManifestOptions) { o.PodCIDR = "fd00::/48" }, []string{"not IPv4", "10.244.0.0/16"}},
		{"host bits", func(o *calico.ManifestOptions) { o.PodCIDR = "10.244.1.0/16" }, []string{"host bits", "use 10.244.0.0/16"}},
		{"smaller than a block", func(o *calico.ManifestOptions) { o.PodCIDR = "10.244.0.0/28" }, []string{"/26 or larger"}},
		{"pull Always", func(o *calico.ManifestOptions) { o.PullPolicy = corev1.PullAlways },
			[]string{"Always is not allowed", "never makes a node pull", "use IfNotPresent or Never"}},
		{"pull empty", func(o *calico.ManifestOptions) { o.PullPolicy = "" }, []string{"PullPolicy is empty", "use IfNotPresent or Never"}},
		{"pull unknown", func(o *calico.ManifestOptions) { o.PullPolicy = "Sometimes" }, []string{`"Sometimes"`, "use IfNotPresent or Never"}},
		{"missing version", func(o *calico.ManifestOptions) { o.Version = "3.29.0" },
			[]string{"3.29.0 is not embedded", "calico/v3.29.0/calico-vxlan.yaml", "embedded Calico versions are 3.28.5"}},
		{"empty version", func(o *calico.ManifestOptions) { o.Version = "" }, []string{"version is empty", "3.28.5"}},
		{"bad version", func(o *calico.ManifestOptions) { o.Version = "../3.28.5" }, []string{`"../3.28.5" is not a Calico release`, "3.28.5"}},
		{"interface list", func(o *calico.ManifestOptions) { o.NodeInterface = "eth0,eth1" }, []string{`"eth0,eth1" is not an interface name`, "eth0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			out, err := calico.RenderManifest(o)
			checkErr(t, out, err, tt.wantIn)
		})
	}
	// A leading "v" names the same release.
	o := ok
	o.Version = "v" + version
	if _, err := calico.RenderManifest(o); err != nil {
		t.Errorf("Version v%s: %v", version, err)
	}
}

func checkErr(t *testing.T, out []byte, err error, wantIn []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; output starts %.80q", out)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, s := range wantIn {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not say %q", msg, s)
		}
	}
	if out != nil {
		t.Errorf("output %d bytes with an error", len(out))
	}
}

func TestManifestImages(t *testing.T) {
	want := []string{
		"docker.io/calico/cni:v3.28.5",
		"docker.io/calico/kube-controllers:v3.28.5",
		"docker.io/calico/node:v3.28.5",
	}
	for _, m := range calico.Modes() {
		out, err := calico.RenderManifest(calico.ManifestOptions{Mode: m, Version: version, PodCIDR: podCIDR,
			NodeInterface: "eth0", PullPolicy: corev1.PullNever})
		if err != nil {
			t.Fatal(err)
		}
		got, err := calico.ManifestImages(out)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: ManifestImages = %v, %v; want %v", m, got, err, want)
		}
	}

	extra := "kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: b:1}\n  - {name: c, image: a:2}\n" +
		"---\n# only a comment\n" +
		"---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {image: not-a-container}\n"
	if got, err := calico.ManifestImages([]byte(extra)); err != nil || !slices.Equal(got, []string{"a:2", "b:1"}) {
		t.Errorf("ManifestImages(pod) = %v, %v; want [a:2 b:1]", got, err)
	}
	for name, doc := range map[string]string{
		"bad YAML": "kind: Pod\nspec: [\n",
		"no image": "kind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: [{name: a}]}}}\n",
	} {
		if _, err := calico.ManifestImages([]byte(doc)); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error = %v, want one line", name, err)
		}
	}
}

// The Installation fields the suite sets; UnmarshalStrict rejects any other.
type testInstallation struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		CNI struct {
			Type string `json:"type"`
			IPAM struct {
				Type string `json:"type"`
			} `json:"ipam"`
		} `json:"cni"`
		CalicoNetwork struct {
			BGP     string `json:"bgp"`
			IPPools []struct {
				Name          string `json:"name"`
				CIDR          string `json:"cidr"`
				BlockSize     int    `json:"blockSize"`
				Encapsulation string `json:"encapsulation"`
				NATOutgoing   string `json:"natOutgoing"`
				NodeSelector  string `json:"nodeSelector"`
			} `json:"ipPools"`
			NodeAddressAutodetectionV4 *struct {
				Interface string `json:"interface"`
			} `json:"nodeAddressAutodetectionV4"`
			WindowsDataplane string `json:"windowsDataplane"`
		} `json:"calicoNetwork"`
		ServiceCIDRs []string `json:"serviceCIDRs"`
	} `json:"spec"`
}

func TestRenderInstallation(t *testing.T) {
	tests := []struct {
		mode             calico.Mode
		windows          bool
		iface, wantIface string
		bgp, encap       string
	}{
		{calico.ModeVXLAN, false, "eth0", "^eth0$", "Disabled", "VXLAN"},
		{calico.ModeNoEncap, false, "eth0.100", `^eth0\.100$`, "Enabled", "None"},
		{calico.ModeIPIP, false, "", "", "Enabled", "IPIP"},
		{calico.ModeVXLAN, true, "vEthernet (Ethernet 2)", `^vEthernet \(Ethernet 2\)$`, "Disabled", "VXLAN"},
		{calico.ModeNoEncap, true, "", "", "Enabled", "None"},
	}
	for _, tt := range tests {
		name := string(tt.mode)
		if tt.windows {
			name += "/windows"
		}
		t.Run(name, func(t *testing.T) {
			out, err := calico.RenderInstallation(calico.InstallationOptions{Mode: tt.mode, PodCIDR: podCIDR, NodeInterface: tt.iface,
				Windows: tt.windows, ServiceCIDR: "10.96.0.0/12", KubernetesServiceHost: "172.18.0.2", KubernetesServicePort: 6443})
			if err != nil {
				t.Fatal(err)
			}
			docs := bytes.Split(out, sep)
			wantDocs := 1
			if tt.windows {
				wantDocs = 2
			}
			if len(docs) != wantDocs {
				t.Fatalf("%d documents, want %d:\n%s", len(docs), wantDocs, out)
			}
			var inst testInstallation
			if err := yaml.UnmarshalStrict(docs[0], &inst); err != nil {
				t.Fatalf("parse Installation: %v\n%s", err, docs[0])
			}
			if inst.APIVersion != "operator.tigera.io/v1" || inst.Kind != "Installation" || inst.Metadata.Name != "default" {
				t.Errorf("object is %s %s %s, want operator.tigera.io/v1 Installation default", inst.APIVersion, inst.Kind, inst.Metadata.Name)
			}
			if inst.Spec.CNI.Type != "Calico" || inst.Spec.CNI.IPAM.Type != "Calico" {
				t.Errorf("cni = %+v, want Calico CNI with Calico IPAM", inst.Spec.CNI)
			}
			cn := inst.Spec.CalicoNetwork
			if cn.BGP != tt.bgp {
				t.Errorf("bgp = %q, want %q", cn.BGP, tt.bgp)
			}
			if len(cn.IPPools) != 1 {
				t.Fatalf("%d ipPools, want 1", len(cn.IPPools))
			}
			p := cn.IPPools[0]
			if p.Name != "default-ipv4-ippool" || p.CIDR != podCIDR || p.BlockSize != 26 || p.Encapsulation != tt.encap ||
				p.NATOutgoing != "Enabled" || p.NodeSelector != "all()" {
				t.Errorf("ipPool = %+v, want default-ipv4-ippool %s /26 %s natOutgoing Enabled all()", p, podCIDR, tt.encap)
			}
			switch a := cn.NodeAddressAutodetectionV4; {
			case tt.iface == "" && a != nil:
				t.Errorf("nodeAddressAutodetectionV4 = %+v without NodeInterface", *a)
			case tt.iface != "" && (a == nil || a.Interface != tt.wantIface):
				t.Errorf("nodeAddressAutodetectionV4 = %+v, want interface %s", a, tt.wantIface)
			}
			if !tt.windows {
				if cn.WindowsDataplane != "" || inst.Spec.ServiceCIDRs != nil {
					t.Errorf("Linux installation sets windowsDataplane %q, serviceCIDRs %v", cn.WindowsDataplane, inst.Spec.ServiceCIDRs)
				}
				return
			}
			if cn.WindowsDataplane != "HNS" || !slices.Equal(inst.Spec.ServiceCIDRs, []string{"10.96.0.0/12"}) {
				t.Errorf("windowsDataplane %q, serviceCIDRs %v; want HNS, [10.96.0.0/12]", cn.WindowsDataplane, inst.Spec.ServiceCIDRs)
			}
			var cm corev1.ConfigMap
			if err := yaml.UnmarshalStrict(docs[1], &cm); err != nil {
				t.Fatalf("parse ConfigMap: %v\n%s", err, docs[1])
			}
			want := map[string]string{"KUBERNETES_SERVICE_HOST": "172.18.0.2", "KUBERNETES_SERVICE_PORT": "6443"}
			if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Namespace != "tigera-operator" ||
				cm.Name != "kubernetes-services-endpoint" || !reflect.DeepEqual(cm.Data, want) {
				t.Errorf("ConfigMap = %s %s %s/%s %v; want v1 ConfigMap tigera-operator/kubernetes-services-endpoint %v",
					cm.APIVersion, cm.Kind, cm.Namespace, cm.Name, cm.Data, want)
			}
		})
	}
}

func TestRenderInstallationErrors(t *testing.T) {
	win := calico.InstallationOptions{Mode: calico.ModeVXLAN, PodCIDR: podCIDR, Windows: true, ServiceCIDR: "10.96.0.0/12",
		KubernetesServiceHost: "172.18.0.2", KubernetesServicePort: 6443}
	tests := []struct {
		name   string
		edit   func(*calico.InstallationOptions)
		wantIn []string
	}{
		{"unknown mode", func(o *calico.InstallationOptions) { o.Mode = "bgp" }, []string{`unknown MODE "bgp"`, "vxlan, noencap, ipip"}},
		{"bad pod CIDR", func(o *calico.InstallationOptions) { o.PodCIDR = "10.244.0.0/33" }, []string{"PodCIDR", "10.244.0.0/16"}},
		{"no service CIDR", func(o *calico.InstallationOptions) { o.ServiceCIDR = "" }, []string{"ServiceCIDR is empty", "10.96.0.0/12"}},
		{"no host", func(o *calico.InstallationOptions) { o.KubernetesServiceHost = "" }, []string{"KubernetesServiceHost is empty"}},
		{"URL host", func(o *calico.InstallationOptions) { o.KubernetesServiceHost = "https://172.18.0.2:6443" },
			[]string{"not a host", "IP or DNS name"}},
		{"no port", func(o *calico.InstallationOptions) { o.KubernetesServicePort = 0 }, []string{"KubernetesServicePort 0", "6443"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := win
			tt.edit(&o)
			out, err := calico.RenderInstallation(o)
			checkErr(t, out, err, tt.wantIn)
		})
	}
	// IPIP with Windows nodes: the Linux nodes run IPIP, the Windows nodes get no Calico data
	// plane (Calico for Windows has no IPIP); the matrix skips their cells, saying why.
	o := win
	o.Mode = calico.ModeIPIP
	out, err := calico.RenderInstallation(o)
	if err != nil || !strings.Contains(string(out), "windowsDataplane: Disabled") || !strings.Contains(string(out), "encapsulation: IPIP") {
		t.Errorf("IPIP with Windows: %v\n%s", err, out)
	}
	if ok, why := calico.WindowsPodNetwork(calico.ModeIPIP); ok || !strings.Contains(why, "does not support IPIP") {
		t.Errorf("WindowsPodNetwork(ipip) = %v %q", ok, why)
	}
	// IPIP is fine without Windows, and the Windows-only fields are not required then.
	if _, err := calico.RenderInstallation(calico.InstallationOptions{Mode: calico.ModeIPIP, PodCIDR: podCIDR}); err != nil {
		t.Errorf("Linux IPIP: %v", err)
	}
}

func TestOperatorManifestURL(t *testing.T) {
	for _, v := range []string{"3.28.5", "v3.28.5"} {
		got, err := calico.OperatorManifestURL(v)
		want := "https://raw.githubusercontent.com/projectcalico/calico/v3.28.5/manifests/tigera-operator.yaml"
		if err != nil || got != want {
			t.Errorf("OperatorManifestURL(%q) = %q, %v; want %q", v, got, err, want)
		}
	}
	if _, err := calico.OperatorManifestURL("latest"); err == nil {
		t.Error("OperatorManifestURL(latest): no error")
	}
}

func TestFeatureGates(t *testing.T) {
	for _, tc := range []struct {
		f       calico.Feature
		version string
		want    bool
	}{
		{calico.FeatureServiceLoadBalancerIPs, "v3.28.5", true},
		{calico.FeatureServiceLoadBalancerIPs, "v3.17.2", false},
		{calico.FeatureServiceLoadBalancerIPs, "3.18.0", true},
		{calico.FeatureKeepOriginalNextHop, "v3.16.5", false},
		{calico.FeatureKeepOriginalNextHop, "v3.17.0", true},
		{calico.FeatureServiceExternalIPs, "v3.9.2", false},
		{calico.FeatureServiceClusterIPs, "v3.10.0", true},
		{calico.FeatureWindowsOperator, "v3.26.4", false},
		{calico.FeatureWindowsOperator, "v3.28.5", true},
	} {
		ok, reason, err := tc.f.Supported(tc.version)
		if err != nil || ok != tc.want {
			t.Errorf("%s on %s: got %v (%v), want %v", tc.f.Name, tc.version, ok, err, tc.want)
		}
		if !ok && (!strings.Contains(reason, "v"+tc.f.Since) || !strings.Contains(reason, tc.version)) {
			t.Errorf("%s on %s: reason %q should name the release it needs and the version found", tc.f.Name, tc.version, reason)
		}
	}
	if _, _, err := calico.FeatureServiceClusterIPs.Supported("unknown"); err == nil {
		t.Error("an unparsable version must be an error, not a silent skip")
	}
}

func TestWindowsKubeProxy(t *testing.T) {
	img := calico.WindowsKubeProxyImage("", "v1.34.4")
	if img != "sigwindowstools/kube-proxy:v1.34.4-calico-hostprocess" {
		t.Errorf("image %s", img)
	}
	if got := calico.WindowsKubeProxyImage("registry.lan:5000", "1.34.4"); got != "registry.lan:5000/sigwindowstools/kube-proxy:v1.34.4-calico-hostprocess" {
		t.Errorf("mirrored image %s", got)
	}
	ds := calico.WindowsKubeProxy(img)
	spec := ds.Spec.Template.Spec
	if !*spec.SecurityContext.WindowsOptions.HostProcess || !spec.HostNetwork || spec.NodeSelector["kubernetes.io/os"] != "windows" {
		t.Errorf("not a HostProcess pod on Windows nodes: %+v", spec)
	}
	if spec.ServiceAccountName != "kube-proxy" || spec.Volumes[0].ConfigMap.Name != "kube-proxy" || spec.Containers[0].VolumeMounts[0].MountPath != "/var/lib/kube-proxy" {
		t.Errorf("kubeadm's kube-proxy ServiceAccount and ConfigMap not used: %+v", spec)
	}
	if ds.Spec.Selector.MatchLabels["k8s-app"] != ds.Spec.Template.Labels["k8s-app"] {
		t.Error("selector does not match the template")
	}
}

// Images replaces the release images in every container and init container (calico/node runs
// in an init container too), and nothing else changes; a release image no container runs is an
// error, so a typo cannot leave the release image in place.
func TestRenderManifestReplacesImages(t *testing.T) {
	const tag = "v3.28.5-src-a0db560f0520"
	replace := map[string]string{
		"docker.io/calico/node:v3.28.5":             "docker.io/calico/node:" + tag,
		"docker.io/calico/cni:v3.28.5":              "docker.io/calico/cni:" + tag,
		"docker.io/calico/kube-controllers:v3.28.5": "myreg/kube-controllers:dev",
	}
	for _, m := range calico.Modes() {
		base := calico.ManifestOptions{Mode: m, Version: version, PodCIDR: podCIDR, NodeInterface: "eth0", PullPolicy: corev1.PullIfNotPresent}
		plain, err := calico.RenderManifest(base)
		if err != nil {
			t.Fatal(err)
		}
		o := base
		o.Images = replace
		out, err := calico.RenderManifest(o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := calico.ManifestImages(out)
		want := []string{"docker.io/calico/cni:" + tag, "docker.io/calico/node:" + tag, "myreg/kube-controllers:dev"}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: images %v, %v; want %v", m, got, err, want)
		}
		// the same objects otherwise: the plain manifest with the images swapped as text
		swapped := string(plain)
		for from, to := range replace {
			swapped = strings.ReplaceAll(swapped, "image: "+from, "image: "+to)
		}
		sd, od := bytes.Split([]byte(swapped), sep), bytes.Split(out, sep)
		if len(sd) != len(od) {
			t.Fatalf("%s: %d documents, %d without replacement", m, len(od), len(sd))
		}
		for i := range sd {
			var a, b any
			if err := yaml.Unmarshal(sd[i], &a); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(od[i], &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: document %d differs beyond its images", m, i+1)
			}
		}
		// install-cni, upgrade-ipam, mount-bpffs (an init container running calico/node), calico-node
		if c := strings.Count(string(out), "image: docker.io/calico/node:"+tag) + strings.Count(string(out), "image: docker.io/calico/cni:"+tag); c != 4 {
			t.Errorf("%s: %d containers run the replaced node and cni images, want 4", m, c)
		}
	}
	o := calico.ManifestOptions{Mode: calico.ModeVXLAN, Version: version, PodCIDR: podCIDR, PullPolicy: corev1.PullNever,
		Images: map[string]string{"docker.io/calico/typha:v3.28.5": "myreg/typha:dev"}}
	out, err := calico.RenderManifest(o)
	checkErr(t, out, err, []string{"no container of calico-vxlan.yaml of Calico 3.28.5 runs docker.io/calico/typha:v3.28.5", "myreg/typha:dev"})
	o.Images = map[string]string{"docker.io/calico/node:v3.28.5": ""}
	out, err = calico.RenderManifest(o)
	checkErr(t, out, err, []string{"name both the manifest's image and the one to run"})
}
