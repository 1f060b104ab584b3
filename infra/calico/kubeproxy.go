package calico

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WindowsKubeProxyImage is the HostProcess kube-proxy image sig-windows-tools publishes for
// Calico clusters, for a Kubernetes version (e.g. "v1.34.4"), from registry (the user's mirror;
// "" is Docker Hub's sigwindowstools, which only a user's cluster may pull from).
func WindowsKubeProxyImage(registry, kubernetesVersion string) string {
	repo := "sigwindowstools"
	if registry != "" {
		repo = strings.TrimSuffix(registry, "/") + "/sigwindowstools"
	}
	return fmt.Sprintf("%s/kube-proxy:v%s-calico-hostprocess", repo, strings.TrimPrefix(kubernetesVersion, "v"))
}

// WindowsKubeProxy is the DaemonSet that runs kube-proxy on Windows nodes of a Calico cluster
// installed by the operator, which does not run it there (Calico's Windows install docs apply
// sig-windows-tools' hostprocess/calico/kube-proxy/kube-proxy.yml with the cluster's version).
// It follows that manifest: a HostProcess container as SYSTEM on the host network running the
// image's start.ps1, with the kube-proxy ServiceAccount and ConfigMap that kubeadm creates.
// Unlike it, the pull policy is IfNotPresent, so a pre-loaded or mirrored image is used as is.
func WindowsKubeProxy(image string) *appsv1.DaemonSet {
	yes := true
	system := `NT AUTHORITY\system`
	labels := map[string]string{"k8s-app": "kube-proxy-windows"}
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy-windows", Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-proxy"}},
		Spec: appsv1.DaemonSetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: labels},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: "kube-proxy",
					SecurityContext: &corev1.PodSecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{
						HostProcess: &yes, RunAsUserName: &system}},
					HostNetwork:  true,
					NodeSelector: map[string]string{corev1.LabelOSStable: "windows"},
					Tolerations: []corev1.Toleration{{Key: "CriticalAddonsOnly", Operator: corev1.TolerationOpExists},
						{Operator: corev1.TolerationOpExists}},
					Containers: []corev1.Container{{
						Name:            "kube-proxy",
						Image:           image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Args:            []string{"$env:CONTAINER_SANDBOX_MOUNT_POINT/kube-proxy/start.ps1"},
						WorkingDir:      "$env:CONTAINER_SANDBOX_MOUNT_POINT/kube-proxy/",
						Env: []corev1.EnvVar{
							{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}}},
							{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
						},
						VolumeMounts: []corev1.VolumeMount{{Name: "kube-proxy", MountPath: "/var/lib/kube-proxy"}},
					}},
					Volumes: []corev1.Volume{{Name: "kube-proxy", VolumeSource: corev1.VolumeSource{
						ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-proxy"}}}}},
				},
			},
		},
	}
}
