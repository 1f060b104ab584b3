package lifecycle

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/klient/decoder"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"

	"sigs.k8s.io/yaml"

	"github.com/calico-conformance/e2e/infra/calico"
)

// OperatorCheck is what ValidateOperatorInstall found.
type OperatorCheck struct {
	CRDs, DryRun int
}

// StrictAffinityDoc is Calico's IPAM configuration with strict block affinity, which Calico
// for Windows requires (a Linux node must not borrow addresses from a Windows node's block):
// the crd.projectcalico.org/v1 IPAMConfig "default" (the v1 schema also requires
// autoAllocateBlocks, true being Calico's default).
var StrictAffinityDoc = []byte(`apiVersion: crd.projectcalico.org/v1
kind: IPAMConfig
metadata:
  name: default
spec:
  strictAffinity: true
  autoAllocateBlocks: true
`)

// WindowsKubeProxyDoc is the Windows kube-proxy DaemonSet as YAML, for ValidateOperatorInstall.
func WindowsKubeProxyDoc(kubernetesVersion string) ([]byte, error) {
	return yaml.Marshal(calico.WindowsKubeProxy(calico.WindowsKubeProxyImage("", kubernetesVersion)))
}

// ValidateOperatorInstall has a cluster's API server validate an operator install without
// running it (the operator cannot run here): the vendored operator manifest's CRDs and namespace
// are created for real, every other object of it and of each rendered Installation document is
// created with server-side dry run (schema, defaulting and admission, nothing persisted); what
// was created is deleted again. Each rejected object is named with the API server's message.
func ValidateOperatorInstall(ctx context.Context, r *resources.Resources, version string, installations map[string][]byte, log io.Writer) (OperatorCheck, error) {
	var res OperatorCheck
	op, err := calico.OperatorManifest(version)
	if err != nil {
		return res, err
	}
	var created []k8s.Object
	defer func() {
		for i := len(created) - 1; i >= 0; i-- {
			_ = r.Delete(context.WithoutCancel(ctx), created[i])
		}
	}()
	var later []k8s.Object
	err = decoder.DecodeEach(ctx, bytes.NewReader(op), func(ctx context.Context, obj k8s.Object) error {
		kind := obj.GetObjectKind().GroupVersionKind().Kind
		if kind != "CustomResourceDefinition" && kind != "Namespace" {
			later = append(later, obj)
			return nil
		}
		if err := r.Create(ctx, obj); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return nil // e.g. Calico's own CRDs of the manifest install: left as they are
			}
			return fmt.Errorf("create %s %s: %w", kind, obj.GetName(), err)
		}
		created = append(created, obj)
		if kind == "CustomResourceDefinition" {
			res.CRDs++
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("operator manifest: %w", err)
	}
	dryRun := func(what string, obj k8s.Object) error {
		err := r.Create(ctx, obj, func(o *metav1.CreateOptions) { o.DryRun = []string{metav1.DryRunAll} })
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%s: %s %s rejected: %w", what, obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
		return nil
	}
	for _, obj := range later {
		if err := dryRun("operator manifest", obj); err != nil {
			return res, err
		}
		res.DryRun++
	}
	for name, doc := range installations {
		// the CRDs just created need a moment to be served
		var last error
		n := 0
		apply := func(ctx context.Context) (bool, error) {
			n = 0
			last = decoder.DecodeEach(ctx, bytes.NewReader(doc), func(ctx context.Context, obj k8s.Object) error {
				n++
				return dryRun(name, obj)
			})
			return last == nil, nil
		}
		if err := wait.For(apply, wait.WithContext(ctx), wait.WithTimeout(30*time.Second), wait.WithInterval(time.Second)); err != nil {
			return res, fmt.Errorf("%v", last)
		}
		res.DryRun += n
		fmt.Fprintf(log, "%s: %d object(s) accepted by the API server\n", name, n)
	}
	return res, nil
}
