// Package images is the suite's image supply: the names of every image a run needs, where they
// come from (IMAGES=release: published images; IMAGES=source: built here from Debian packages and
// Go modules), and the cached build plan of the source images.
package images

import (
	"fmt"
	"strings"

	"github.com/calico-conformance/e2e/infra/versions"
)

// Source says where images come from.
type Source string

const (
	// Release uses the published images (kind's node image, Calico and agnhost release images).
	Release Source = "release"
	// FromSource builds every image locally and never contacts a registry.
	FromSource Source = "source"
)

// ParseSource validates an IMAGES value.
func ParseSource(s string) (Source, error) {
	switch Source(s) {
	case Release, FromSource:
		return Source(s), nil
	case "":
		return "", fmt.Errorf("IMAGES is empty: valid values are source, release")
	}
	return "", fmt.Errorf("unknown IMAGES %q: valid values are source, release", s)
}

// Names are the images a run uses for one version set and source.
type Names struct {
	Source Source
	// Node is the plain kind node image (control-plane images preloaded).
	Node string
	// PreloadedNode is Node with the Calico and probe images also in containerd.
	PreloadedNode string
	// KindBase and DebianBase are intermediate images of the source build.
	KindBase, DebianBase string
	// Calico are the Calico images, in the order of CalicoComponents.
	Calico  []string
	Agnhost string
	// Nettools is the external BGP router and diagnostics image (Debian BIRD, tcpdump).
	Nettools string
	// ControlPlane are the images kubeadm needs, preloaded in Node.
	ControlPlane []string
	// CalicoTag is the tag of the Calico images: v<calico> built from the pinned module (or
	// published), v<calico>-src-<id> built from a checkout.
	CalicoTag string
	// CalicoSrc is the checkout the Calico images are built from (CALICO_SRC); nil: the
	// pinned module.
	CalicoSrc *CalicoSource
}

// NamesFor returns the image names for a version set.
func NamesFor(v versions.Set, src Source) Names { return namesFor(v, src, nil) }

// CalicoSourceNames are the names of an IMAGES=source build whose Calico images are built from
// the checkout cs: the Calico images and the node image that preloads them carry the tag
// v<calico>-src-<cs.ID()>, so they never replace, or pass for, the pinned ones.
func CalicoSourceNames(v versions.Set, cs CalicoSource) Names { return namesFor(v, FromSource, &cs) }

// PinnedCalico is the image of a Calico component as the release manifests of version name it.
func PinnedCalico(component, version string) string {
	return "docker.io/calico/" + component + ":v" + strings.TrimPrefix(version, "v")
}

func namesFor(v versions.Set, src Source, cs *CalicoSource) Names {
	tag := "v" + v.Calico
	if cs != nil {
		tag += "-src-" + cs.ID()
	}
	n := Names{
		Source:     src,
		CalicoTag:  tag,
		CalicoSrc:  cs,
		Agnhost:    "registry.k8s.io/e2e-test-images/agnhost:" + v.Agnhost,
		Nettools:   "e2e.local/nettools:bird-" + v.Bird,
		DebianBase: "e2e.local/debian-base:" + v.Debian,
		ControlPlane: []string{
			"registry.k8s.io/kube-apiserver:v" + v.Kubernetes,
			"registry.k8s.io/kube-controller-manager:v" + v.Kubernetes,
			"registry.k8s.io/kube-scheduler:v" + v.Kubernetes,
			"registry.k8s.io/kube-proxy:v" + v.Kubernetes,
			"registry.k8s.io/etcd:" + v.Etcd + "-0",
			"registry.k8s.io/coredns/coredns:v" + v.CoreDNS,
			"registry.k8s.io/pause:" + v.Pause,
		},
	}
	for _, c := range CalicoComponents {
		n.Calico = append(n.Calico, "docker.io/calico/"+c+":"+tag)
	}
	suffix := fmt.Sprintf("-calico-%s-agnhost-%s", tag, v.Agnhost)
	if src == FromSource {
		n.KindBase = fmt.Sprintf("e2e.local/kind-base:%s-kind-v%s", v.Debian, v.Kind)
		n.Node = "e2e.local/kind-node:v" + v.Kubernetes
		n.PreloadedNode = n.Node + suffix
	} else {
		n.Node = "kindest/node:v" + v.Kubernetes
		n.PreloadedNode = "e2e.local/kindest-node:v" + v.Kubernetes + suffix
	}
	return n
}

// Workload are the images pods of a run use (what a node without preloading must be given):
// Calico, the agnhost probes, and nettools for packet captures.
func (n Names) Workload() []string {
	return append(append([]string{}, n.Calico...), n.Agnhost, n.Nettools)
}

// CalicoOut is where, below the build cache, the Calico steps write their outputs (binaries,
// confd templates, node files): the cache itself for the pinned module, calico-src for a
// checkout, so a checkout's build never overwrites the pinned one's.
func (n Names) CalicoOut() string {
	if n.CalicoSrc != nil {
		return "calico-src"
	}
	return ""
}

// Env are the image names as the build steps read them, and the Calico checkout (CALICO_SRC,
// empty for the pinned module: a CALICO_SRC in the caller's environment never reaches a
// pinned build).
func (n Names) Env() []string {
	src := ""
	if n.CalicoSrc != nil {
		src = n.CalicoSrc.Dir
	}
	return []string{
		"DEBIAN_BASE_IMAGE=" + n.DebianBase,
		"KIND_BASE_IMAGE=" + n.KindBase,
		"NODE_IMAGE=" + n.Node,
		"PRELOADED_NODE_IMAGE=" + n.PreloadedNode,
		"AGNHOST_IMAGE=" + n.Agnhost,
		"NETTOOLS_IMAGE=" + n.Nettools,
		"CALICO_TAG=" + n.CalicoTag,
		"CALICO_NODE_IMAGE=" + n.Calico[0],
		"CALICO_CNI_IMAGE=" + n.Calico[1],
		"CALICO_KUBE_CONTROLLERS_IMAGE=" + n.Calico[2],
		"CALICO_SRC=" + src,
		"CALICO_OUT=" + n.CalicoOut(),
	}
}

// Published are the images IMAGES=release fetches: kind's node image, Calico and agnhost.
func (n Names) Published() []string {
	return append(append([]string{n.Node}, n.Calico...), n.Agnhost)
}
