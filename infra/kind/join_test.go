package kind

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	bootstrapapi "k8s.io/cluster-bootstrap/token/api"
	"k8s.io/cluster-bootstrap/token/jws"
)

func TestMissingSignatures(t *testing.T) {
	token := func(id, secret, signing string) corev1.Secret {
		return corev1.Secret{Type: bootstrapapi.SecretTypeBootstrapToken, Data: map[string][]byte{
			bootstrapapi.BootstrapTokenIDKey: []byte(id), bootstrapapi.BootstrapTokenSecretKey: []byte(secret),
			bootstrapapi.BootstrapTokenUsageSigningKey: []byte(signing)}}
	}
	content := "apiVersion: v1\nclusters:\n- cluster:\n    server: https://e2e-control-plane:6443\n"
	tokens := []corev1.Secret{token("abcdef", "0123456789abcdef", "true"), token("zzzzzz", "0123456789abcdef", "false")}

	got, err := missingSignatures(content, map[string]string{bootstrapapi.KubeConfigKey: content}, tokens)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("want one signature (the token not meant for signing is skipped), got %v", got)
	}
	sig := got["jws-kubeconfig-abcdef"]
	// kubeadm join's check of what it reads
	if !jws.DetachedTokenIsValid(sig, content, "abcdef", "0123456789abcdef") {
		t.Errorf("signature %q does not verify for kubeadm join", sig)
	}
	if jws.DetachedTokenIsValid(sig, content+"changed", "abcdef", "0123456789abcdef") {
		t.Errorf("signature %q verifies other content", sig)
	}

	// signed already (by the bootstrap signer or by us): nothing to add
	again, err := missingSignatures(content, map[string]string{"jws-kubeconfig-abcdef": sig}, tokens)
	if err != nil || len(again) != 0 {
		t.Errorf("signed content: got %v, %v; want nothing", again, err)
	}
	// a stale signature (the content changed) is replaced
	stale, _ := missingSignatures(content+"x", map[string]string{"jws-kubeconfig-abcdef": sig}, tokens)
	if len(stale) != 1 || stale["jws-kubeconfig-abcdef"] == sig {
		t.Errorf("stale signature: got %v", stale)
	}
}
