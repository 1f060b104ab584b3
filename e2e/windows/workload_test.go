package windows

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestAgnhostImageByBuild(t *testing.T) {
	for build, want := range map[string]string{
		"10.0.17763":      "registry.example/e2e/agnhost:2.56-windows-amd64-1809",
		"10.0.17763.1432": "registry.example/e2e/agnhost:2.56-windows-amd64-1809",
		"10.0.20348.2340": "registry.example/e2e/agnhost:2.56-windows-amd64-ltsc2022",
	} {
		got, err := AgnhostImage("registry.example/e2e/", "2.56", build)
		if err != nil || got != want {
			t.Errorf("AgnhostImage(%s) = %q, %v; want %q", build, got, err, want)
		}
		if b := ImageBuild(got); !strings.HasPrefix(build, b) || b == "" {
			t.Errorf("ImageBuild(%q) = %q, want the build of %s", got, b, build)
		}
	}
	if b := ImageBuild("registry.k8s.io/e2e-test-images/agnhost:2.56"); b != "" {
		t.Errorf("multi-arch tag: build %q, want none", b)
	}
}

func TestAgnhostImageErrors(t *testing.T) {
	_, err := AgnhostImage("", "2.56", "10.0.20348")
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "WINDOWS_REGISTRY is not set") ||
		!strings.Contains(err.Error(), PublishedRegistry) {
		t.Errorf("unset registry: %v", err)
	}
	_, err = AgnhostImage("r.example", "2.56", "10.0.26100.1742")
	if err == nil || !strings.Contains(err.Error(), "10.0.26100.1742, Windows Server 2025") || !strings.Contains(err.Error(), "10.0.20348 (Windows Server 2022, ltsc2022)") {
		t.Errorf("Windows Server 2025: %v", err)
	}
	if _, err = AgnhostImage("r.example", "2.56", "ltsc2022"); err == nil || !strings.Contains(err.Error(), `"ltsc2022"`) {
		t.Errorf("not a build: %v", err)
	}
}

func TestNodeBuild(t *testing.T) {
	b, err := NodeBuild("w1", map[string]string{"node.kubernetes.io/windows-build": "10.0.20348"})
	if err != nil || b != "10.0.20348" {
		t.Errorf("NodeBuild = %q, %v", b, err)
	}
	if _, err := NodeBuild("w1", map[string]string{}); err == nil || !strings.Contains(err.Error(), "node w1 has no node.kubernetes.io/windows-build label") {
		t.Errorf("no label: %v", err)
	}
	if _, err := NodeBuild("w1", map[string]string{"node.kubernetes.io/windows-build": "2022"}); err == nil || !strings.Contains(err.Error(), "node w1") {
		t.Errorf("bad label: %v", err)
	}
}

func TestProbePodServesLikeLinux(t *testing.T) {
	labels := map[string]string{"role": "b"}
	p := ProbePod{Namespace: "ns", Name: "b-2", Labels: labels, Node: "win-1", Image: "r/agnhost:2.56-windows-amd64-ltsc2022",
		PullPolicy: corev1.PullNever, HTTPPort: 8080, UDPPort: 8081}.Pod()
	labels["role"] = "changed"
	if p.Labels["role"] != "b" {
		t.Errorf("pod shares the caller's label map")
	}
	s := p.Spec
	if s.OS == nil || s.OS.Name != corev1.Windows {
		t.Errorf("spec.os %+v", s.OS)
	}
	if !reflect.DeepEqual(s.NodeSelector, map[string]string{"kubernetes.io/os": "windows", "kubernetes.io/hostname": "win-1"}) {
		t.Errorf("node selector %v", s.NodeSelector)
	}
	if tl := s.Tolerations; len(tl) != 1 || tl[0].Key != "os" || tl[0].Value != "windows" || tl[0].Effect != corev1.TaintEffectNoSchedule || tl[0].Operator != corev1.TolerationOpEqual {
		t.Errorf("tolerations %+v do not tolerate %v", s.Tolerations, WindowsTaint)
	}
	c := s.Containers[0]
	// the arguments of the Linux probe pods (framework/fixture.go probePod)
	if !reflect.DeepEqual(c.Args, []string{"netexec", "--http-port=8080", "--udp-port=8081"}) || c.ImagePullPolicy != corev1.PullNever {
		t.Errorf("container %+v", c)
	}
	if len(c.Ports) != 2 || c.Ports[1].Protocol != corev1.ProtocolUDP || c.Ports[1].ContainerPort != 8081 {
		t.Errorf("ports %+v", c.Ports)
	}
	if h := c.ReadinessProbe.HTTPGet; h == nil || h.Path != "/healthz" || h.Port.IntValue() != 8080 {
		t.Errorf("readiness %+v", c.ReadinessProbe)
	}
	if c.SecurityContext != nil {
		t.Errorf("Linux capabilities on a Windows pod: %+v", c.SecurityContext)
	}
	p2 := ProbePod{Name: "a", Node: "win-1", Hostname: "WIN-1-host", HTTPPort: 8080, UDPPort: 8081}.Pod()
	if p2.Spec.NodeSelector["kubernetes.io/hostname"] != "WIN-1-host" {
		t.Errorf("hostname label not used: %v", p2.Spec.NodeSelector)
	}
}

func TestTimeouts(t *testing.T) {
	if PodStartTimeout <= 5*60e9 || HNSProgrammingTimeout < 30e9 {
		t.Errorf("Windows timeouts %v, %v: want more than Kubernetes' PodStart (5m) and at least one kube-proxy syncPeriod (30s)", PodStartTimeout, HNSProgrammingTimeout)
	}
}
