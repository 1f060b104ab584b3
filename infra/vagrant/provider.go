package vagrant

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/calico-conformance/e2e/infra/provider"
)

// Name is the PROVIDER value of this provider.
const Name = "vagrant"

// quietEnv keeps every vagrant command from phoning home: no version check, no box update check.
var quietEnv = []string{"VAGRANT_CHECKPOINT_DISABLE=1", "VAGRANT_BOX_UPDATE_CHECK_DISABLE=1"}

// Command is one program run: Args[0] is the program, Dir its working directory, Env added to
// the process environment.
type Command struct {
	Dir  string
	Env  []string
	Args []string
}

// String is the command as it can be pasted into a shell.
func (c Command) String() string {
	var b strings.Builder
	if c.Dir != "" {
		fmt.Fprintf(&b, "(cd %s && ", shellQuote(c.Dir))
	}
	for _, e := range c.Env {
		b.WriteString(shellQuote(e) + " ")
	}
	for i, a := range c.Args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(a))
	}
	if c.Dir != "" {
		b.WriteByte(')')
	}
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Runner runs commands. Run returns the command's standard output; it also copies standard
// output and error to log as they come. When ctx is cancelled it stops the command.
type Runner interface {
	Run(ctx context.Context, c Command, log io.Writer) ([]byte, error)
}

// RunError is a failed command with what it printed, so the failure can be read and the command
// pasted into a shell.
type RunError struct {
	Command Command
	Output  []byte // standard error, or standard output when there was none
	Err     error
}

func (e *RunError) Error() string {
	out := strings.TrimSpace(string(e.Output))
	if n := len(out); n > 4000 {
		out = "..." + out[n-4000:]
	}
	if out == "" {
		return fmt.Sprintf("%s: %v", e.Command, e.Err)
	}
	return fmt.Sprintf("%s: %v\n%s", e.Command, e.Err, out)
}

func (e *RunError) Unwrap() error { return e.Err }

// ExecRunner runs commands on this host. On cancellation it sends the command an interrupt, as
// Ctrl-C would (vagrant then stops cleanly), and kills it if it has not exited a minute later.
type ExecRunner struct{}

// Run implements Runner.
func (ExecRunner) Run(ctx context.Context, c Command, log io.Writer) ([]byte, error) {
	if len(c.Args) == 0 {
		return nil, errors.New("empty command")
	}
	if log == nil {
		log = io.Discard
	}
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Cancel = func() error {
		if runtime.GOOS == "windows" {
			return cmd.Process.Kill()
		}
		return cmd.Process.Signal(syscall.SIGINT)
	}
	cmd.WaitDelay = time.Minute
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(&stdout, log)
	cmd.Stderr = io.MultiWriter(&stderr, log)
	if err := cmd.Run(); err != nil {
		out := stderr.Bytes()
		if len(bytes.TrimSpace(out)) == 0 {
			out = stdout.Bytes()
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return stdout.Bytes(), &RunError{Command: c, Output: out, Err: err}
	}
	return stdout.Bytes(), nil
}

// Provider makes clusters of Vagrant machines. Each cluster is a Vagrant project directory
// Dir/<name> holding the rendered files and the cluster CA; Exists and List read those
// directories.
type Provider struct {
	// Config is the settings every cluster starts from (ParseConfig); Create applies the Spec
	// over it.
	Config Config
	// Dir holds one project directory per cluster. It holds credentials (the CA key, the
	// bootstrap token): keep it out of artifacts.
	Dir string
	// Runner runs vagrant; nil means ExecRunner.
	Runner Runner
	// Now is the clock of the CA's validity; nil means time.Now.
	Now func() time.Time
	// goos is runtime.GOOS except in tests (Hyper-V needs a Windows host).
	goos string
}

var _ provider.Provider = (*Provider)(nil)

// New returns a Provider for the settings in the environment (ParseConfig) that keeps its
// project directories under dir.
func New(getenv func(string) string, dir string) (*Provider, error) {
	c, err := ParseConfig(getenv)
	if err != nil {
		return nil, err
	}
	return &Provider{Config: c, Dir: dir}, nil
}

// Name implements provider.Provider.
func (p *Provider) Name() string { return Name }

// Creates implements provider.Provider: this provider makes and deletes its clusters.
func (p *Provider) Creates() bool { return true }

func (p *Provider) runner() Runner {
	if p.Runner == nil {
		return ExecRunner{}
	}
	return p.Runner
}

// projectDir is the cluster's Vagrant project directory.
func (p *Provider) projectDir(name string) string { return filepath.Join(p.Dir, name) }

// vagrant is a vagrant command in the cluster's project directory, never phoning home.
func (p *Provider) vagrant(name string, args ...string) Command {
	return Command{Dir: p.projectDir(name), Env: quietEnv, Args: append([]string{"vagrant"}, args...)}
}

// ConfigFor is the cluster's Config: p.Config with s applied (name, node counts, Windows
// version when set, pod and service ranges when set) and the Windows box re-chosen for the
// version when the user did not name one.
func (p *Provider) ConfigFor(s provider.Spec) Config {
	c := p.Config
	c.Name = s.Name
	c.LinuxWorkers = s.LinuxWorkers
	c.WindowsNodes = s.WindowsNodes
	if s.WindowsVersion != "" && s.WindowsVersion != c.WindowsVersion {
		if d, ok := defaultBoxes[c.Provider]; ok && c.WindowsBox == d.windows[c.WindowsVersion] {
			c.WindowsBox = d.windows[s.WindowsVersion]
		}
		c.WindowsVersion = s.WindowsVersion
	}
	if s.PodCIDR != "" {
		c.PodCIDR = s.PodCIDR
	}
	if s.ServiceCIDR != "" {
		c.ServiceCIDR = s.ServiceCIDR
	}
	return c
}

// Spec is the provider.Spec of Config c for a cluster name and kubeconfig path: what lifecycle
// passes to Create so that the knobs ParseConfig read reach the cluster unchanged.
func (c Config) Spec(name, kubeconfig string, log io.Writer) provider.Spec {
	return provider.Spec{Name: name, Kubeconfig: kubeconfig, LinuxWorkers: c.LinuxWorkers, WindowsNodes: c.WindowsNodes,
		WindowsVersion: c.WindowsVersion, PodCIDR: c.PodCIDR, ServiceCIDR: c.ServiceCIDR, Log: log}
}

// Preflight checks, without changing anything, what Create needs on this host: the vagrant
// binary, the hypervisor's Vagrant provider and every box. Each failure is one line.
func (p *Provider) Preflight(ctx context.Context, c Config) error {
	run := p.runner()
	quiet := func(args ...string) Command {
		return Command{Env: quietEnv, Args: append([]string{"vagrant"}, args...)}
	}
	if _, err := run.Run(ctx, quiet("--version"), nil); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("vagrant is not installed: install it (Debian: apt-get install vagrant) or use PROVIDER=kind")
		}
		return fmt.Errorf("vagrant does not run: %s", firstLine(err))
	}
	switch c.Provider {
	case Libvirt:
		out, err := run.Run(ctx, quiet("plugin", "list"), nil)
		if err != nil {
			return fmt.Errorf("vagrant plugin list failed: %s", firstLine(err))
		}
		if !strings.Contains(string(out), "vagrant-libvirt") {
			return fmt.Errorf("VAGRANT_PROVIDER=libvirt needs the vagrant-libvirt plugin: install it (Debian: apt-get install vagrant-libvirt) or pick another VAGRANT_PROVIDER")
		}
	case VirtualBox:
		if _, err := run.Run(ctx, Command{Args: []string{"VBoxManage", "--version"}}, nil); err != nil {
			return fmt.Errorf("VAGRANT_PROVIDER=virtualbox needs VirtualBox (VBoxManage): install it or pick another VAGRANT_PROVIDER (%s)", firstLine(err))
		}
	case HyperV:
		goos := p.goos
		if goos == "" {
			goos = runtime.GOOS
		}
		if goos != "windows" {
			return fmt.Errorf("VAGRANT_PROVIDER=hyperv needs a Windows host with Hyper-V: use libvirt or virtualbox here")
		}
	}
	out, err := run.Run(ctx, quiet("box", "list", "--machine-readable"), nil)
	if err != nil {
		return fmt.Errorf("vagrant box list failed: %s", firstLine(err))
	}
	have := boxes(out)
	need := map[string]bool{c.LinuxBox: true}
	if c.WindowsNodes > 0 {
		need[c.WindowsBox] = true
	}
	var missing []string
	for b := range need {
		if !have[b+"|"+c.Provider] {
			missing = append(missing, b)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return fmt.Errorf("box %s for %s is not added: run `vagrant box add %s --provider %s` first (a large download the suite never starts itself), or name another box with VAGRANT_LINUX_BOX / VAGRANT_WINDOWS_BOX",
			strings.Join(missing, ", "), c.Provider, missing[0], c.Provider)
	}
	return nil
}

// firstLine keeps a preflight failure to one line (a RunError carries the command's output).
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// boxes reads `vagrant box list --machine-readable` into "name|provider" keys. Its lines are
// timestamp,target,type,data; a box-name line is followed by its box-provider line.
func boxes(out []byte) map[string]bool {
	have := map[string]bool{}
	var name string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), ",", 4)
		if len(f) < 4 {
			continue
		}
		switch f[2] {
		case "box-name":
			name = f[3]
		case "box-provider":
			if name != "" {
				have[name+"|"+f[3]] = true
			}
		}
	}
	return have
}

// Create implements provider.Provider: it checks the host (Preflight), writes the project
// directory (rendered files and a new cluster CA), brings the machines up without provisioning
// (`vagrant up --no-parallel --no-provision`, so on Hyper-V the trigger attaches the private
// NICs first), provisions them in order (`vagrant provision`: the control plane, then the
// workers) and writes the admin kubeconfig to s.Kubeconfig. It stops when ctx is cancelled and
// leaves what it made for Delete.
func (p *Provider) Create(ctx context.Context, s provider.Spec) error {
	c := p.ConfigFor(s)
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	secrets, ca, err := NewSecrets(now())
	if err != nil {
		return err
	}
	c.Secrets = secrets
	files, err := Render(c)
	if err != nil {
		return err
	}
	if s.Kubeconfig == "" {
		return fmt.Errorf("no kubeconfig path for cluster %s: the Spec must say where to write it", s.Name)
	}
	if err := p.Preflight(ctx, c); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := p.projectDir(s.Name)
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("vagrant cluster %s already exists in %s: delete it first, or pick another name", s.Name, dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the project directory: %w", err)
	}
	files[CACertFile] = ca.CertPEM
	files[CAKeyFile] = ca.KeyPEM
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	run := p.runner()
	for _, args := range [][]string{
		{"up", "--no-parallel", "--no-provision", "--provider", c.Provider},
		{"provision"},
	} {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := run.Run(ctx, p.vagrant(s.Name, args...), s.Log); err != nil {
			return fmt.Errorf("create vagrant cluster %s: %w", s.Name, err)
		}
	}
	kubeconfig, err := run.Run(ctx, p.vagrant(s.Name, "ssh", "controlplane", "-c", "sudo cat /etc/kubernetes/admin.conf"), nil)
	if err != nil {
		return fmt.Errorf("read the admin kubeconfig of %s: %w", s.Name, err)
	}
	if !bytes.Contains(kubeconfig, []byte("apiVersion: v1")) || !bytes.Contains(kubeconfig, []byte("kind: Config")) {
		return fmt.Errorf("the control plane of %s returned no kubeconfig from /etc/kubernetes/admin.conf (%d bytes)", s.Name, len(kubeconfig))
	}
	if err := os.MkdirAll(filepath.Dir(s.Kubeconfig), 0o700); err != nil {
		return fmt.Errorf("create the kubeconfig directory: %w", err)
	}
	if err := os.WriteFile(s.Kubeconfig, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", s.Kubeconfig, err)
	}
	return nil
}

// Delete implements provider.Provider: `vagrant destroy -f` in the cluster's project directory,
// then the directory (CA key included) and the kubeconfig are removed. Deleting a cluster that
// does not exist is not an error; a failed destroy keeps the directory so Delete can run again.
func (p *Provider) Delete(ctx context.Context, name, kubeconfig string) error {
	dir := p.projectDir(name)
	if _, err := os.Stat(filepath.Join(dir, VagrantfileFile)); err == nil {
		if _, err := p.runner().Run(ctx, p.vagrant(name, "destroy", "-f"), nil); err != nil {
			return fmt.Errorf("delete vagrant cluster %s: %w", name, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read the project directory of %s: %w", name, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	if kubeconfig != "" {
		if err := os.Remove(kubeconfig); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove kubeconfig %s: %w", kubeconfig, err)
		}
	}
	return nil
}

// Exists implements provider.Provider: the cluster's project directory holds a Vagrantfile.
func (p *Provider) Exists(ctx context.Context, name string) (bool, error) {
	_, err := os.Stat(filepath.Join(p.projectDir(name), VagrantfileFile))
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("read the project directory of %s: %w", name, err)
}

// List implements provider.Provider: the names of the project directories holding a
// Vagrantfile, sorted.
func (p *Provider) List(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(p.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list vagrant clusters in %s: %w", p.Dir, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if ok, err := p.Exists(ctx, e.Name()); err != nil {
			return nil, err
		} else if ok {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Nodes implements provider.Provider from the Kubernetes API (NodesFromKubeconfig).
func (p *Provider) Nodes(ctx context.Context, name, kubeconfig string) ([]provider.Node, error) {
	return NodesFromKubeconfig(ctx, kubeconfig)
}

var (
	_ provider.NetworkChooser    = (*Provider)(nil)
	_ provider.OperatorInstaller = (*Provider)(nil)
)

// Networks are the pod and Service ranges of the configuration (they must not overlap
// PRIVATE_NETWORK, which ParseConfig checks).
func (p *Provider) Networks() (podCIDR, serviceCIDR string) {
	return p.Config.PodCIDR, p.Config.ServiceCIDR
}

// Installation is the operator Installation rendered into the cluster's project directory.
func (p *Provider) Installation(name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(p.projectDir(name), InstallationFile))
	if err != nil {
		return nil, fmt.Errorf("the operator Installation of vagrant cluster %s: %w", name, err)
	}
	return b, nil
}
