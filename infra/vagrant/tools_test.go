package vagrant

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// writeProject renders g into a fresh directory with a real CA beside it, as Create does.
func writeProject(t *testing.T, g goldenCase) string {
	t.Helper()
	dir := t.TempDir()
	files := g.render(t)
	_, ca, err := NewSecrets(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	files[CACertFile], files[CAKeyFile] = ca.CertPEM, ca.KeyPEM
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// winrmStub stands in for the winrm, winrm-fs and winrm-elevated gems, which Debian's vagrant
// package lacks: without them vagrant cannot even load a machine whose communicator is winrm.
// It defines only the names vagrant's winrm communicator mentions when it loads; nothing
// connects during `vagrant validate`, which checks configuration.
const winrmStub = `module WinRM
  class WinRMError < StandardError; end
  class WinRMHTTPTransportError < WinRMError; end
  class WinRMAuthorizationError < WinRMError; end
  class WinRMWSManFault < WinRMError; end
end
module HTTPClient
  class KeepAliveDisconnected < StandardError; end
end
`

// fakeVBoxManage reports a VirtualBox version and does nothing else, so that vagrant treats
// the VirtualBox provider as usable and validates the VirtualBox settings of the Vagrantfile.
const fakeVBoxManage = "#!/bin/sh\n# test double for vagrant validate: reports a version, does nothing\n" +
	"if [ \"$1\" = \"--version\" ]; then echo 7.0.14r161095; fi\nexit 0\n"

type validator struct {
	vagrant string
	env     []string
	notes   []string
}

func newValidator(t *testing.T) *validator {
	t.Helper()
	bin, err := exec.LookPath("vagrant")
	if err != nil {
		t.Skip("vagrant is not installed (Debian: apt-get install vagrant): the rendered Vagrantfiles were not validated")
	}
	// Never phone home, keep vagrant's state out of the user's home.
	v := &validator{vagrant: bin, env: append(os.Environ(),
		"VAGRANT_CHECKPOINT_DISABLE=1", "VAGRANT_BOX_UPDATE_CHECK_DISABLE=1", "VAGRANT_HOME="+t.TempDir())}
	if err := exec.Command("ruby", "-e", `require "winrm"; require "winrm-fs"; require "winrm-elevated"`).Run(); err != nil {
		stub := t.TempDir()
		for name, body := range map[string]string{"winrm.rb": winrmStub, "winrm-fs.rb": "", "winrm-elevated.rb": ""} {
			if err := os.WriteFile(filepath.Join(stub, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		v.env = append(v.env, "RUBYLIB="+stub)
		v.notes = append(v.notes, "winrm gems absent: loaded through a stub")
	}
	if _, err := exec.LookPath("VBoxManage"); err != nil {
		fake := t.TempDir()
		if err := os.WriteFile(filepath.Join(fake, "VBoxManage"), []byte(fakeVBoxManage), 0o755); err != nil {
			t.Fatal(err)
		}
		v.env = append(v.env, "PATH="+fake+string(os.PathListSeparator)+os.Getenv("PATH"))
		v.notes = append(v.notes, "VirtualBox absent: VBoxManage is a test double that reports a version")
	}
	return v
}

// validate runs `vagrant validate` in dir, with --ignore-provider when the provider cannot be
// loaded on this host (Hyper-V off Windows). It returns the combined output.
func (v *validator) validate(t *testing.T, dir, provider string) (string, error) {
	t.Helper()
	args := []string{"validate"}
	if provider == HyperV && runtime.GOOS != "windows" {
		args = append(args, "--ignore-provider")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, v.vagrant, args...)
	cmd.Dir = dir
	cmd.Env = v.env
	out, err := cmd.CombinedOutput()
	return fmt.Sprintf("$ vagrant %s\n%s", strings.Join(args, " "), out), err
}

func TestVagrantValidate(t *testing.T) {
	v := newValidator(t)
	for _, n := range v.notes {
		t.Log(n)
	}
	for _, g := range goldenCases {
		t.Run(g.name, func(t *testing.T) {
			dir := writeProject(t, g)
			out, err := v.validate(t, dir, g.config(t).Provider)
			t.Log(out)
			if err != nil || !strings.Contains(out, "Vagrantfile validated successfully.") {
				t.Errorf("vagrant validate failed: %v\n%s", err, out)
			}
		})
	}
}

// TestVagrantValidateRejects proves the validation above is real: the same project with a
// misspelt provider setting or provisioner option, or without its CA file, fails.
func TestVagrantValidateRejects(t *testing.T) {
	v := newValidator(t)
	for _, tc := range []struct {
		name, from, to, remove, want string
	}{
		{name: "libvirt setting", from: "p.cpus = 2", to: "p.cpux = 2", want: "cpux"},
		{name: "shell option", from: "reboot: true", to: "rebootx: true", want: "rebootx"},
		{name: "missing CA", remove: CACertFile, want: "ca.crt must exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, goldenCases[0])
			if tc.from != "" {
				path := filepath.Join(dir, VagrantfileFile)
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(b), tc.from) {
					t.Fatalf("Vagrantfile has no %q", tc.from)
				}
				if err := os.WriteFile(path, []byte(strings.Replace(string(b), tc.from, tc.to, 1)), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.remove != "" {
				if err := os.Remove(filepath.Join(dir, tc.remove)); err != nil {
					t.Fatal(err)
				}
			}
			out, err := v.validate(t, dir, Libvirt)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Errorf("vagrant validate accepted a broken project (err %v):\n%s", err, out)
			}
		})
	}
}

func TestBashSyntax(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed: the Linux scripts were not parsed")
	}
	for _, g := range goldenCases {
		for name, b := range g.render(t) {
			if !strings.HasSuffix(name, ".sh") {
				continue
			}
			cmd := exec.Command(bash, "-n")
			cmd.Stdin = strings.NewReader(string(b))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s/%s: bash -n: %v\n%s", g.name, name, err, out)
			}
		}
	}
}

// TestPowerShellParses runs PowerShell's own parser over the rendered scripts when pwsh is on
// this machine (it is not installed for the suite).
func TestPowerShellParses(t *testing.T) {
	pwsh, err := exec.LookPath("pwsh")
	if err != nil {
		t.Skip("pwsh is not installed: the PowerShell scripts were checked by TestPowerShellStructure only")
	}
	for _, g := range goldenCases {
		dir := writeProject(t, g)
		for _, name := range []string{WindowsNodeScript, HyperVNetworkScript} {
			path := filepath.Join(dir, name)
			if _, err := os.Stat(path); err != nil {
				continue
			}
			script := `$errs = $null; [System.Management.Automation.Language.Parser]::ParseFile($args[0], [ref]$null, [ref]$errs) | Out-Null; $errs | ForEach-Object { $_.ToString() }`
			out, err := exec.Command(pwsh, "-NoProfile", "-NonInteractive", "-Command", script, path).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "" {
				t.Errorf("%s/%s does not parse: %v\n%s", g.name, name, err, out)
			}
		}
	}
}

// TestPowerShellStructure checks what can be checked without PowerShell: brackets balance
// outside strings and comments, every string closes, and no "$name:" inside a double-quoted
// string (PowerShell reads it as a drive-qualified variable and fails to parse).
func TestPowerShellStructure(t *testing.T) {
	for _, g := range goldenCases {
		for name, b := range g.render(t) {
			if !strings.HasSuffix(name, ".ps1") {
				continue
			}
			if err := psBalanced(string(b)); err != nil {
				t.Errorf("%s/%s: %v", g.name, name, err)
			}
		}
	}
	for _, broken := range []string{"if ($a) { 'x' ", "'it''s", `Write-Host "a`, `Write-Host "$mac: x"`, "<# open", "$x = @(1, 2"} {
		if psBalanced(broken) == nil {
			t.Errorf("psBalanced accepts %q", broken)
		}
	}
	for _, fine := range []string{"# a ( comment\n$x = 1", "<# ( #>\n$y = '('", "Write-Host \"${mac}: `\" ok ($a)\"", "$env:Path = 'x'"} {
		if err := psBalanced(fine); err != nil {
			t.Errorf("psBalanced rejects %q: %v", fine, err)
		}
	}
}

var driveQualified = regexp.MustCompile(`\$[A-Za-z_][A-Za-z0-9_]*:([^A-Za-z0-9_]|$)`)

func psBalanced(s string) error {
	var stack []rune
	pair := map[rune]rune{')': '(', '}': '{', ']': '['}
	rs := []rune(s)
	line := 1
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\n':
			line++
		case r == '<' && i+1 < len(rs) && rs[i+1] == '#':
			end := strings.Index(string(rs[i:]), "#>")
			if end < 0 {
				return fmt.Errorf("line %d: block comment never closes", line)
			}
			block := string(rs[i : i+end+2])
			line += strings.Count(block, "\n")
			i += len([]rune(block)) - 1
		case r == '#':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
			i--
		case r == '\'':
			start := line
			for i++; ; i++ {
				if i >= len(rs) {
					return fmt.Errorf("line %d: single-quoted string never closes", start)
				}
				if rs[i] == '\n' {
					line++
				}
				if rs[i] == '\'' {
					if i+1 < len(rs) && rs[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case r == '"':
			start, from := line, i
			for i++; ; i++ {
				if i >= len(rs) {
					return fmt.Errorf("line %d: double-quoted string never closes", start)
				}
				if rs[i] == '\n' {
					line++
				}
				if rs[i] == '`' {
					i++
					continue
				}
				if rs[i] == '"' {
					if i+1 < len(rs) && rs[i+1] == '"' {
						i++
						continue
					}
					break
				}
			}
			if m := driveQualified.FindString(string(rs[from : i+1])); m != "" {
				return fmt.Errorf("line %d: %q in a double-quoted string is read as a drive-qualified variable: write ${name}:", start, m)
			}
		case r == '(' || r == '{' || r == '[':
			stack = append(stack, r)
		case r == ')' || r == '}' || r == ']':
			if len(stack) == 0 || stack[len(stack)-1] != pair[r] {
				return fmt.Errorf("line %d: unbalanced %q", line, r)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed brackets %q at the end", string(stack))
	}
	return nil
}

// hyperVConfigCheck evaluates one `vm.provider "hyperv"` block body against the Hyper-V
// provider's own Config class of the installed vagrant and prints its validation errors.
// `vagrant validate` cannot do it off Windows: it refuses to load the Hyper-V provider there.
const hyperVConfigCheck = `require "vagrant"
dir = Gem::Specification.find_by_name("vagrant").gem_dir
require File.join(dir, "plugins/providers/hyperv/config")
I18n.load_path << File.join(dir, "templates/locales/providers_hyperv.yml")
c = VagrantPlugins::HyperV::Config.new
c.instance_eval("p = self\n" + STDIN.read)
c.finalize!
errs = c.validate(nil)["Hyper-V"]
puts errs
exit(errs.empty? ? 0 : 1)
`

var hyperVBlock = regexp.MustCompile(`(?s)m\.vm\.provider "hyperv" do \|p\|\n(.*?)\n    end\n`)

func TestHyperVProviderConfig(t *testing.T) {
	if _, err := exec.LookPath("vagrant"); err != nil {
		t.Skip("vagrant is not installed: the Hyper-V provider settings were not checked")
	}
	if err := exec.Command("ruby", "-e", `require "vagrant"`).Run(); err != nil {
		t.Skip("vagrant's Ruby library does not load from the system ruby (a vendored vagrant): the Hyper-V provider settings were not checked")
	}
	check := func(body string) (string, error) {
		cmd := exec.Command("ruby", "-e", hyperVConfigCheck)
		cmd.Stdin = strings.NewReader(body)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, g := range goldenCases {
		if g.env["VAGRANT_PROVIDER"] != HyperV {
			continue
		}
		blocks := hyperVBlock.FindAllStringSubmatch(string(g.render(t)[VagrantfileFile]), -1)
		if want := len(g.config(t).Machines()); len(blocks) != want {
			t.Fatalf("%s: %d hyperv provider blocks, want one per machine (%d)", g.name, len(blocks), want)
		}
		for _, b := range blocks {
			if out, err := check(b[1]); err != nil {
				t.Errorf("%s: Hyper-V provider settings rejected: %v\n%s\n%s", g.name, err, out, b[1])
			}
		}
	}
	if out, err := check(`p.vmnamex = "x"`); err == nil || !strings.Contains(out, "vmnamex") {
		t.Errorf("the check accepts an unknown Hyper-V setting: %v %s", err, out)
	}
}
