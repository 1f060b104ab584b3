package registry

import (
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		in                      string
		want                    Registry
		prefix, endpoint, asURL string
	}{
		{"registry.lan:5000", Registry{"https", "registry.lan:5000", ""},
			"registry.lan:5000", "https://registry.lan:5000", "https://registry.lan:5000"},
		{"registry.lan:5000/e2e", Registry{"https", "registry.lan:5000", "e2e"},
			"registry.lan:5000/e2e", "https://registry.lan:5000", "https://registry.lan:5000/e2e"},
		{"http://registry.lan:5000", Registry{"http", "registry.lan:5000", ""},
			"registry.lan:5000", "http://registry.lan:5000", "http://registry.lan:5000"},
		{"https://registry.example.com/team/images", Registry{"https", "registry.example.com", "team/images"},
			"registry.example.com/team/images", "https://registry.example.com", "https://registry.example.com/team/images"},
		{"http://10.0.0.5:5000/e2e-test_images.v1", Registry{"http", "10.0.0.5:5000", "e2e-test_images.v1"},
			"10.0.0.5:5000/e2e-test_images.v1", "http://10.0.0.5:5000", "http://10.0.0.5:5000/e2e-test_images.v1"},
		{"registry.k8s.io/e2e-test-images", Registry{"https", "registry.k8s.io", "e2e-test-images"},
			"registry.k8s.io/e2e-test-images", "https://registry.k8s.io", "https://registry.k8s.io/e2e-test-images"},
		{"localhost", Registry{"https", "localhost", ""}, "localhost", "https://localhost", "https://localhost"},
		{"registry.lan/team__x/a--b", Registry{"https", "registry.lan", "team__x/a--b"},
			"registry.lan/team__x/a--b", "https://registry.lan", "https://registry.lan/team__x/a--b"},
	} {
		r, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if r != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, r, tc.want)
		}
		if got := r.ImagePrefix(); got != tc.prefix {
			t.Errorf("Parse(%q).ImagePrefix() = %q, want %q", tc.in, got, tc.prefix)
		}
		if strings.Contains(r.ImagePrefix(), "://") {
			t.Errorf("Parse(%q).ImagePrefix() = %q carries a scheme", tc.in, r.ImagePrefix())
		}
		if got := r.Endpoint(); got != tc.endpoint {
			t.Errorf("Parse(%q).Endpoint() = %q, want %q", tc.in, got, tc.endpoint)
		}
		if got := r.URL(); got != tc.asURL {
			t.Errorf("Parse(%q).URL() = %q, want %q", tc.in, got, tc.asURL)
		}
		// The image prefix is itself a valid value naming the same registry over https.
		if again, err := Parse(r.ImagePrefix()); err != nil || again.ImagePrefix() != r.ImagePrefix() {
			t.Errorf("Parse(%q) of the prefix of %q = %+v, %v", r.ImagePrefix(), tc.in, again, err)
		}
	}
}

func TestParseEmptyIsNotSet(t *testing.T) {
	r, err := Parse("")
	if err != nil || !r.IsZero() || r.ImagePrefix() != "" || r.URL() != "" || r.Endpoint() != "" {
		t.Errorf(`Parse("") = %+v (prefix %q, URL %q), %v; want the zero Registry`, r, r.ImagePrefix(), r.URL(), err)
	}
}

func TestParseRejects(t *testing.T) {
	for in, why := range map[string]string{
		"ftp://registry.lan":            `the scheme "ftp" is neither http nor https`,
		"HTTP://registry.lan":           `the scheme "HTTP" is neither http nor https`,
		"://registry.lan":               `the scheme "" is neither http nor https`,
		"http://":                       `"" is not a host name`,
		"Registry.Example.com":          `"Registry.Example.com" is not a host name or IPv4 address in lowercase`,
		"reg istry":                     `"reg istry" is not a host name`,
		"registry..lan":                 `"registry..lan" is not a host name`,
		"-registry.lan":                 `"-registry.lan" is not a host name`,
		"reg_istry.lan":                 `"reg_istry.lan" is not a host name`,
		"user@registry.lan":             `"user@registry.lan" is not a host name`,
		"[::1]:5000":                    `"[" is not a host name`,
		"/e2e":                          `"" is not a host name`,
		"registry.lan:":                 `the port "" is not a number from 1 to 65535`,
		"registry.lan:99999":            `the port "99999" is not a number from 1 to 65535`,
		"registry.lan:0":                `the port "0" is not a number from 1 to 65535`,
		"registry.lan:050":              `the port "050" is not a number from 1 to 65535`,
		"registry.lan:5000:6000":        `the port "5000:6000" is not a number`,
		"registry.lan/":                 `the path "" has a component ""`,
		"registry.lan:5000/e2e/":        `the path "e2e/" has a component ""`,
		"registry.lan//e2e":             `the path "/e2e" has a component ""`,
		"registry.lan/E2E":              `the path "E2E" has a component "E2E"`,
		"registry.lan/e2e/agnhost:2.56": `has a component "agnhost:2.56"`,
		"registry.lan/e2e?x=1":          `has a component "e2e?x=1"`,
		"registry.lan/-e2e":             `has a component "-e2e"`,
		"registry.lan/e2e..x":           `has a component "e2e..x"`,
	} {
		r, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, r)
			continue
		}
		msg := err.Error()
		for _, want := range []string{`WINDOWS_REGISTRY="` + strings.ReplaceAll(in, `"`, `\"`) + `" is not a registry: `, why,
			"use [http://|https://]host[:port][/path]", "e.g. registry.lan:5000/e2e"} {
			if !strings.Contains(msg, want) {
				t.Errorf("Parse(%q): %q lacks %q", in, msg, want)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("Parse(%q): error is not one line: %q", in, msg)
		}
	}
}
