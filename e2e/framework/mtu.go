package framework

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/calico-conformance/e2e/e2e/matrix"
)

// Encapsulation overhead per mode, IPv4: the outer IPv4 header, plus UDP and the VXLAN header
// for VXLAN. Calico's own MTU auto-detection subtracts the same amounts.
var encapOverhead = map[string]int{"vxlan": 50, "ipip": 20, "noencap": 0}

// mtuBudgetProblems checks the MTU itself, as a full-size echo cannot (the kernel fragments the
// outer packets of a tunnel whose MTU is too large, and the echo still arrives): on every Linux
// node of the cell, the pod's MTU plus the mode's encapsulation overhead must fit the MTU of the
// node's interface towards the other nodes. Each problem names the node, the three numbers and
// the setting that fixes it.
func mtuBudgetProblems(ctx context.Context, s *Suite, c matrix.Cell) []string {
	mode := string(s.Topology.Facts.Mode)
	overhead, ok := encapOverhead[mode]
	if !ok {
		return nil
	}
	var sites []Site
	for _, site := range s.Topology.Sites {
		if site.Node.OS == matrix.Linux && (site.Node.OS == c.Src || site.Node.OS == c.Dst) {
			sites = append(sites, site)
		}
	}
	if len(sites) < 2 {
		return nil
	}
	problems := make([]string, len(sites))
	var wg sync.WaitGroup
	for i, site := range sites {
		peer := sites[(i+1)%len(sites)].Node.IP
		wg.Add(1)
		go func() {
			defer wg.Done()
			problems[i] = mtuBudget(ctx, s, site, peer, mode, overhead)
		}()
	}
	wg.Wait()
	var out []string
	for _, p := range problems {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func mtuBudget(ctx context.Context, s *Suite, site Site, peer, mode string, overhead int) string {
	podOut, _, err := s.exec(ctx, site.Client.Namespace, site.Client.Pod, site.Client.Container, []string{"cat", "/sys/class/net/eth0/mtu"})
	if err != nil {
		return fmt.Sprintf("node %s: read the MTU of pod %s: %v", site.Node.Name, site.Client.Pod, err)
	}
	nodeOut, err := s.nodeShell(ctx, site.Node.Name, fmt.Sprintf(`dev=$(ip -o route get %s | sed -n 's/.* dev \([^ ]*\).*/\1/p'); echo "$dev $(cat /sys/class/net/$dev/mtu)"`, peer))
	if err != nil {
		return fmt.Sprintf("node %s: read the underlay MTU: %v", site.Node.Name, err)
	}
	pod, err1 := strconv.Atoi(strings.TrimSpace(podOut))
	f := strings.Fields(nodeOut)
	if err1 != nil || len(f) != 2 {
		return fmt.Sprintf("node %s: unreadable MTUs: pod %q, node %q", site.Node.Name, strings.TrimSpace(podOut), strings.TrimSpace(nodeOut))
	}
	dev := f[0]
	under, err := strconv.Atoi(f[1])
	if err != nil {
		return fmt.Sprintf("node %s: unreadable MTU of %s: %q", site.Node.Name, dev, f[1])
	}
	if pod+overhead <= under {
		return ""
	}
	fix := fmt.Sprintf("set Calico's MTU to %d or less", under-overhead)
	switch mode {
	case "vxlan":
		fix = fmt.Sprintf("set FelixConfiguration default spec.vxlanMTU (or the calico-config veth_mtu) to %d or less, then recreate the pods", under-overhead)
	case "ipip":
		fix = fmt.Sprintf("set FelixConfiguration default spec.ipipMTU (or the calico-config veth_mtu) to %d or less, then recreate the pods", under-overhead)
	}
	return fmt.Sprintf("node %s: pod %s has MTU %d, plus %d bytes of %s encapsulation is %d, over the MTU %d of %s towards the other nodes: full-size packets are fragmented (or dropped where fragments are) on the way; %s",
		site.Node.Name, site.Client.Pod, pod, overhead, mode, pod+overhead, under, dev, fix)
}
