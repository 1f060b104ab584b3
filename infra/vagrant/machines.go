package vagrant

import (
	"fmt"
	"net/netip"
	"strings"
)

// Roles of the machines of a cluster.
const (
	RoleControlPlane = "control-plane"
	RoleLinuxWorker  = "linux-worker"
	RoleWindows      = "windows"
)

// Machine is one Vagrant machine of the cluster, which becomes one Kubernetes node of the same
// name.
type Machine struct {
	Name string // the Vagrant machine name, the hostname and the node name
	Role string
	Box  string
	IP   netip.Addr // on PRIVATE_NETWORK
	// MAC of the private NIC: 02:00 (locally administered) followed by the four bytes of IP,
	// so the scripts find the private NIC without guessing from interface order or names.
	MAC    string
	CPUs   int
	Memory int // MiB
}

// Windows reports whether the machine runs Windows.
func (m Machine) Windows() bool { return m.Role == RoleWindows }

// MACPlain is MAC without separators, upper case: the form VirtualBox and Hyper-V take.
func (m Machine) MACPlain() string { return strings.ToUpper(strings.ReplaceAll(m.MAC, ":", "")) }

// Machines lists the cluster's machines in the order Vagrant brings them up: the control plane,
// the Linux workers, then the Windows nodes.
func (c Config) Machines() []Machine {
	var ms []Machine
	add := func(name, role, box string, offset, cpus, mem int) {
		ip := hostAddr(c.PrivateNetwork, offset)
		b := ip.As4()
		ms = append(ms, Machine{Name: name, Role: role, Box: box, IP: ip, CPUs: cpus, Memory: mem,
			MAC: fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3])})
	}
	add("controlplane", RoleControlPlane, c.LinuxBox, controlPlaneOffset, 2, 4096)
	for i := range c.LinuxWorkers {
		add(fmt.Sprintf("linux-%d", i+1), RoleLinuxWorker, c.LinuxBox, linuxWorkerOffset+i, 2, 2048)
	}
	for i := range c.WindowsNodes {
		add(fmt.Sprintf("win-%d", i+1), RoleWindows, c.WindowsBox, windowsOffset+i, 2, 4096)
	}
	return ms
}

// ControlPlaneIP is the API server's address on the private network.
func (c Config) ControlPlaneIP() netip.Addr { return hostAddr(c.PrivateNetwork, controlPlaneOffset) }

// HostIP is the host's own address on the private network (the gateway of the host-only or
// isolated network, or the Hyper-V internal switch's host NIC).
func (c Config) HostIP() netip.Addr { return hostAddr(c.PrivateNetwork, hostOffset) }

// hostAddr is the offset-th address of p (p is at most a /24, so offsets below 256 fit).
func hostAddr(p netip.Prefix, offset int) netip.Addr {
	b := p.Masked().Addr().As4()
	b[3] += byte(offset)
	return netip.AddrFrom4(b)
}
