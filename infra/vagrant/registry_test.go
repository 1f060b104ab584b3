package vagrant

import (
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/calico-conformance/e2e/infra/registry"
)

// hostsFile is what containerd reads from one rendered hosts.toml: the server and the one
// [host] table, each with its override_path.
type hostsFile struct {
	server, host                 string
	serverOverride, hostOverride bool
}

// readHostsTOML reads the lines hostsTOML writes (the shape the template passes to Set-Content).
func readHostsTOML(t *testing.T, lines []string) hostsFile {
	t.Helper()
	var f hostsFile
	inHost := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, `server = "`):
			f.server = strings.TrimSuffix(strings.TrimPrefix(l, `server = "`), `"`)
		case strings.HasPrefix(l, `[host."`):
			f.host, inHost = strings.TrimSuffix(strings.TrimPrefix(l, `[host."`), `"]`), true
		case strings.TrimSpace(l) == "override_path = true":
			if inHost {
				f.hostOverride = true
			} else {
				f.serverOverride = true
			}
		case strings.TrimSpace(l) == "" || strings.TrimSpace(l) == `capabilities = ["pull", "resolve"]`:
		default:
			t.Fatalf("unexpected hosts.toml line %q in %q", l, lines)
		}
	}
	if f.server == "" || f.host == "" {
		t.Fatalf("hosts.toml %q lacks the server or the [host] table", lines)
	}
	return f
}

// containerdManifestURL is where containerd 1.7 fetches repo:tag from a hosts.toml endpoint: its
// parseHostConfig (remotes/docker/config/hosts.go) cleans the URL's path and appends /v2 unless
// the path ends in /v2 or override_path is set; the resolver then appends the repository.
func containerdManifestURL(t *testing.T, endpoint string, overridePath bool, repo, tag string) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("hosts.toml endpoint %q: %v", endpoint, err)
	}
	p := u.Path
	if p != "" {
		p = path.Clean(p)
		if !strings.HasSuffix(p, "/v2") && !overridePath {
			p += "/v2"
		}
	} else if !overridePath {
		p = "/v2"
	}
	return u.Scheme + "://" + u.Host + p + "/" + repo + "/manifests/" + tag
}

// distributionManifestURL is where the distribution spec puts the manifest of image:tag (image
// without its tag, e.g. registry.lan:5000/e2e/pause) on a registry spoken to over scheme.
func distributionManifestURL(scheme, image, tag string) string {
	host, repo, _ := strings.Cut(image, "/")
	return scheme + "://" + host + "/v2/" + repo + "/manifests/" + tag
}

// A pull from a public registry is answered by WINDOWS_REGISTRY as the image of the same path
// below its own path, and an image named after WINDOWS_REGISTRY is pulled from it with its
// scheme: both by containerd's rules, with and without a path.
func TestHostsTOMLResolution(t *testing.T) {
	for _, in := range []string{"registry.lan:5000", "http://registry.lan:5000", "https://registry.lan/e2e", "http://10.0.0.5:5000/team/e2e"} {
		r, err := registry.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		mirror := readHostsTOML(t, hostsTOML(r))
		if mirror.serverOverride != (r.Path != "") || mirror.hostOverride != (r.Path != "") {
			t.Errorf("%s: override_path server %v, host %v; want it exactly when there is a path", in, mirror.serverOverride, mirror.hostOverride)
		}
		for _, pull := range []struct{ upstreamRepo, tag string }{{"pause", "3.10.1"}, {"calico/node-windows", "v3.28.5"}} {
			want := distributionManifestURL(r.Scheme, r.ImagePrefix()+"/"+pull.upstreamRepo, pull.tag)
			for _, got := range []string{
				containerdManifestURL(t, mirror.server, mirror.serverOverride, pull.upstreamRepo, pull.tag),
				containerdManifestURL(t, mirror.host, mirror.hostOverride, pull.upstreamRepo, pull.tag),
			} {
				if got != want {
					t.Errorf("%s: a pull of <upstream>/%s:%s is fetched from %s, want %s", in, pull.upstreamRepo, pull.tag, got, want)
				}
			}
		}

		own := readHostsTOML(t, hostsTOML(registry.Registry{Scheme: r.Scheme, Host: r.Host}))
		image := r.ImagePrefix() + "/agnhost"
		repo := strings.TrimPrefix(image, r.Host+"/")
		want := distributionManifestURL(r.Scheme, image, "2.56-windows-amd64-1809")
		if got := containerdManifestURL(t, own.server, own.serverOverride, repo, "2.56-windows-amd64-1809"); got != want || own.server != own.host {
			t.Errorf("%s: %s:2.56-windows-amd64-1809 is fetched from %s (host %s), want %s", in, image, got, own.host, want)
		}
	}
}

func TestHostsTOMLText(t *testing.T) {
	plain, err := registry.Parse("http://registry.lan:5000")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hostsTOML(plain), []string{
		`server = "http://registry.lan:5000"`,
		``,
		`[host."http://registry.lan:5000"]`,
		`  capabilities = ["pull", "resolve"]`,
	}; !slices.Equal(got, want) {
		t.Errorf("without a path:\n got %q\nwant %q", got, want)
	}
	withPath, err := registry.Parse("registry.lan:5000/e2e")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hostsTOML(withPath), []string{
		`server = "https://registry.lan:5000/v2/e2e"`,
		`override_path = true`,
		``,
		`[host."https://registry.lan:5000/v2/e2e"]`,
		`  capabilities = ["pull", "resolve"]`,
		`  override_path = true`,
	}; !slices.Equal(got, want) {
		t.Errorf("with a path:\n got %q\nwant %q", got, want)
	}
	for host, want := range map[string]string{"registry.lan:5000": "registry.lan_5000_", "registry.lan": "registry.lan", "10.0.0.5:80": "10.0.0.5_80_"} {
		if got := hostsDir(host); got != want {
			t.Errorf("hostsDir(%q) = %q, want %q", host, got, want)
		}
	}
}

// renderedHostsFiles reads the two hosts.toml windows-node.ps1 writes: the one every upstream
// gets ($mirror) and the one of WINDOWS_REGISTRY's own host, with that host's certs.d folder and
// the upstream list.
func renderedHostsFiles(t *testing.T, ps string) (mirror, own []string, ownDir string, ups []string) {
	t.Helper()
	block := func(start string) []string {
		i := strings.Index(ps, start)
		if i < 0 {
			t.Fatalf("windows-node.ps1 lacks %q", start)
		}
		end := strings.Index(ps[i:], "\n        )")
		var lines []string
		for _, l := range strings.Split(ps[i+len(start):i+end], "\n") {
			if l = strings.TrimSuffix(strings.TrimSpace(l), ","); l != "" {
				lines = append(lines, strings.TrimSuffix(strings.TrimPrefix(l, "'"), "'"))
			}
		}
		return lines
	}
	mirror = block("$mirror = @(")
	m := regexp.MustCompile(`\$dir = Join-Path \$ContainerdDir 'certs\.d\\([^']+)'\n.*\n        Set-Content .* -Value @\(`).FindStringSubmatch(ps)
	if m == nil {
		t.Fatal("windows-node.ps1 writes no hosts.toml for WINDOWS_REGISTRY's own host")
	}
	own, ownDir = block(m[0]), m[1]
	u := regexp.MustCompile(`foreach \(\$upstream in @\(([^)]*)\)\)`).FindStringSubmatch(ps)
	if u == nil {
		t.Fatal("windows-node.ps1 mirrors no upstream")
	}
	for _, s := range strings.Split(u[1], ", ") {
		ups = append(ups, strings.Trim(s, "'"))
	}
	return mirror, own, ownDir, ups
}

// The rendered script writes hostsTOML's lines unchanged, for the registry with and without a
// path, and never mirrors WINDOWS_REGISTRY's own host to itself.
func TestRenderedRegistryHosts(t *testing.T) {
	for _, tc := range []struct {
		value   string
		ownDir  string
		mirrors []string
	}{
		{"registry.lan:5000", "registry.lan_5000_", upstreams},
		{"http://registry.lan:5000/e2e", "registry.lan_5000_", upstreams},
		{"registry.k8s.io/e2e-test-images", "registry.k8s.io", []string{"docker.io", "mcr.microsoft.com", "quay.io", "ghcr.io"}},
	} {
		g := goldenCase{"registry", map[string]string{"WINDOWS_NODES": "1", "WINDOWS_REGISTRY": tc.value}}
		r, err := registry.Parse(tc.value)
		if err != nil {
			t.Fatal(err)
		}
		ps := string(g.render(t)[WindowsNodeScript])
		mirror, own, ownDir, ups := renderedHostsFiles(t, ps)
		if want := hostsTOML(r); !slices.Equal(mirror, want) {
			t.Errorf("%s: the upstreams' hosts.toml is\n %q\nwant %q", tc.value, mirror, want)
		}
		if want := hostsTOML(registry.Registry{Scheme: r.Scheme, Host: r.Host}); !slices.Equal(own, want) || ownDir != tc.ownDir {
			t.Errorf("%s: certs.d\\%s\\hosts.toml is\n %q\nwant certs.d\\%s with %q", tc.value, ownDir, own, tc.ownDir, want)
		}
		if !slices.Equal(ups, tc.mirrors) {
			t.Errorf("%s: mirrored upstreams %q, want %q", tc.value, ups, tc.mirrors)
		}
		if strings.Contains(ps, "override_path") != (r.Path != "") {
			t.Errorf("%s: override_path in the script: %v, want it exactly when there is a path", tc.value, strings.Contains(ps, "override_path"))
		}
	}
}
