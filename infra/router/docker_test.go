package router

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeDocker puts a docker script first in PATH that logs every call (arguments separated by
// "|") and answers as the FAKE_* variables say. It returns a function that reads the log.
func fakeDocker(t *testing.T, env map[string]string) func() []string {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
printf '%s|' "$@" >>"$FAKE_LOG"; echo >>"$FAKE_LOG"
all="$*"
if [ -n "$FAKE_FAIL_ON" ]; then
  case "$all" in *"$FAKE_FAIL_ON"*) echo "$FAKE_FAIL_MSG" >&2; exit 1;; esac
fi
case "$all" in
  inspect*) echo "$FAKE_IP";;
  *"route show default"*) echo "default via 172.18.0.1 dev eth0";;
  "exec -i"*) cat >>"$FAKE_STDIN";;
  *"birdc -s /run/bird/bird.ctl configure"*) printf '%s\n' "$FAKE_CONFIGURE";;
  ps*) for n in $FAKE_PS; do echo "$n"; done;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	log := filepath.Join(dir, "calls")
	t.Setenv("FAKE_LOG", log)
	t.Setenv("FAKE_STDIN", filepath.Join(dir, "stdin"))
	for _, k := range []string{"FAKE_FAIL_ON", "FAKE_FAIL_MSG", "FAKE_IP", "FAKE_CONFIGURE", "FAKE_PS"} {
		t.Setenv(k, env[k])
	}
	return func() []string {
		b, err := os.ReadFile(log)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
}

func call(args ...string) string { return strings.Join(args, "|") + "|" }

func equalCalls(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("docker calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

var (
	writeConfig = call("exec", "-i", "r1", "sh", "-c", `mkdir -p "$(dirname "$1")" && cat >"$1"`, "sh", ConfigPath)
	startBird   = call("exec", "r1", "bird", "-c", ConfigPath, "-s", SocketPath)
	removeR1    = call("rm", "-f", "-v", "r1")
)

func TestStartDockerCalls(t *testing.T) {
	calls := fakeDocker(t, map[string]string{"FAKE_IP": "172.18.0.9"})
	r, err := Start(context.Background(), StartOptions{Name: "r1", Network: "kind", Image: "e2e.local/nettools:bird-1.6.8",
		Labels: map[string]string{"e2e.run": "abc", "app": "router"}, Config: "router id 172.18.0.9;\n"})
	if err != nil {
		t.Fatal(err)
	}
	if r.IP() != "172.18.0.9" || r.Name() != "r1" {
		t.Errorf("router %s at %s, want r1 at 172.18.0.9", r.Name(), r.IP())
	}
	equalCalls(t, calls(), []string{
		call("run", "-d", "--pull=never", "--name", "r1", "--hostname", "r1", "--network", "kind", "--cap-add", "NET_ADMIN",
			"--label", "app=router", "--label", "e2e.run=abc", "e2e.local/nettools:bird-1.6.8", "sleep", "infinity"),
		call("inspect", "--format", `{{with index .NetworkSettings.Networks "kind"}}{{.IPAddress}}{{end}}`, "r1"),
		call("exec", "r1", "ip", "-4", "route", "show", "default"),
		call("exec", "r1", "ip", "-4", "route", "del", "default"),
		writeConfig,
		startBird,
	})
	if b, _ := os.ReadFile(os.Getenv("FAKE_STDIN")); string(b) != "router id 172.18.0.9;\n" {
		t.Errorf("configuration written = %q, want the Config", b)
	}
}

func TestStartFailures(t *testing.T) {
	ok := StartOptions{Name: "r1", Network: "kind", Image: "img", Config: "router id 172.18.0.9;\n"}
	for _, c := range []struct {
		name    string
		opts    StartOptions
		env     map[string]string
		want    string
		removed bool
	}{
		{"options", StartOptions{Name: "r1", Config: "x"}, nil, "router StartOptions: Network, Image empty", false},
		{"image missing", ok, map[string]string{"FAKE_FAIL_ON": "run -d", "FAKE_FAIL_MSG": "Unable to find image 'img:latest' locally"},
			"docker run -d --pull=never --name r1 --hostname r1 --network kind --cap-add NET_ADMIN img sleep infinity: exit status 1: Unable to find image 'img:latest' locally", false},
		{"no address", ok, map[string]string{"FAKE_IP": ""},
			"start router r1: container r1 has no IPv4 address on network kind", true},
		{"bad config", ok, map[string]string{"FAKE_IP": "172.18.0.9", "FAKE_FAIL_ON": "bird -c", "FAKE_FAIL_MSG": "bird: /etc/bird/bird.conf:3:1 syntax error"},
			"start router r1: docker exec r1 bird -c /etc/bird/bird.conf -s /run/bird/bird.ctl: exit status 1: bird: /etc/bird/bird.conf:3:1 syntax error", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := fakeDocker(t, c.env)
			r, err := Start(context.Background(), c.opts)
			if err == nil || err.Error() != c.want || r != nil {
				t.Fatalf("Start() = %v, %v; want nil, %q", r, err, c.want)
			}
			got := calls()
			if removed := len(got) > 0 && got[len(got)-1] == removeR1; removed != c.removed {
				t.Errorf("container removed after the failure: %v, want %v; calls:\n%s", removed, c.removed, strings.Join(got, "\n"))
			}
		})
	}
}

func TestReconfigureDockerCalls(t *testing.T) {
	r := &Router{name: "r1", network: "kind", ip: "172.18.0.9"}
	next := ConfigPath + ".next"
	writeNext := call("exec", "-i", "r1", "sh", "-c", `mkdir -p "$(dirname "$1")" && cat >"$1"`, "sh", next)
	check := call("exec", "r1", "bird", "-p", "-c", next)
	configure := call("exec", "r1", "birdc", "-s", SocketPath, "configure")

	calls := fakeDocker(t, map[string]string{"FAKE_CONFIGURE": "Reading configuration from /etc/bird/bird.conf\nReconfigured"})
	if err := r.Reconfigure(context.Background(), "new"); err != nil {
		t.Fatal(err)
	}
	equalCalls(t, calls(), []string{writeNext, check, call("exec", "r1", "mv", next, ConfigPath), configure})

	// BIRD's answer to configure is read: birdc exits 0 on errors
	fakeDocker(t, map[string]string{"FAKE_CONFIGURE": "Reading configuration from /etc/bird/bird.conf\n/etc/bird/bird.conf, line 3: syntax error"})
	want := "router r1: birdc configure: Reading configuration from /etc/bird/bird.conf\n/etc/bird/bird.conf, line 3: syntax error"
	if err := r.Reconfigure(context.Background(), "new"); err == nil || err.Error() != want {
		t.Errorf("Reconfigure() = %v, want %q", err, want)
	}

	// a configuration BIRD rejects never replaces the running one
	calls = fakeDocker(t, map[string]string{"FAKE_FAIL_ON": "bird -p", "FAKE_FAIL_MSG": "bird: /etc/bird/bird.conf.next:2:5 syntax error"})
	want = "router r1: BIRD rejects the new configuration: docker exec r1 bird -p -c /etc/bird/bird.conf.next: exit status 1: bird: /etc/bird/bird.conf.next:2:5 syntax error"
	if err := r.Reconfigure(context.Background(), "bad"); err == nil || err.Error() != want {
		t.Errorf("Reconfigure() = %v, want %q", err, want)
	}
	equalCalls(t, calls(), []string{writeNext, check})
}

func TestRemoveByLabelDockerCalls(t *testing.T) {
	list := call("ps", "-a", "--filter", "label=e2e.run=abc", "--format", "{{.Names}}")
	calls := fakeDocker(t, map[string]string{"FAKE_PS": "r1 r2"})
	names, err := RemoveByLabel(context.Background(), "e2e.run=abc")
	if err != nil || strings.Join(names, ",") != "r1,r2" {
		t.Errorf("RemoveByLabel() = %v, %v; want [r1 r2], nil", names, err)
	}
	equalCalls(t, calls(), []string{list, call("rm", "-f", "-v", "r1", "r2")})

	calls = fakeDocker(t, nil)
	if names, err := RemoveByLabel(context.Background(), "e2e.run=abc"); err != nil || names != nil {
		t.Errorf("RemoveByLabel() with nothing to remove = %v, %v; want nil, nil", names, err)
	}
	equalCalls(t, calls(), []string{list})

	if _, err := RemoveByLabel(context.Background(), ""); err == nil {
		t.Error("RemoveByLabel(\"\") = nil error, want a refusal to match every container")
	}
}

func TestStop(t *testing.T) {
	r := &Router{name: "r1"}
	fakeDocker(t, map[string]string{"FAKE_FAIL_ON": "rm", "FAKE_FAIL_MSG": "Error: No such container: r1"})
	if err := r.Stop(context.Background()); err != nil {
		t.Errorf("Stop() of a removed container = %v, want nil", err)
	}
	fakeDocker(t, map[string]string{"FAKE_FAIL_ON": "rm", "FAKE_FAIL_MSG": "Cannot connect to the Docker daemon"})
	want := "docker rm -f -v r1: exit status 1: Cannot connect to the Docker daemon"
	if err := r.Stop(context.Background()); err == nil || err.Error() != want {
		t.Errorf("Stop() = %v, want %q", err, want)
	}
}

func TestShellCommand(t *testing.T) {
	got := shellCommand("docker", []string{"exec", "r1", "sh", "-c", `cat >"$1"`, "", "it's", "label=a=b,c"})
	want := `docker exec r1 sh -c 'cat >"$1"' '' 'it'\''s' label=a=b,c`
	if got != want {
		t.Errorf("shellCommand() = %s, want %s", got, want)
	}
}
