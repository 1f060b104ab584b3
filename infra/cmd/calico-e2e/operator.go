package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"sigs.k8s.io/e2e-framework/klient"

	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/lifecycle"
	"github.com/calico-conformance/e2e/infra/vagrant"
	"github.com/calico-conformance/e2e/infra/versions"
)

// operatorCheckCmd has the run's cluster (or KUBECONFIG's) validate the operator install of
// Windows clusters without running the operator: the vendored manifest and the Installations the
// suite renders (infra/calico for an existing Windows cluster, infra/vagrant for its own VMs).
func operatorCheckCmd(ctx context.Context) error {
	kubeconfig := os.Getenv("KUBECONFIG")
	if run, _, err := lifecycle.LoadRun(os.Getenv); err == nil && run.Kubeconfig != "" {
		kubeconfig = run.Kubeconfig
	} else if kubeconfig == "" {
		return err
	}
	v, err := versions.Pinned()
	if err != nil {
		return err
	}
	inst, err := calico.RenderInstallation(calico.InstallationOptions{Mode: calico.ModeVXLAN, PodCIDR: lifecycle.PodSubnet,
		Windows: true, ServiceCIDR: lifecycle.ServiceSubnet, KubernetesServiceHost: "172.18.0.2", KubernetesServicePort: 6443})
	if err != nil {
		return err
	}
	vc, err := vagrant.ParseConfig(func(k string) string {
		return map[string]string{"MODE": "vxlan", "IMAGES": "source", "WINDOWS_NODES": "1"}[k]
	})
	if err != nil {
		return err
	}
	vc.Name = "operator-check"
	if vc.Secrets, _, err = vagrant.NewSecrets(time.Now()); err != nil {
		return err
	}
	files, err := vagrant.Render(vc)
	if err != nil {
		return err
	}
	kp, err := lifecycle.WindowsKubeProxyDoc(v.Kubernetes)
	if err != nil {
		return err
	}
	c, err := klient.NewWithKubeConfigFile(kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := lifecycle.ValidateOperatorInstall(cctx, c.Resources(), v.Calico, map[string][]byte{
		"infra/calico Installation (Windows, VXLAN)":       inst,
		"infra/vagrant installation.yaml (1 Windows node)": files[vagrant.InstallationFile],
		"Windows kube-proxy DaemonSet (HostProcess)":       kp,
		"strict IPAM affinity (IPAMConfig default)":        lifecycle.StrictAffinityDoc,
	}, os.Stdout)
	if err != nil {
		return err
	}
	fmt.Printf("operator install of Calico v%s validated by the API server: %d CRDs created (then deleted), %d objects accepted in dry run (%.1fs)\n",
		v.Calico, res.CRDs, res.DryRun, time.Since(start).Seconds())
	return nil
}
