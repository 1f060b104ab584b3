package framework

import (
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

func TestRedact(t *testing.T) {
	in := strings.Join([]string{
		"    client-key-data: LS0tLS1CRUdJTi...",
		`password: "s3cret"`,
		"BGP_PASSWORD=hunter2",
		"token=abc.def",
		`"Authorization": "Bearer eyJhbGciOi"`,
		"name: legacy-service-account-token-cleaner",
		"route 192.168.5.128/26 via 172.18.0.4",
	}, "\n")
	out := Redact(in)
	for _, secret := range []string{"LS0tLS1CRUdJTi", "s3cret", "hunter2", "abc.def", "eyJhbGciOi"} {
		if strings.Contains(out, secret) {
			t.Errorf("Redact left %q in:\n%s", secret, out)
		}
	}
	for _, keep := range []string{"legacy-service-account-token-cleaner", "route 192.168.5.128/26 via 172.18.0.4"} {
		if !strings.Contains(out, keep) {
			t.Errorf("Redact removed %q:\n%s", keep, out)
		}
	}
}

func TestEvidenceDirIsOnePathElementPerSpec(t *testing.T) {
	r := types.SpecReport{ContainerHierarchyTexts: []string{"Pod-to-pod connectivity", "reaches the destination pod"},
		LeafNodeText: "udp: linux -> linux (other node)"}
	got := EvidenceDir("/a", r)
	if got != "/a/evidence/Pod-to-pod_connectivity_reaches_the_destination_pod_udp_linux_-_linux_other_node" {
		t.Errorf("EvidenceDir = %q", got)
	}
}

func TestCapSize(t *testing.T) {
	small := "route 192.168.5.128/26 via 172.18.0.4\n"
	if capSize(small) != small {
		t.Error("a small file must be kept whole")
	}
	big := strings.Repeat("x", MaxEvidenceFile+1000)
	out := capSize(big)
	if len(out) > MaxEvidenceFile+200 || !strings.Contains(out, "[truncated: 1000 more bytes") {
		t.Errorf("capped to %d bytes, tail %q", len(out), out[len(out)-80:])
	}
}
