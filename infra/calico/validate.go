package calico

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

// blockSize is the prefix length of the IPAM blocks Calico hands to nodes (its default); a pool
// must be at least one block.
const blockSize = 26

// validateCIDR checks that s is an IPv4 network address in CIDR form; what names the option and
// example is a valid value, both for the error.
func validateCIDR(what, s, example string) error {
	if s == "" {
		return fmt.Errorf("%s is empty: want an IPv4 CIDR such as %s", what, example)
	}
	ip, ipnet, err := net.ParseCIDR(s)
	if err != nil {
		return fmt.Errorf("%s %q is not a CIDR: want an IPv4 CIDR such as %s", what, s, example)
	}
	if ip.To4() == nil {
		return fmt.Errorf("%s %q is not IPv4: the suite configures IPv4 only; want e.g. %s", what, s, example)
	}
	if !ip.Equal(ipnet.IP) {
		return fmt.Errorf("%s %q has host bits set: use %s", what, s, ipnet)
	}
	return nil
}

// validatePodCIDR checks the pod CIDR the default IPv4 pool is created with.
func validatePodCIDR(s string) error {
	if err := validateCIDR("PodCIDR", s, "10.244.0.0/16"); err != nil {
		return err
	}
	_, ipnet, _ := net.ParseCIDR(s)
	if ones, _ := ipnet.Mask.Size(); ones > blockSize {
		return fmt.Errorf("PodCIDR %q is smaller than one Calico IPAM block (/%d): use a /%d or larger", s, blockSize, blockSize)
	}
	return nil
}

// validateInterface checks a node interface name. Calico splits an interface= list on commas,
// so a name cannot hold one.
func validateInterface(name string) error {
	if strings.ContainsAny(name, ",\n\r") || strings.TrimSpace(name) != name {
		return fmt.Errorf("NodeInterface %q is not an interface name: want e.g. eth0", name)
	}
	return nil
}

// interfaceRegex is the regular expression that matches exactly the interface name. Calico
// matches interface= regexes unanchored, so a bare "eth0" would also match "eth0.100" or
// "xeth0"; anchoring pins the node address to that one interface.
func interfaceRegex(name string) string { return "^" + regexp.QuoteMeta(name) + "$" }

// validateNetwork checks what the manifest and the Installation share: the mode, the pod CIDR
// and, when set, the node interface.
func validateNetwork(m Mode, podCIDR, iface string) error {
	if err := m.valid(); err != nil {
		return err
	}
	if err := validatePodCIDR(podCIDR); err != nil {
		return err
	}
	if iface != "" {
		return validateInterface(iface)
	}
	return nil
}
