// Package registry reads WINDOWS_REGISTRY, the registry that holds the images Windows nodes run,
// with one rule for every part of the suite that uses it: `[http://|https://]host[:port][/path]`,
// https when no scheme is given.
//
// The value has two uses. Image names are built on ImagePrefix (host[:port][/path], never a
// scheme: an image reference has none), e.g. the Windows probe pods' agnhost and the Windows
// kube-proxy. PROVIDER=vagrant also makes the registry containerd's only source for the public
// registries on Windows nodes, and that needs the scheme: URL.
package registry

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Knob is the environment variable this package parses.
const Knob = "WINDOWS_REGISTRY"

// Registry is a parsed WINDOWS_REGISTRY. The zero value is "not set".
type Registry struct {
	Scheme string // "https" (the default) or "http"
	Host   string // host[:port]
	Path   string // repository path below the host, without leading or trailing '/'; may be empty
}

// Form is the accepted form, as error messages spell it.
const Form = "[http://|https://]host[:port][/path]"

var (
	// A lowercase DNS name or IPv4 address, as in an image reference (whose domain this is).
	hostName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// One path component of an image reference (the distribution reference grammar).
	pathComponent = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$`)
)

// Parse reads a WINDOWS_REGISTRY value. An empty value gives the zero Registry (not set). A bad
// value gives one line saying what is wrong and what would be right.
func Parse(s string) (Registry, error) {
	if s == "" {
		return Registry{}, nil
	}
	bad := func(why string) (Registry, error) {
		return Registry{}, fmt.Errorf("%s=%q is not a registry: %s; use %s (https unless http:// is given), e.g. registry.lan:5000/e2e or http://registry.lan:5000",
			Knob, s, why, Form)
	}
	r := Registry{Scheme: "https"}
	rest := s
	if i := strings.Index(rest, "://"); i >= 0 {
		switch rest[:i] {
		case "https", "http":
			r.Scheme = rest[:i]
		default:
			return bad(fmt.Sprintf("the scheme %q is neither http nor https", rest[:i]))
		}
		rest = rest[i+3:]
	}
	hostPort, path, hasPath := strings.Cut(rest, "/")
	host, port, hasPort := strings.Cut(hostPort, ":")
	if !hostName.MatchString(host) {
		return bad(fmt.Sprintf("%q is not a host name or IPv4 address in lowercase", host))
	}
	if hasPort {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port != strconv.Itoa(n) {
			return bad(fmt.Sprintf("the port %q is not a number from 1 to 65535", port))
		}
	}
	if hasPath {
		for _, c := range strings.Split(path, "/") {
			if !pathComponent.MatchString(c) {
				return bad(fmt.Sprintf("the path %q has a component %q that is not lowercase letters and digits joined by '.', '_' or '-'", path, c))
			}
		}
	}
	r.Host, r.Path = hostPort, path
	return r, nil
}

// IsZero says WINDOWS_REGISTRY is not set.
func (r Registry) IsZero() bool { return r.Host == "" }

// ImagePrefix is what image names are built on: host[:port][/path], e.g.
// registry.lan:5000/e2e for registry.lan:5000/e2e/agnhost:2.56-windows-amd64-ltsc2022.
func (r Registry) ImagePrefix() string {
	if r.Path == "" {
		return r.Host
	}
	return r.Host + "/" + r.Path
}

// Endpoint is the registry's server, scheme://host[:port], without the path.
func (r Registry) Endpoint() string {
	if r.IsZero() {
		return ""
	}
	return r.Scheme + "://" + r.Host
}

// URL is scheme://host[:port][/path].
func (r Registry) URL() string {
	if r.IsZero() || r.Path == "" {
		return r.Endpoint()
	}
	return r.Endpoint() + "/" + r.Path
}
