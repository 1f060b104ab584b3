package router

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
)

// StartOptions are what Start needs.
type StartOptions struct {
	// Name is the container's name and hostname.
	Name string
	// Network is the Docker network of the cluster's nodes (kind's is "kind").
	Network string
	// Image is the nettools image (BIRD 1.6, iproute2); it must be local: it is never pulled.
	Image string
	// Labels go on the container, so that RemoveByLabel finds it after a killed run.
	Labels map[string]string
	// Config is the BIRD configuration, usually from Render. Docker gives the router its
	// address only when it runs: render with an empty RouterID and BIRD takes that address as
	// its router id.
	Config string
}

// Router is a running router container.
type Router struct {
	name, network, ip string
}

// Name is the router container's name.
func (r *Router) Name() string { return r.name }

// IP is the router's IPv4 address on the cluster network: the BGPPeer's peerIP.
func (r *Router) IP() string { return r.ip }

// Start runs the router container: `docker run --pull=never` of the image on the cluster
// network with NET_ADMIN (BIRD writes the kernel table) and `sleep infinity`; removes the
// container's default route so it reaches only the cluster network and what it learns; writes
// the configuration; and starts BIRD. BIRD runs as a daemon: it parses the configuration and
// opens its control socket before it forks, so a bad configuration fails Start and birdc works
// as soon as Start returns. If a step fails, the container is removed.
func Start(ctx context.Context, o StartOptions) (*Router, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{{"Name", o.Name}, {"Network", o.Network}, {"Image", o.Image}, {"Config", o.Config}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("router StartOptions: %s empty", strings.Join(missing, ", "))
	}
	args := []string{"run", "-d", "--pull=never", "--name", o.Name, "--hostname", o.Name,
		"--network", o.Network, "--cap-add", "NET_ADMIN"}
	for _, k := range slices.Sorted(maps.Keys(o.Labels)) {
		args = append(args, "--label", k+"="+o.Labels[k])
	}
	args = append(args, o.Image, "sleep", "infinity")
	if _, _, err := docker(ctx, "", args...); err != nil {
		return nil, err
	}
	r := &Router{name: o.Name, network: o.Network}
	if err := r.setUp(ctx, o.Config); err != nil {
		if rmErr := r.Stop(context.WithoutCancel(ctx)); rmErr != nil {
			err = errors.Join(err, rmErr)
		}
		return nil, fmt.Errorf("start router %s: %w", o.Name, err)
	}
	return r, nil
}

// setUp finds the router's address on its network and configures it.
func (r *Router) setUp(ctx context.Context, config string) error {
	out, _, err := docker(ctx, "", "inspect", "--format",
		fmt.Sprintf(`{{with index .NetworkSettings.Networks %q}}{{.IPAddress}}{{end}}`, r.network), r.name)
	if err != nil {
		return err
	}
	if r.ip = strings.TrimSpace(out); r.ip == "" {
		return fmt.Errorf("container %s has no IPv4 address on network %s", r.name, r.network)
	}
	return r.configure(ctx, config)
}

// configure removes the default route, writes the configuration and starts BIRD.
func (r *Router) configure(ctx context.Context, config string) error {
	def, _, err := r.Exec(ctx, "ip", "-4", "route", "show", "default")
	if err != nil {
		return err
	}
	if strings.TrimSpace(def) != "" {
		if _, _, err := r.Exec(ctx, "ip", "-4", "route", "del", "default"); err != nil {
			return err
		}
	}
	if err := r.write(ctx, ConfigPath, config); err != nil {
		return err
	}
	_, _, err = r.Exec(ctx, "bird", "-c", ConfigPath, "-s", SocketPath)
	return err
}

// write stores content in a file of the container (through stdin: no temporary host file).
func (r *Router) write(ctx context.Context, path, content string) error {
	_, _, err := docker(ctx, content, "exec", "-i", r.name, "sh", "-c", `mkdir -p "$(dirname "$1")" && cat >"$1"`, "sh", path)
	return err
}

// Exec runs a command in the router container and returns its output; the error names the
// command and carries its stderr.
func (r *Router) Exec(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	return docker(ctx, "", append([]string{"exec", r.name}, args...)...)
}

// birdc runs a birdc command against the router's BIRD.
func (r *Router) birdc(ctx context.Context, args ...string) (string, error) {
	out, _, err := r.Exec(ctx, append([]string{"birdc", "-s", SocketPath}, args...)...)
	return out, err
}

// Reconfigure replaces BIRD's configuration: it checks the new one with `bird -p` first, so a
// bad configuration leaves the running one and its file untouched, then `birdc configure`.
func (r *Router) Reconfigure(ctx context.Context, config string) error {
	next := ConfigPath + ".next"
	if err := r.write(ctx, next, config); err != nil {
		return err
	}
	if _, stderr, err := r.Exec(ctx, "bird", "-p", "-c", next); err != nil {
		if strings.HasPrefix(stderr, "bird: ") {
			return fmt.Errorf("router %s: BIRD rejects the new configuration: %w", r.name, err)
		}
		return err
	}
	if _, _, err := r.Exec(ctx, "mv", next, ConfigPath); err != nil {
		return err
	}
	out, err := r.birdc(ctx, "configure")
	if err != nil {
		return err
	}
	// birdc exits 0 whatever BIRD answers: read the answer
	for _, ok := range []string{"Reconfigured", "Reconfiguration in progress", "Reconfiguration queued"} {
		if strings.Contains(out, ok) {
			return nil
		}
	}
	return fmt.Errorf("router %s: birdc configure: %s", r.name, strings.TrimSpace(out))
}

// Protocols returns `birdc show protocols all`, parsed.
func (r *Router) Protocols(ctx context.Context) ([]Protocol, error) {
	out, err := r.birdc(ctx, "show", "protocols", "all")
	if err != nil {
		return nil, err
	}
	ps, err := ParseProtocols(out)
	if err != nil {
		return nil, fmt.Errorf("router %s: birdc show protocols all: %w", r.name, err)
	}
	return ps, nil
}

// Routes returns `birdc show route all`, parsed: the candidate routes per prefix.
func (r *Router) Routes(ctx context.Context) (map[string][]Route, error) {
	out, err := r.birdc(ctx, "show", "route", "all")
	if err != nil {
		return nil, err
	}
	rs, err := ParseRoutes(out)
	if err != nil {
		return nil, fmt.Errorf("router %s: birdc show route all: %w", r.name, err)
	}
	return rs, nil
}

// KernelRoutes returns the router's kernel table (`ip -4 route`), parsed: what its packets use.
func (r *Router) KernelRoutes(ctx context.Context) (map[string]KernelRoute, error) {
	out, _, err := r.Exec(ctx, "ip", "-4", "route")
	if err != nil {
		return nil, err
	}
	rs, err := ParseIPRoute(out)
	if err != nil {
		return nil, fmt.Errorf("router %s: ip -4 route: %w", r.name, err)
	}
	return rs, nil
}

// Stop removes the router container and its anonymous volumes. A container that is already
// gone is not an error.
func (r *Router) Stop(ctx context.Context) error {
	_, stderr, err := docker(ctx, "", "rm", "-f", "-v", r.name)
	if err != nil && strings.Contains(stderr, "No such container") {
		return nil
	}
	return err
}

// RemoveByLabel removes every container (running or not) with the label ("key" or "key=value"),
// such as routers left by a killed run, and returns their names.
func RemoveByLabel(ctx context.Context, label string) ([]string, error) {
	if label == "" {
		return nil, errors.New("RemoveByLabel: empty label would match every container")
	}
	out, _, err := docker(ctx, "", "ps", "-a", "--filter", "label="+label, "--format", "{{.Names}}")
	if err != nil {
		return nil, err
	}
	names := strings.Fields(out)
	if len(names) == 0 {
		return nil, nil
	}
	if _, _, err := docker(ctx, "", append([]string{"rm", "-f", "-v"}, names...)...); err != nil {
		return nil, err
	}
	return names, nil
}

// Check parses config with `bird -p` in a throwaway container of the image (no network, never
// pulled), so a configuration is proven before any router runs it. BIRD's error names the line.
func Check(ctx context.Context, image, config string) error {
	_, stderr, err := docker(ctx, config, "run", "--rm", "-i", "--network", "none", "--pull=never",
		"--entrypoint", "sh", image, "-c", `cat >/tmp/bird.conf && exec bird -p -c /tmp/bird.conf`)
	if err != nil && strings.HasPrefix(stderr, "bird: ") {
		return fmt.Errorf("BIRD rejects the configuration: %w", err)
	}
	return err
}

// docker runs the docker CLI with stdin (when not empty). The error holds the command, in a form
// that can be pasted into a shell, and its stderr.
func docker(ctx context.Context, stdin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errOut.String())
		if msg == "" {
			msg = strings.TrimSpace(out.String())
		}
		return out.String(), errOut.String(), fmt.Errorf("%s: %w: %s", shellCommand("docker", args), err, msg)
	}
	return out.String(), errOut.String(), nil
}

// shellCommand quotes a command line for a POSIX shell.
func shellCommand(name string, args []string) string {
	q := []string{name}
	for _, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:@+%") == "" {
			q = append(q, a)
			continue
		}
		q = append(q, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	return strings.Join(q, " ")
}

// Attach returns the running router container name on network, e.g. for the suite, which
// finds it by the name in the run record. It fails when the container does not run there.
func Attach(ctx context.Context, name, network string) (*Router, error) {
	r := &Router{name: name, network: network}
	out, _, err := docker(ctx, "", "inspect", "--format",
		fmt.Sprintf(`{{.State.Running}} {{with index .NetworkSettings.Networks %q}}{{.IPAddress}}{{end}}`, network), name)
	if err != nil {
		return nil, err
	}
	f := strings.Fields(out)
	if len(f) != 2 || f[0] != "true" {
		return nil, fmt.Errorf("router %s is not running on network %s (docker inspect: %q)", name, network, strings.TrimSpace(out))
	}
	r.ip = f[1]
	return r, nil
}
