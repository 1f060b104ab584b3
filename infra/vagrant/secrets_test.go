package vagrant

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"testing"
	"time"
)

func TestNewSecrets(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, ca, err := NewSecrets(now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.validate(); err != nil {
		t.Errorf("secrets do not validate: %v", err)
	}
	b, _ := pem.Decode(ca.CertPEM)
	if b == nil {
		t.Fatalf("CA certificate is not PEM: %q", ca.CertPEM)
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.IsCA || cert.Subject.CommonName != "kubernetes" || !cert.NotAfter.Equal(now.AddDate(10, 0, 0)) {
		t.Errorf("CA: IsCA %v, CN %q, NotAfter %s", cert.IsCA, cert.Subject.CommonName, cert.NotAfter)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Errorf("CA is not self-signed: %v", err)
	}
	k, _ := pem.Decode(ca.KeyPEM)
	if k == nil || k.Type != "EC PRIVATE KEY" {
		t.Fatalf("CA key is not an EC PEM key")
	}
	key, err := x509.ParseECPrivateKey(k.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		t.Errorf("CA key does not match the certificate")
	}
	hash, err := CACertHash(ca.CertPEM)
	if err != nil || hash != s.CACertHash {
		t.Errorf("CACertHash = %q, %v; Secrets has %q", hash, err, s.CACertHash)
	}
	s2, _, err := NewSecrets(now)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Token == s.Token || s2.CACertHash == s.CACertHash {
		t.Errorf("two calls made the same token or CA")
	}
	if _, err := CACertHash([]byte("not pem")); err == nil {
		t.Errorf("CACertHash accepts a non-PEM certificate")
	}
}

// TestCACertHashKnown pins the hash to kubeadm's definition (SHA-256 of the
// SubjectPublicKeyInfo) on a certificate whose SPKI hash is computed independently here.
func TestCACertHashKnown(t *testing.T) {
	_, ca, err := NewSecrets(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(ca.CertPEM)
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(cert.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	want := "sha256:" + sha256Hex(spki)
	got, err := CACertHash(ca.CertPEM)
	if err != nil || got != want {
		t.Errorf("CACertHash = %q, %v; want %q", got, err, want)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
