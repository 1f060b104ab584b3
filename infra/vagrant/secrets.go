package vagrant

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"regexp"
	"time"
)

// Secrets let every node join without anything flowing back from a VM to the host: the cluster
// CA is made here (CA) and kubeadm init uses it as it finds it in /etc/kubernetes/pki, so the
// discovery hash is known before any VM boots, and the bootstrap token is chosen here and
// written into kubeadm-init.yaml. Synced folders are not needed (a Windows guest on libvirt has
// none that works from a Linux host); the files travel with Vagrant's file provisioner.
type Secrets struct {
	// Token is the kubeadm bootstrap token, [a-z0-9]{6}.[a-z0-9]{16}.
	Token string
	// CACertHash is kubeadm's discovery hash of the CA: "sha256:" and the hex SHA-256 of the
	// CA certificate's SubjectPublicKeyInfo.
	CACertHash string
}

var (
	tokenRE = regexp.MustCompile(`^[a-z0-9]{6}\.[a-z0-9]{16}$`)
	hashRE  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

func (s Secrets) validate() error {
	if !tokenRE.MatchString(s.Token) {
		return fmt.Errorf("bootstrap token is missing or malformed: want [a-z0-9]{6}.[a-z0-9]{16} (NewSecrets makes one)")
	}
	if !hashRE.MatchString(s.CACertHash) {
		return fmt.Errorf("CA discovery hash %q is malformed: want sha256:<64 hex digits> (NewSecrets makes one)", s.CACertHash)
	}
	return nil
}

// CA is the cluster's certificate authority in PEM.
type CA struct {
	CertPEM, KeyPEM []byte
}

// Files of the CA in the project directory; the Vagrantfile uploads them to the control plane.
const (
	CACertFile = "ca.crt"
	CAKeyFile  = "ca.key"
)

// NewSecrets makes a cluster CA (ECDSA P-256, valid ten years from now) and a bootstrap token.
func NewSecrets(now time.Time) (Secrets, CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Secrets{}, CA{}, fmt.Errorf("generate the CA key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return Secrets{}, CA{}, fmt.Errorf("generate the CA serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "kubernetes"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return Secrets{}, CA{}, fmt.Errorf("sign the CA certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return Secrets{}, CA{}, fmt.Errorf("serialise the CA key: %w", err)
	}
	ca := CA{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
	hash, err := CACertHash(ca.CertPEM)
	if err != nil {
		return Secrets{}, CA{}, err
	}
	token, err := newToken()
	if err != nil {
		return Secrets{}, CA{}, err
	}
	return Secrets{Token: token, CACertHash: hash}, ca, nil
}

// CACertHash is kubeadm's --discovery-token-ca-cert-hash of a PEM CA certificate.
func CACertHash(certPEM []byte) (string, error) {
	b, _ := pem.Decode(certPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		return "", fmt.Errorf("CA certificate is not a PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return "", fmt.Errorf("parse the CA certificate: %w", err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func newToken() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 22)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("generate the bootstrap token: %w", err)
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b[:6]) + "." + string(b[6:]), nil
}
