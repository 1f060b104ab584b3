// Package calico renders the suite's Calico installation for one routing mode.
//
// A Mode names how pod traffic crosses nodes (VXLAN, routed without encapsulation over BGP,
// or IP-in-IP over BGP). RenderManifest turns the Calico release manifest embedded in package
// manifests into the manifest for a mode: the default IPv4 pool's CIDR and encapsulation, the
// networking backend, a pinned node-address interface and an image pull policy that never pulls.
// RenderInstallation produces the equivalent operator.tigera.io/v1 Installation for clusters
// installed with the Tigera operator (the Windows path).
package calico

import (
	"fmt"
	"strings"
)

// Mode is a Calico routing mode: the default IPv4 pool's encapsulation and the networking
// backend that goes with it.
type Mode string

const (
	// ModeVXLAN encapsulates all pod traffic in VXLAN; no BGP (backend "vxlan").
	ModeVXLAN Mode = "vxlan"
	// ModeNoEncap routes pod traffic unencapsulated; routes are exchanged over BGP (BIRD).
	ModeNoEncap Mode = "noencap"
	// ModeIPIP encapsulates all pod traffic in IP-in-IP; routes are exchanged over BGP (BIRD).
	ModeIPIP Mode = "ipip"
)

// IPPool encapsulation modes, as CALICO_IPV4POOL_IPIP / CALICO_IPV4POOL_VXLAN take them.
const (
	poolAlways = "Always"
	poolNever  = "Never"
)

// Modes returns every mode, in the order the suite runs them.
func Modes() []Mode { return []Mode{ModeVXLAN, ModeNoEncap, ModeIPIP} }

// ParseMode reads a MODE value. The error is one line that lists the valid values.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes() {
		if string(m) == s {
			return m, nil
		}
	}
	if s == "" {
		return "", fmt.Errorf("MODE is empty: valid values are %s", validModes())
	}
	return "", fmt.Errorf("unknown MODE %q: valid values are %s", s, validModes())
}

func validModes() string {
	names := make([]string, 0, len(Modes()))
	for _, m := range Modes() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

// valid returns ParseMode's error for a Mode that is not one of Modes.
func (m Mode) valid() error {
	_, err := ParseMode(string(m))
	return err
}

// Backend is the calico_backend value of the calico-config ConfigMap: "vxlan" for ModeVXLAN,
// "bird" otherwise.
func (m Mode) Backend() string {
	if m == ModeVXLAN {
		return "vxlan"
	}
	return "bird"
}

// PoolIPIP is the default IPv4 pool's ipipMode: "Always" for ModeIPIP, "Never" otherwise.
func (m Mode) PoolIPIP() string {
	if m == ModeIPIP {
		return poolAlways
	}
	return poolNever
}

// PoolVXLAN is the default IPv4 pool's vxlanMode: "Always" for ModeVXLAN, "Never" otherwise.
func (m Mode) PoolVXLAN() string {
	if m == ModeVXLAN {
		return poolAlways
	}
	return poolNever
}

// UsesBGP reports whether nodes exchange pod routes over BGP (ModeNoEncap and ModeIPIP).
func (m Mode) UsesBGP() bool { return m == ModeNoEncap || m == ModeIPIP }

// encapsulation is the operator IPPool encapsulation for the mode.
func (m Mode) encapsulation() string {
	switch m {
	case ModeVXLAN:
		return "VXLAN"
	case ModeIPIP:
		return "IPIP"
	default:
		return "None"
	}
}

// WindowsDataplane is the operator's windowsDataplane for a mode: HNS, except for IPIP, which
// Calico for Windows does not support ("Disabled": Windows nodes then get no pod network).
func WindowsDataplane(m Mode) string {
	if m == ModeIPIP {
		return "Disabled"
	}
	return "HNS"
}

// WindowsPodNetwork reports whether Windows nodes get pod networking in mode m, and why not.
func WindowsPodNetwork(m Mode) (bool, string) {
	if m == ModeIPIP {
		return false, "Calico for Windows does not support IPIP: a cluster in IPIP mode has no Windows pod networking"
	}
	return true, ""
}
