package findings

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Section is the output of one command in a node's evidence file, with where it starts.
type Section struct {
	Name string
	// Header is the section's "### <name>: <command>" line, at line Start-1.
	Header string
	// Start is the 1-based line of the file where the output's first line is.
	Start int
	Lines []string
}

// Line returns the file line number of the section's i-th line.
func (s Section) Line(i int) int { return s.Start + i }

// NodeFile is one node's evidence file (node-<name>.txt): "### <name>: <command>" headers, each
// followed by that command's output.
type NodeFile struct {
	Node, File string
	Sections   map[string]Section
}

// ParseNodeFile splits a node evidence file into its sections.
func ParseNodeFile(node, file, text string) NodeFile {
	nf := NodeFile{Node: node, File: file, Sections: map[string]Section{}}
	var cur *Section
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "### ") {
			name, _, _ := strings.Cut(strings.TrimPrefix(l, "### "), ":")
			if cur != nil {
				nf.Sections[cur.Name] = *cur
			}
			cur = &Section{Name: strings.TrimSpace(name), Header: l, Start: i + 2}
			continue
		}
		if cur != nil {
			cur.Lines = append(cur.Lines, l)
		}
	}
	if cur != nil {
		nf.Sections[cur.Name] = *cur
	}
	return nf
}

// Cluster is the cluster-wide part of the evidence (cluster.json), written by the collector.
type Cluster struct {
	// Mode is the detected routing mode (vxlan, noencap, ipip).
	Mode string `json:"mode"`
	// Nodes maps node name to InternalIP.
	Nodes map[string]string `json:"nodes"`
	// Blocks maps each IPAM block (CIDR) to the node that owns it.
	Blocks map[string]string `json:"blocks"`
	// PoolCIDR is the IPv4 pool.
	PoolCIDR string `json:"poolCIDR"`
	// Pods are the kube-system pods that matter per node: calico-node, kube-proxy, coredns.
	Pods []Pod `json:"pods"`
	// DNSReadyEndpoints is the number of ready endpoints of the kube-dns Service.
	DNSReadyEndpoints int `json:"dnsReadyEndpoints"`
	// Policies are network policies that can apply to the fixture's pods.
	Policies []Policy `json:"policies"`
	// FixtureClusterIPs are the ClusterIPs of the fixture's Services.
	FixtureClusterIPs []string `json:"fixtureClusterIPs"`
	// Advertised are the default BGPConfiguration's Service ranges by field
	// (serviceClusterIPs, serviceExternalIPs, serviceLoadBalancerIPs); nil without one.
	Advertised map[string][]string `json:"advertised,omitempty"`
	// VIPs are the external and LoadBalancer IPs of the fixture namespace's Services.
	VIPs []VIP `json:"vips,omitempty"`
	// Peers are the Calico BGPPeers; MeshEnabled is the BGPConfiguration's node-to-node mesh
	// (nil when not set: Calico's default, on).
	Peers       []Peer `json:"peers,omitempty"`
	MeshEnabled *bool  `json:"meshEnabled,omitempty"`
	// WindowsNodes maps each Windows node to its build (node.kubernetes.io/windows-build): their
	// node files hold HNS/VFP evidence for the Windows rules, not the Linux sections.
	WindowsNodes map[string]string `json:"windowsNodes,omitempty"`
}

// WindowsFile is a Windows node's evidence file, kept whole for the Windows rules.
type WindowsFile struct {
	Node, File, Text string
}

// Peer is one Calico BGPPeer, the fields the rules read.
type Peer struct {
	Name                string `json:"name"`
	PeerIP              string `json:"peerIP,omitempty"`
	Node                string `json:"node,omitempty"`
	NodeSelector        string `json:"nodeSelector,omitempty"`
	ASNumber            int64  `json:"asNumber,omitempty"`
	KeepOriginalNextHop bool   `json:"keepOriginalNextHop"`
}

// VIP is one external or LoadBalancer IP of a Service.
type VIP struct {
	Service string `json:"service"` // namespace/name
	// Field is the BGPConfiguration field that must contain IP for Calico to advertise it:
	// serviceExternalIPs (spec.externalIPs) or serviceLoadBalancerIPs (status.loadBalancer).
	Field         string `json:"field"`
	IP            string `json:"ip"`
	TrafficPolicy string `json:"trafficPolicy,omitempty"`
}

// Pod is one system pod's state.
type Pod struct {
	Name, Namespace, Node, App string
	Ready                      bool
	// State is the waiting reason or the phase; Restarts the container restarts.
	State    string
	Restarts int32
}

// Policy is a NetworkPolicy (Kubernetes, in the fixture namespace) or a Calico
// (Global)NetworkPolicy.
type Policy struct {
	Kind, Namespace, Name string
	// Selector is the policy's pod selector as text.
	Selector string
	Types    []string
}

// Bundle is a spec's evidence directory, parsed.
type Bundle struct {
	Dir     string
	Cluster Cluster
	// Nodes are the Linux nodes' files; Windows the Windows nodes' (Cluster.WindowsNodes).
	Nodes   []NodeFile
	Windows []WindowsFile
}

// LoadBundle reads an evidence directory: cluster.json and every node-*.txt.
func LoadBundle(dir string) (Bundle, error) {
	b := Bundle{Dir: dir}
	raw, err := os.ReadFile(filepath.Join(dir, ClusterFile))
	if err != nil {
		return b, err
	}
	if err := json.Unmarshal(raw, &b.Cluster); err != nil {
		return b, err
	}
	files, _ := filepath.Glob(filepath.Join(dir, "node-*.txt"))
	sort.Strings(files)
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			return b, err
		}
		base := filepath.Base(f)
		node := strings.TrimSuffix(strings.TrimPrefix(base, "node-"), ".txt")
		if _, win := b.Cluster.WindowsNodes[node]; win {
			b.Windows = append(b.Windows, WindowsFile{Node: node, File: base, Text: string(text)})
			continue
		}
		b.Nodes = append(b.Nodes, ParseNodeFile(node, base, string(text)))
	}
	return b, nil
}

// ClusterFile is the name of the cluster-wide evidence file.
const ClusterFile = "cluster.json"
