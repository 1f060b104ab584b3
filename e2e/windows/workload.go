package windows

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Windows workloads of the suite: the agnhost image variant that matches a node's Windows
// build, the probe pod that serves like the Linux probe pods, and the timeouts Windows needs.

// RegistryKnob is the setting that names where the Windows images come from.
const RegistryKnob = "WINDOWS_REGISTRY"

// PublishedRegistry is where Kubernetes publishes agnhost, Windows variants included. The suite
// never picks it by itself: under IMAGES=source nothing may be pulled on the suite's behalf, so
// the user names the registry (this one, or a mirror holding the same tags) in RegistryKnob.
const PublishedRegistry = "registry.k8s.io/e2e-test-images"

// ImageVariant is the agnhost image built for one Windows Server build.
type ImageVariant struct {
	// Build is the build number of node.kubernetes.io/windows-build (10.0.<Build>).
	Build int
	// Release names the Windows Server release.
	Release string
	// OSVersion is the variant's name in agnhost's BASEIMAGE and in its tag.
	OSVersion string
}

// AgnhostVariants are the Windows builds agnhost is published for. Source: kubernetes
// test/images/agnhost/BASEIMAGE lists windows/amd64/1809 and windows/amd64/ltsc2022, and
// test/images/image-util.sh tags each variant <version>-<os>-<arch>-<os_version>
// (agnhost:2.56-windows-amd64-ltsc2022); the multi-arch tag lists them with their os.version.
// Windows Server 2025 (10.0.26100) has no agnhost variant there.
var AgnhostVariants = []ImageVariant{
	{Build: 17763, Release: "Windows Server 2019", OSVersion: "1809"},
	{Build: 20348, Release: "Windows Server 2022", OSVersion: "ltsc2022"},
}

// VariantFor returns the agnhost variant for a node's Windows build ("10.0.17763",
// "10.0.20348.2340"); an unknown build is an error that names it.
func VariantFor(nodeBuild string) (ImageVariant, error) {
	b, err := ParseBuild(nodeBuild)
	if err != nil {
		return ImageVariant{}, err
	}
	for _, v := range AgnhostVariants {
		if v.Build == b.Number && b.Major == 10 && b.Minor == 0 {
			return v, nil
		}
	}
	var known []string
	for _, v := range AgnhostVariants {
		known = append(known, fmt.Sprintf("10.0.%d (%s, %s)", v.Build, v.Release, v.OSVersion))
	}
	return ImageVariant{}, fmt.Errorf("Windows build %s has no agnhost image variant: agnhost is built for %s only, and a process-isolated container needs the node's build",
		buildName(b), strings.Join(known, " and "))
}

// AgnhostImage is the agnhost image of version (the pinned agnhost version, e.g. "2.56") for a
// node of build nodeBuild, from registry (the value of RegistryKnob). An empty registry is an
// error: the suite does not choose a registry to pull from.
func AgnhostImage(registry, version, nodeBuild string) (string, error) {
	registry = strings.TrimSuffix(strings.TrimSpace(registry), "/")
	if registry == "" {
		return "", fmt.Errorf("%s is not set: Windows nodes need agnhost images from a registry you name, e.g. %s=%s (or a mirror holding agnhost:%s-windows-amd64-<1809|ltsc2022>)",
			RegistryKnob, RegistryKnob, PublishedRegistry, version)
	}
	if version == "" {
		return "", fmt.Errorf("agnhost version is empty")
	}
	v, err := VariantFor(nodeBuild)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/agnhost:%s-windows-amd64-%s", registry, version, v.OSVersion), nil
}

// NodeBuild reads a node's Windows build from its node.kubernetes.io/windows-build label
// (set by the kubelet on Windows nodes since Kubernetes 1.17).
func NodeBuild(node string, labels map[string]string) (string, error) {
	b, ok := labels[corev1.LabelWindowsBuild]
	if !ok || b == "" {
		return "", fmt.Errorf("node %s has no %s label: is it a Windows node with a kubelet of 1.17 or later?", node, corev1.LabelWindowsBuild)
	}
	if _, err := ParseBuild(b); err != nil {
		return "", fmt.Errorf("node %s: label %s: %w", node, corev1.LabelWindowsBuild, err)
	}
	return b, nil
}

// Timeouts of Windows workloads. Linux values stay with the framework; these apply where a
// Windows node takes part.
const (
	// PodStartTimeout bounds the wait for a Windows pod to become Ready. It is Kubernetes e2e's
	// PodStartSlow (test/e2e/framework/timeouts.go: 15m, "when you are sure pod start will take
	// longer than usual") rather than PodStart (5m): a Windows image is hundreds of MB to GBs
	// to pull and extract, and the first pod on a node also waits for its HNS endpoint. A pod
	// that can never start (image absent under pull policy Never, build mismatch) is reported
	// by the framework's permanent-failure check long before this.
	PodStartTimeout = 15 * time.Minute
	// HNSProgrammingTimeout bounds how long a connectivity cell involving a Windows node may
	// retry before failing: the time for kube-proxy (winkernel) to create the HNS load balancers
	// of a new Service or endpoint and for Calico to program the endpoint's policy and remote
	// routes. kube-proxy syncs on each change and at least every syncPeriod (default 30s), so
	// two full periods bound a change that missed one sync.
	HNSProgrammingTimeout = 2 * 30 * time.Second
)

// WindowsTaint is the taint Windows nodes usually carry so Linux pods stay off them
// (Kubernetes docs, "Guide for scheduling Windows containers": os=windows:NoSchedule).
var WindowsTaint = corev1.Taint{Key: "os", Value: "windows", Effect: corev1.TaintEffectNoSchedule}

// ProbePod describes a Windows probe pod; it serves exactly like the Linux probe pods: agnhost
// netexec on the same HTTP and UDP ports, Ready when /healthz answers.
type ProbePod struct {
	Namespace, Name string
	Labels          map[string]string
	// Node is the node's name; Hostname its kubernetes.io/hostname label (Node when empty).
	Node, Hostname string
	// Image is the agnhost variant for the node (AgnhostImage).
	Image      string
	PullPolicy corev1.PullPolicy
	// HTTPPort and UDPPort are netexec's ports (the framework's HTTPPort and UDPPort, or the
	// run's host port for a HostNetwork pod).
	HTTPPort, UDPPort int
	// HostNetwork makes it the node's host-network probe pod: a HostProcess pod (the only
	// Windows pod in the node's network namespace) running netexec from the image's directory
	// (NetexecCommand) as HostProcessUser. Its namespace must admit privileged pods.
	HostNetwork bool
}

// Pod builds the pod: pinned by node selector (kubernetes.io/os=windows and the node's
// hostname), tolerating the Windows taint, spec.os set to windows so the API server rejects
// Linux-only fields.
func (p ProbePod) Pod() *corev1.Pod {
	grace := int64(1)
	host := p.Hostname
	if host == "" {
		host = p.Node
	}
	labels := map[string]string{}
	for k, v := range p.Labels {
		labels[k] = v
	}
	var sc *corev1.PodSecurityContext
	var cmd []string
	args := []string{"netexec", fmt.Sprintf("--http-port=%d", p.HTTPPort), fmt.Sprintf("--udp-port=%d", p.UDPPort)}
	if p.HostNetwork {
		yes, user := true, HostProcessUser
		sc = &corev1.PodSecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: &yes, RunAsUserName: &user}}
		// the image's entrypoint (/agnhost) is not a path on the host: name the binary in full
		cmd, args = NetexecCommand(p.HTTPPort, p.UDPPort), nil
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: labels},
		Spec: corev1.PodSpec{
			OS: &corev1.PodOS{Name: corev1.Windows},
			NodeSelector: map[string]string{
				corev1.LabelOSStable: string(corev1.Windows),
				corev1.LabelHostname: host,
			},
			Tolerations:                   []corev1.Toleration{{Key: WindowsTaint.Key, Operator: corev1.TolerationOpEqual, Value: WindowsTaint.Value, Effect: WindowsTaint.Effect}},
			HostNetwork:                   p.HostNetwork,
			SecurityContext:               sc,
			TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{
				Name:            "agnhost",
				Image:           p.Image,
				ImagePullPolicy: p.PullPolicy,
				Command:         cmd,
				Args:            args,
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: int32(p.HTTPPort)},
					{Name: "udp", ContainerPort: int32(p.UDPPort), Protocol: corev1.ProtocolUDP}},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(int32(p.HTTPPort))}},
					PeriodSeconds: 1,
				},
			}},
		},
	}
}

// ImageBuild returns the Windows build an agnhost Windows image was made for, read from its
// tag suffix (-windows-amd64-<os_version>, as AgnhostImage names it), or "" when the tag names
// no variant of AgnhostVariants. ImageBuildMismatch compares it with the node's build.
func ImageBuild(image string) string {
	for _, v := range AgnhostVariants {
		if strings.HasSuffix(image, "-windows-amd64-"+v.OSVersion) {
			return fmt.Sprintf("10.0.%d", v.Build)
		}
	}
	return ""
}
