package windows

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// cmdMeta are the characters cmd.exe interprets on a command line it reads (hcsshim starts
// every HostProcess process through "cmd /c" on nodes with bind mounts).
const cmdMeta = `&|<>^"`

// The host-network probe pod of a Windows node, as rendered: a HostProcess pod in the node's
// network namespace, as SYSTEM, running netexec from the image's directory on the host ports.
func TestHostProbePod(t *testing.T) {
	p := ProbePod{Namespace: "ns", Name: "host-3", Labels: map[string]string{"role": "host"}, Node: "win-1",
		Image: "r/agnhost:2.56-windows-amd64-ltsc2022", PullPolicy: corev1.PullNever, HTTPPort: 23456, UDPPort: 23457, HostNetwork: true}.Pod()
	s := p.Spec
	if !s.HostNetwork {
		t.Error("hostNetwork is not set: a HostProcess pod must ask for it explicitly")
	}
	wo := s.SecurityContext.WindowsOptions
	if wo == nil || wo.HostProcess == nil || !*wo.HostProcess || wo.RunAsUserName == nil || *wo.RunAsUserName != `NT AUTHORITY\SYSTEM` {
		t.Errorf("windowsOptions %+v, want hostProcess as NT AUTHORITY\\SYSTEM", wo)
	}
	if s.OS == nil || s.OS.Name != corev1.Windows || s.NodeSelector[corev1.LabelHostname] != "win-1" {
		t.Errorf("spec.os %+v, node selector %v", s.OS, s.NodeSelector)
	}
	if len(s.Containers) != 1 {
		t.Fatalf("%d containers: a HostProcess pod holds only HostProcess containers, this one agnhost", len(s.Containers))
	}
	c := s.Containers[0]
	want := []string{"cmd", "/C", "copy", "/Y", `%CONTAINER_SANDBOX_MOUNT_POINT%\agnhost`, `%CONTAINER_SANDBOX_MOUNT_POINT%\agnhost.exe`, "&&",
		`%CONTAINER_SANDBOX_MOUNT_POINT%\agnhost.exe`, "netexec", "--http-port=23456", "--udp-port=23457"}
	if !reflect.DeepEqual(c.Command, want) || c.Args != nil {
		t.Errorf("command %q args %q, want %q", c.Command, c.Args, want)
	}
	if c.SecurityContext != nil {
		t.Errorf("container securityContext %+v: the pod's windowsOptions apply to it", c.SecurityContext)
	}
	if len(c.Ports) != 2 || c.Ports[0].ContainerPort != 23456 || c.Ports[1].ContainerPort != 23457 || c.Ports[1].Protocol != corev1.ProtocolUDP {
		t.Errorf("ports %+v, want the host ports", c.Ports)
	}
	if h := c.ReadinessProbe.HTTPGet; h == nil || h.Path != "/healthz" || h.Port.IntValue() != 23456 {
		t.Errorf("readiness %+v", c.ReadinessProbe)
	}
	if c.Image != "r/agnhost:2.56-windows-amd64-ltsc2022" || c.ImagePullPolicy != corev1.PullNever {
		t.Errorf("image %s pull %s: want the node's agnhost variant, already there for the other probe pods", c.Image, c.ImagePullPolicy)
	}
	// The command runs once through cmd.exe: && is the one operator it must see, and every path
	// is the sandbox variable hcsshim replaces (no space, so no argument gets quoted).
	for _, a := range c.Command {
		if a == "&&" {
			continue
		}
		if strings.ContainsAny(a, cmdMeta+" ") {
			t.Errorf("argument %q holds a character cmd.exe interprets, or a space", a)
		}
		if strings.Contains(a, `\`) && !strings.HasPrefix(a, SandboxMountPoint+`\`) {
			t.Errorf("path %q is not in the image's directory", a)
		}
	}

	// the same pod without HostNetwork is the pod-network probe pod, unchanged
	plain := ProbePod{Name: "b-3", Node: "win-1", HTTPPort: 8080, UDPPort: 8081}.Pod()
	if plain.Spec.HostNetwork || plain.Spec.SecurityContext != nil || plain.Spec.Containers[0].Command != nil {
		t.Errorf("pod-network probe pod changed: %+v", plain.Spec)
	}
}

// The dial probe of a HostProcess pod: netexec's /dial parameters as curl arguments, so the
// command line holds nothing cmd.exe interprets, and curl puts them back into the URL.
func TestDialCommand(t *testing.T) {
	q := url.Values{}
	q.Set("request", "hostname")
	q.Set("protocol", "http")
	q.Set("host", "fd00:10:244::5")
	q.Set("port", "8080")
	q.Set("tries", "1")
	cmd := DialCommand(23456, q, 5*time.Second)
	want := []string{"curl.exe", "-sS", "-g", "--max-time", "5", "-G", "http://127.0.0.1:23456/dial",
		"--data-urlencode", "host=fd00:10:244::5", "--data-urlencode", "port=8080", "--data-urlencode", "protocol=http",
		"--data-urlencode", "request=hostname", "--data-urlencode", "tries=1"}
	if !reflect.DeepEqual(cmd, want) {
		t.Fatalf("DialCommand = %q\nwant %q", cmd, want)
	}
	for _, a := range cmd {
		if strings.ContainsAny(a, cmdMeta+"% ") {
			t.Errorf("argument %q holds a character cmd.exe interprets, or a space", a)
		}
	}
	if got := DialCommand(8080, q, 200*time.Millisecond)[4]; got != "1" {
		t.Errorf("a sub-second timeout gives --max-time %s, want 1", got)
	}
}
