package framework

import (
	"fmt"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2"

	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/e2e/probe"
)

// Probes are the concrete checks of a cell on this topology: from every node of the source OS
// to every node of the destination OS that the placement selects.
func (t Topology) Probes(c matrix.Cell, cfg Config) []probe.Probe {
	var out []probe.Probe
	for _, src := range t.Sites {
		if src.Node.OS != c.Src {
			continue
		}
		if c.Scenario == matrix.DNS {
			out = append(out, t.dnsProbe(c, src, cfg))
			continue
		}
		for _, dst := range t.Sites {
			if dst.Node.OS != c.Dst || (c.Placement == matrix.SameNode) != (src.Node.Name == dst.Node.Name) {
				continue
			}
			p := probe.Probe{Cell: c, Kind: probe.Dial, Src: src.Client, Proto: c.Proto, Want: dst.Server.Pod,
				DstNode: dst.Node.Name, Timeout: cfg.ProbeTimeout}
			port := HTTPPort
			if c.Proto == matrix.UDP {
				port = UDPPort
			}
			switch c.Scenario {
			case matrix.PodToPod:
				p.Host, p.Port = dst.Server.IP, port
				p.DstDesc = fmt.Sprintf("pod %s on %s", dst.Server.Pod, dst.Node.Name)
			case matrix.PodToClusterIP:
				p.Host, p.Port = dst.ClusterIP, port
				p.DstDesc = fmt.Sprintf("ClusterIP of %s (backend %s on %s)", dst.Service, dst.Server.Pod, dst.Node.Name)
			case matrix.PodToNodePort:
				p.Host, p.Port = dst.Node.IP, dst.NodePort
				if c.Proto == matrix.UDP {
					p.Port = dst.UDPNodePrt
				}
				p.DstDesc = fmt.Sprintf("NodePort of %s on node %s (backend %s)", dst.Service, dst.Node.Name, dst.Server.Pod)
			case matrix.HostToPod:
				if src.Host == nil {
					continue
				}
				p.Src = *src.Host
				p.Host, p.Port = dst.Server.IP, port
				p.DstDesc = fmt.Sprintf("pod %s on %s", dst.Server.Pod, dst.Node.Name)
			case matrix.MTU:
				p.Kind, p.Proto, p.Want = probe.Payload, matrix.TCP, probe.PayloadWant()
				p.Host, p.Port = dst.Server.IP, HTTPPort
				p.DstDesc = fmt.Sprintf("pod %s on %s, %d-byte echo", dst.Server.Pod, dst.Node.Name, probe.PayloadBytes)
				if src.Node.OS == matrix.Linux {
					df := p
					df.Kind, df.Want, df.Port = probe.DontFragment, probe.DontFragmentWant, 0
					df.DstDesc = fmt.Sprintf("pod %s on %s, one full-size packet with don't-fragment set", dst.Server.Pod, dst.Node.Name)
					out = append(out, df)
				}
			}
			out = append(out, p)
		}
	}
	return out
}

func (t Topology) dnsProbe(c matrix.Cell, src Site, cfg Config) probe.Probe {
	first := t.Sites[0]
	p := probe.Probe{Cell: c, Kind: probe.Lookup, Src: src.Client, Proto: matrix.DNSUDP, Timeout: cfg.ProbeTimeout}
	svcDomain := "svc." + cfg.ClusterDomain
	switch c.Variant {
	case matrix.DNSFQDN:
		p.Host = fmt.Sprintf("%s.%s.%s.", first.Service, t.Namespace, svcDomain)
		p.Want, p.DstDesc = first.ClusterIP, "Service FQDN -> its ClusterIP"
	case matrix.DNSShortName:
		p.Host = first.Service
		p.Want, p.DstDesc = first.ClusterIP, "short Service name through the search path"
	case matrix.DNSHeadless:
		p.Host = fmt.Sprintf("%s.%s.%s.", headless, t.Namespace, svcDomain)
		var ips []string
		for _, s := range t.Sites {
			ips = append(ips, s.Server.IP)
		}
		sort.Strings(ips)
		p.Want, p.DstDesc = strings.Join(ips, ","), "headless Service -> every backend pod"
	case matrix.DNSKubernetesDefault:
		p.Host = "kubernetes.default"
		p.Want, p.DstDesc = t.KubernetesIP, "kubernetes.default through the search path"
	}
	return p
}

// Entries are the table entries of a scenario's cells, named by name(cell) and labelled with
// the cell's labels: what the spec packages register.
func Entries(s matrix.Scenario, name func(matrix.Cell) string) []ginkgo.TableEntry {
	var out []ginkgo.TableEntry
	for _, c := range matrix.ForScenario(s) {
		out = append(out, ginkgo.Entry(name(c), c.Labels(), c))
	}
	return out
}
