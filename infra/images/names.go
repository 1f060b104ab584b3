// Package images is the suite's image supply: the names of every image a run needs, where they
// come from (IMAGES=release: published images; IMAGES=source: built here from Debian packages and
// Go modules), and the cached build plan of the source images.
package images

import (
	"fmt"

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
	Calico               []string
	Agnhost              string
	// Nettools is the external BGP router and diagnostics image (Debian BIRD, tcpdump).
	Nettools string
	// ControlPlane are the images kubeadm needs, preloaded in Node.
	ControlPlane []string
}

// NamesFor returns the image names for a version set.
func NamesFor(v versions.Set, src Source) Names {
	n := Names{
		Source: src,
		Calico: []string{
			"docker.io/calico/node:v" + v.Calico,
			"docker.io/calico/cni:v" + v.Calico,
			"docker.io/calico/kube-controllers:v" + v.Calico,
		},
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
	suffix := fmt.Sprintf("-calico-v%s-agnhost-%s", v.Calico, v.Agnhost)
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

// Env are the image names as the build steps read them.
func (n Names) Env() []string {
	return []string{
		"DEBIAN_BASE_IMAGE=" + n.DebianBase,
		"KIND_BASE_IMAGE=" + n.KindBase,
		"NODE_IMAGE=" + n.Node,
		"PRELOADED_NODE_IMAGE=" + n.PreloadedNode,
		"AGNHOST_IMAGE=" + n.Agnhost,
		"NETTOOLS_IMAGE=" + n.Nettools,
	}
}

// Published are the images IMAGES=release fetches: kind's node image, Calico and agnhost.
func (n Names) Published() []string {
	return append(append([]string{n.Node}, n.Calico...), n.Agnhost)
}
