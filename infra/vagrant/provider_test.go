package vagrant

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calico-conformance/e2e/infra/provider"
)

// fakeRunner records every command and answers from a table keyed by the vagrant arguments
// (the program name dropped). block, when set, is the key of a command that waits for ctx to be
// cancelled; started is closed when it begins.
type fakeRunner struct {
	mu      sync.Mutex
	cmds    []Command
	answers map[string]string
	fail    map[string]error
	block   string
	started chan struct{}
}

func (f *fakeRunner) Run(ctx context.Context, c Command, log io.Writer) ([]byte, error) {
	f.mu.Lock()
	f.cmds = append(f.cmds, c)
	f.mu.Unlock()
	key := strings.Join(c.Args, " ")
	if key == f.block {
		close(f.started)
		<-ctx.Done()
		return nil, &RunError{Command: c, Err: ctx.Err()}
	}
	if err := f.fail[key]; err != nil {
		return nil, &RunError{Command: c, Output: []byte("boom"), Err: err}
	}
	if log != nil {
		fmt.Fprintf(log, "ran %s\n", key)
	}
	return []byte(f.answers[key]), nil
}

func (f *fakeRunner) lines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.cmds {
		out = append(out, strings.Join(c.Args, " "))
	}
	return out
}

const boxList = `1700000000,,box-name,peru/windows-server-2022-standard-x64-eval
1700000000,,box-provider,libvirt
1700000000,,box-version,1
1700000000,,box-name,roboxes/ubuntu2204
1700000000,,box-provider,virtualbox
1700000000,,box-version,4
1700000000,,box-name,roboxes/ubuntu2204
1700000000,,box-provider,libvirt
1700000000,,box-version,4
`

const adminConf = "apiVersion: v1\nclusters: []\nkind: Config\n"

func newFake() *fakeRunner {
	return &fakeRunner{answers: map[string]string{
		"vagrant --version":                   "Vagrant 2.3.4\n",
		"vagrant plugin list":                 "vagrant-libvirt (0.11.2, system)\n",
		"vagrant box list --machine-readable": boxList,
		"vagrant ssh controlplane -c sudo cat /etc/kubernetes/admin.conf": adminConf,
	}, fail: map[string]error{}}
}

func testProvider(t *testing.T, f *fakeRunner, env map[string]string) *Provider {
	t.Helper()
	p, err := New(envOf(env), filepath.Join(t.TempDir(), "clusters"))
	if err != nil {
		t.Fatal(err)
	}
	p.Runner = f
	p.Now = func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }
	return p
}

func spec(t *testing.T, p *Provider, name string) provider.Spec {
	return p.Config.Spec(name, filepath.Join(t.TempDir(), "state", "kubeconfig"), &bytes.Buffer{})
}

func TestCreate(t *testing.T) {
	f := newFake()
	p := testProvider(t, f, nil)
	s := spec(t, p, "e2e-one")
	if err := p.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"vagrant --version",
		"vagrant plugin list",
		"vagrant box list --machine-readable",
		"vagrant up --no-parallel --no-provision --provider libvirt",
		"vagrant provision",
		"vagrant ssh controlplane -c sudo cat /etc/kubernetes/admin.conf",
	}
	if got := f.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	dir := filepath.Join(p.Dir, "e2e-one")
	for _, c := range f.cmds {
		if strings.Join(c.Env, " ") != "VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_BOX_UPDATE_CHECK_DISABLE=1" {
			t.Errorf("%v: env %v lets vagrant phone home", c.Args, c.Env)
		}
		if len(c.Args) > 1 && (c.Args[1] == "up" || c.Args[1] == "provision" || c.Args[1] == "ssh") && c.Dir != dir {
			t.Errorf("%v runs in %q, want %q", c.Args, c.Dir, dir)
		}
	}
	for _, name := range []string{VagrantfileFile, ControlPlaneScript, LinuxWorkerScript, WindowsNodeScript, KubeadmInitFile, InstallationFile, CACertFile, CAKeyFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("project file: %v", err)
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600 (the project holds credentials)", name, fi.Mode().Perm())
		}
	}
	crt, err := os.ReadFile(filepath.Join(dir, CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	hash, err := CACertHash(crt)
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join(dir, WindowsNodeScript))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "$CACertHash = '"+hash+"'") {
		t.Errorf("windows-node.ps1 does not carry the hash of the CA written beside it (%s)", hash)
	}
	kc, err := os.ReadFile(s.Kubeconfig)
	if err != nil || string(kc) != adminConf {
		t.Errorf("kubeconfig = %q, %v", kc, err)
	}
	if fi, err := os.Stat(s.Kubeconfig); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode: %v %v", fi, err)
	}
	if !strings.Contains(s.Log.(*bytes.Buffer).String(), "ran vagrant up") {
		t.Errorf("vagrant up output did not reach Spec.Log")
	}
	ok, err := p.Exists(context.Background(), "e2e-one")
	if err != nil || !ok {
		t.Errorf("Exists after Create = %v, %v", ok, err)
	}
	if err := p.Create(context.Background(), s); err == nil || !strings.Contains(err.Error(), "vagrant cluster e2e-one already exists in") {
		t.Errorf("second Create: %v", err)
	}
}

func TestCreatePreflight(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   map[string]string
		setup func(f *fakeRunner, p *Provider)
		want  string
	}{
		{"no vagrant", nil, func(f *fakeRunner, _ *Provider) { f.fail["vagrant --version"] = exec.ErrNotFound },
			"vagrant is not installed: install it (Debian: apt-get install vagrant) or use PROVIDER=kind"},
		{"no libvirt plugin", nil, func(f *fakeRunner, _ *Provider) { f.answers["vagrant plugin list"] = "No plugins installed.\n" },
			"VAGRANT_PROVIDER=libvirt needs the vagrant-libvirt plugin"},
		{"no VirtualBox", map[string]string{"VAGRANT_PROVIDER": "virtualbox"},
			func(f *fakeRunner, _ *Provider) { f.fail["VBoxManage --version"] = exec.ErrNotFound },
			"VAGRANT_PROVIDER=virtualbox needs VirtualBox (VBoxManage)"},
		{"Hyper-V off Windows", map[string]string{"VAGRANT_PROVIDER": "hyperv"}, func(_ *fakeRunner, p *Provider) { p.goos = "linux" },
			"VAGRANT_PROVIDER=hyperv needs a Windows host with Hyper-V"},
		{"Windows box missing", map[string]string{"VAGRANT_PROVIDER": "virtualbox", "WINDOWS_VERSION": "2019"}, nil,
			"box sig-windows-dev-tools/windows-2019 for virtualbox is not added: run `vagrant box add sig-windows-dev-tools/windows-2019 --provider virtualbox` first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			var p *Provider
			if strings.HasPrefix(tc.want, "MODE=") {
				// ParseConfig rejects it first; Create must too when the Spec adds Windows nodes.
				p = testProvider(t, f, map[string]string{"MODE": "ipip", "WINDOWS_NODES": "0"})
			} else {
				p = testProvider(t, f, tc.env)
			}
			if tc.setup != nil {
				tc.setup(f, p)
			}
			s := spec(t, p, "e2e-pre")
			s.WindowsNodes = 1
			err := p.Create(context.Background(), s)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line starting %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(p.Dir, "e2e-pre")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed preflight left the project directory behind (%v)", err)
			}
			for _, l := range f.lines() {
				if strings.HasPrefix(l, "vagrant up") {
					t.Errorf("ran %q after a failed preflight", l)
				}
			}
		})
	}
}

func TestCreateCancelled(t *testing.T) {
	f := newFake()
	f.block = "vagrant up --no-parallel --no-provision --provider libvirt"
	f.started = make(chan struct{})
	p := testProvider(t, f, nil)
	s := spec(t, p, "e2e-cut")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Create(ctx, s) }()
	<-f.started
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Create after cancel = %v, want context.Canceled", err)
	}
	for _, l := range f.lines() {
		if l == "vagrant provision" {
			t.Errorf("provisioned after the cancel")
		}
	}
	if ok, err := p.Exists(context.Background(), "e2e-cut"); err != nil || !ok {
		t.Errorf("cancelled Create must leave its project for Delete: Exists = %v, %v", ok, err)
	}
	f.block = ""
	if err := p.Delete(context.Background(), "e2e-cut", s.Kubeconfig); err != nil {
		t.Fatal(err)
	}
	if got := f.lines(); got[len(got)-1] != "vagrant destroy -f" {
		t.Errorf("Delete ran %q, want vagrant destroy -f", got[len(got)-1])
	}
	if ok, _ := p.Exists(context.Background(), "e2e-cut"); ok {
		t.Errorf("cluster still exists after Delete")
	}
}

func TestDeleteListExists(t *testing.T) {
	f := newFake()
	p := testProvider(t, f, nil)
	names, err := p.List(context.Background())
	if err != nil || len(names) != 0 {
		t.Fatalf("List before any cluster = %v, %v", names, err)
	}
	var kubeconfigs []string
	for _, name := range []string{"e2e-b", "e2e-a"} {
		s := spec(t, p, name)
		kubeconfigs = append(kubeconfigs, s.Kubeconfig)
		if err := p.Create(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(p.Dir, "not-a-cluster"), 0o700); err != nil {
		t.Fatal(err)
	}
	names, err = p.List(context.Background())
	if err != nil || strings.Join(names, " ") != "e2e-a e2e-b" {
		t.Fatalf("List = %v, %v; want [e2e-a e2e-b]", names, err)
	}

	f.fail["vagrant destroy -f"] = errors.New("exit status 1")
	err = p.Delete(context.Background(), "e2e-b", kubeconfigs[0])
	if err == nil || !strings.Contains(err.Error(), "delete vagrant cluster e2e-b: (cd ") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("failed destroy: %v", err)
	}
	if ok, _ := p.Exists(context.Background(), "e2e-b"); !ok {
		t.Errorf("a failed destroy must keep the project so Delete can run again")
	}
	delete(f.fail, "vagrant destroy -f")
	if err := p.Delete(context.Background(), "e2e-b", kubeconfigs[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(kubeconfigs[0]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("kubeconfig left after Delete: %v", err)
	}
	names, _ = p.List(context.Background())
	if strings.Join(names, " ") != "e2e-a" {
		t.Errorf("List after Delete = %v", names)
	}
	before := len(f.lines())
	if err := p.Delete(context.Background(), "e2e-never", ""); err != nil {
		t.Errorf("Delete of a cluster that does not exist: %v", err)
	}
	if len(f.lines()) != before {
		t.Errorf("Delete of a cluster that does not exist ran %v", f.lines()[before:])
	}
}

func TestConfigFor(t *testing.T) {
	p := testProvider(t, newFake(), map[string]string{"VAGRANT_PROVIDER": "hyperv"})
	c := p.ConfigFor(provider.Spec{Name: "x", LinuxWorkers: 3, WindowsNodes: 2, WindowsVersion: "2019", PodCIDR: "10.250.0.0/16"})
	if c.Name != "x" || c.LinuxWorkers != 3 || c.WindowsNodes != 2 || c.WindowsVersion != "2019" ||
		c.WindowsBox != "gusztavvargadr/windows-server-2019-standard-core" || c.PodCIDR != "10.250.0.0/16" || c.ServiceCIDR != DefaultServiceCIDR {
		t.Errorf("ConfigFor = %+v", c)
	}
	p = testProvider(t, newFake(), map[string]string{"VAGRANT_WINDOWS_BOX": "me/win"})
	if c := p.ConfigFor(provider.Spec{Name: "x", WindowsVersion: "2019"}); c.WindowsBox != "me/win" {
		t.Errorf("a box the user named was replaced: %s", c.WindowsBox)
	}
	s := p.Config.Spec("n", "/k", nil)
	if s.Name != "n" || s.Kubeconfig != "/k" || s.WindowsNodes != 1 || s.LinuxWorkers != 1 || s.WindowsVersion != "2022" ||
		s.PodCIDR != DefaultPodCIDR || s.ServiceCIDR != DefaultServiceCIDR {
		t.Errorf("Spec = %+v", s)
	}
	if p.Name() != "vagrant" || !p.Creates() {
		t.Errorf("Name %q, Creates %v", p.Name(), p.Creates())
	}
}

func TestBoxes(t *testing.T) {
	// The last line is what vagrant 2.3.4 prints with no box added (recorded here).
	have := boxes([]byte(boxList + "garbage\n1795335820,,ui,warn,There are no installed boxes! Use `vagrant box add` to add some.\n"))
	for _, k := range []string{"roboxes/ubuntu2204|libvirt", "roboxes/ubuntu2204|virtualbox", "peru/windows-server-2022-standard-x64-eval|libvirt"} {
		if !have[k] {
			t.Errorf("missing %s in %v", k, have)
		}
	}
	if len(have) != 3 {
		t.Errorf("boxes = %v, want 3 entries", have)
	}
}

func TestCommandString(t *testing.T) {
	c := Command{Dir: "/tmp/my dir", Env: []string{"A=1"}, Args: []string{"vagrant", "ssh", "controlplane", "-c", "sudo cat /x", "it's"}}
	want := `(cd '/tmp/my dir' && A=1 vagrant ssh controlplane -c 'sudo cat /x' 'it'\''s')`
	if c.String() != want {
		t.Errorf("String = %s\nwant     %s", c, want)
	}
}

func TestExecRunner(t *testing.T) {
	var log bytes.Buffer
	out, err := ExecRunner{}.Run(context.Background(), Command{Env: []string{"X=hello"}, Args: []string{"sh", "-c", "echo $X; echo warn >&2"}}, &log)
	if err != nil || string(out) != "hello\n" {
		t.Errorf("Run = %q, %v", out, err)
	}
	if !strings.Contains(log.String(), "hello") || !strings.Contains(log.String(), "warn") {
		t.Errorf("log = %q, want stdout and stderr", log.String())
	}
	_, err = ExecRunner{}.Run(context.Background(), Command{Args: []string{"sh", "-c", "echo bad thing >&2; exit 3"}}, nil)
	var re *RunError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "bad thing") ||
		!strings.HasPrefix(err.Error(), "sh -c 'echo bad thing >&2; exit 3'") {
		t.Errorf("failed command error = %v", err)
	}
	_, err = ExecRunner{}.Run(context.Background(), Command{Args: []string{"calico-e2e-no-such-program"}}, nil)
	if !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("missing program: %v, want exec.ErrNotFound", err)
	}
}

// TestExecRunnerCancel: a cancelled command gets SIGINT (what Ctrl-C sends vagrant) and Run
// reports the cancellation.
func TestExecRunnerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &signalWriter{ready: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := ExecRunner{}.Run(ctx, Command{Args: []string{"sh", "-c", `trap 'echo interrupted; exit 130' INT; echo ready; while :; do read -t 1 x; done`}}, w)
		done <- err
	}()
	<-w.ready
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v, want context.Canceled", err)
	}
	if !strings.Contains(w.String(), "interrupted") {
		t.Errorf("the command was not interrupted (output %q)", w.String())
	}
}

type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(b)
	if strings.Contains(w.buf.String(), "ready") {
		w.once.Do(func() { close(w.ready) })
	}
	return n, err
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
