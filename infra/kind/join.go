package kind

import (
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	bootstrapapi "k8s.io/cluster-bootstrap/token/api"
	"k8s.io/cluster-bootstrap/token/jws"
)

// Why the workers' join waited (measured on kind, 1.34): kubeadm join's discovery reads the
// kube-public/cluster-info ConfigMap and trusts it only when it carries a JWS signature made with
// the join token. kube-controller-manager's bootstrap signer adds that signature, but only once
// its controllers have started and their caches synced, 6–8 s after kubeadm init returned; a
// join that finds no signature retries after 5 s. The joins started 2 s after init and the
// kubelets of the workers started 10 s after that.

// signForJoins signs the cluster-info ConfigMap of the named cluster (through its admin
// kubeconfig, read with kubeconfig) for every bootstrap token meant for signing, as soon as
// kubeadm init has written both, and returns when that is done or ctx ends. This is what the
// bootstrap signer does (the same detached JWS over the same content); the signer finds the
// signature in place and leaves it. It writes one line to log when it signed first.
func signForJoins(ctx context.Context, kubeconfig func() ([]byte, error), log io.Writer, start time.Time) {
	var cs kubernetes.Interface
	tick := time.NewTicker(250 * time.Millisecond) // the API once known; the node (3 docker calls) every 2nd tick
	polls := 0
	defer tick.Stop()
	for {
		if polls++; cs == nil && polls%2 == 1 {
			if b, err := kubeconfig(); err == nil {
				if cfg, err := clientcmd.RESTConfigFromKubeConfig(b); err == nil {
					cs, _ = kubernetes.NewForConfig(cfg)
				}
			}
		}
		if cs != nil {
			signed, done := signClusterInfo(ctx, cs)
			if signed > 0 {
				fmt.Fprintf(log, "cluster-info signed for the workers' join after %.1fs (kube-controller-manager's bootstrap signer had not yet)\n", time.Since(start).Seconds())
			}
			if done {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// signClusterInfo adds the missing signatures of cluster-info; done is false while kubeadm has
// not written the ConfigMap or a signing token yet (or the update met a concurrent one).
func signClusterInfo(ctx context.Context, cs kubernetes.Interface) (signed int, done bool) {
	cm, err := cs.CoreV1().ConfigMaps(metav1.NamespacePublic).Get(ctx, bootstrapapi.ConfigMapClusterInfo, metav1.GetOptions{})
	if err != nil {
		return 0, false
	}
	content, ok := cm.Data[bootstrapapi.KubeConfigKey]
	if !ok {
		return 0, false
	}
	secrets, err := cs.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{FieldSelector: "type=" + string(bootstrapapi.SecretTypeBootstrapToken)})
	if err != nil {
		return 0, false
	}
	signatures, err := missingSignatures(content, cm.Data, secrets.Items)
	if err != nil || len(secrets.Items) == 0 {
		return 0, false
	}
	if len(signatures) == 0 {
		return 0, true
	}
	for k, v := range signatures {
		cm.Data[k] = v
	}
	if _, err := cs.CoreV1().ConfigMaps(metav1.NamespacePublic).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsConflict(err) {
			return 0, false
		}
		return 0, true // e.g. not allowed: the bootstrap signer will do it
	}
	return len(signatures), true
}

// missingSignatures returns the cluster-info keys (jws-kubeconfig-<token id>) and detached JWS
// signatures of content that data lacks, one per bootstrap token Secret marked for signing.
func missingSignatures(content string, data map[string]string, tokens []corev1.Secret) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range tokens {
		if s.Type != bootstrapapi.SecretTypeBootstrapToken || string(s.Data[bootstrapapi.BootstrapTokenUsageSigningKey]) != "true" {
			continue
		}
		id, secret := string(s.Data[bootstrapapi.BootstrapTokenIDKey]), string(s.Data[bootstrapapi.BootstrapTokenSecretKey])
		sig, err := jws.ComputeDetachedSignature(content, id, secret)
		if err != nil {
			return nil, fmt.Errorf("sign cluster-info with token %s: %w", id, err)
		}
		if key := bootstrapapi.JWSSignatureKeyPrefix + id; data[key] != sig {
			out[key] = sig
		}
	}
	return out, nil
}
