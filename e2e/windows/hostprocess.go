package windows

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/calico-conformance/e2e/e2e/findings"
)

// Windows evidence is gathered by one HostProcess pod per node: it runs EvidenceScript, which
// runs every Command in turn and prints each output under a "### <name>: <command>" header,
// the format of the Linux node evidence (findings.ParseNodeFile reads both). SplitEvidence
// turns that text back into the per-command outputs the parsers read.

// commandOverhead is what one command adds to its own Timeout in EvidenceScript: starting a
// powershell.exe (a second or two on a loaded node) and, after a timeout, stopping it.
const commandOverhead = 10 * time.Second

// EvidenceTimeout bounds the whole of EvidenceScript: every command's Timeout plus the
// overhead of each. Use it for the exec's context, or as the pod's activeDeadlineSeconds.
func EvidenceTimeout(cmds []Command) time.Duration {
	var d time.Duration
	for _, c := range cmds {
		d += c.Timeout + commandOverhead
	}
	return d
}

// statusPrefix starts the line EvidenceScript prints after a command's output when the command
// did not succeed: "-- <name>: exit code 1", "-- <name>: timed out after 30s, stopped",
// "-- <name>: could not start: <error>".
const statusPrefix = "-- "

// evidenceFunc is the PowerShell function EvidenceScript calls once per command. It prints the
// header, runs the command in its own powershell.exe (-EncodedCommand, so no quoting survives
// into a command line), waits at most the command's time, stops the process tree
// (taskkill /T) when it is over, then prints stdout, stderr and, unless the command exited 0,
// a status line. Every failure is recorded and the script goes on. Output goes through
// [Console]::Out so PowerShell's formatter never wraps or truncates it. Written without double
// quotes and on one line (statements separated by "; "), so the whole script passes as one
// argument of a container command.
const evidenceFunc = `function Invoke-E2EEvidence([string]$hdr, [string]$name, [string]$enc, [int]$secs) { ` +
	`[Console]::Out.WriteLine([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($hdr))); ` +
	`$status = ''; $o = $null; $e = $null; ` +
	`try { ` +
	`$o = [IO.Path]::GetTempFileName(); $e = [IO.Path]::GetTempFileName(); ` +
	`$p = Start-Process -FilePath powershell.exe -ArgumentList @('-NoLogo', '-NoProfile', '-NonInteractive', '-EncodedCommand', $enc) -NoNewWindow -PassThru -RedirectStandardOutput $o -RedirectStandardError $e; ` +
	`$null = $p.Handle; ` +
	`if ($p.WaitForExit($secs * 1000)) { if ($p.ExitCode -ne 0) { $status = 'exit code ' + $p.ExitCode } } ` +
	`else { & taskkill.exe /T /F /PID $p.Id 2>&1 | Out-Null; $null = $p.WaitForExit(5000); $status = 'timed out after ' + $secs + 's, stopped' } ` +
	`} catch { $status = 'could not start: ' + $_.Exception.Message }; ` +
	`foreach ($f in @($o, $e)) { if ($f -and (Test-Path -LiteralPath $f)) { Get-Content -LiteralPath $f -Encoding UTF8 | ForEach-Object { [Console]::Out.WriteLine($_) }; Remove-Item -LiteralPath $f -Force -ErrorAction SilentlyContinue } }; ` +
	`if ($status) { [Console]::Out.WriteLine('` + statusPrefix + `' + $name + ': ' + $status) } ` +
	`}`

// EvidenceScript is one PowerShell script (one line, no double quotes) that runs every command
// in turn with its own time bound, printing each output under its "### <name>: <command>"
// header. It always exits 0: a failing command is recorded in its section.
func EvidenceScript(cmds []Command) string {
	parts := []string{
		"$ErrorActionPreference = 'Continue'",
		"$ProgressPreference = 'SilentlyContinue'",
		"[Console]::OutputEncoding = [System.Text.Encoding]::UTF8",
		evidenceFunc,
	}
	for _, c := range cmds {
		hdr := base64.StdEncoding.EncodeToString([]byte(evidenceHeader(c)))
		args := c.Args()
		enc := encodedCommand(args[len(args)-1])
		secs := int(c.Timeout.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		parts = append(parts, fmt.Sprintf("Invoke-E2EEvidence '%s' '%s' '%s' %d", hdr, psQuote(c.Name), enc, secs))
	}
	parts = append(parts, "exit 0")
	return strings.Join(parts, "; ")
}

// EvidenceArgs is the container command that runs EvidenceScript with Windows PowerShell.
func EvidenceArgs(cmds []Command) []string {
	return []string{"powershell.exe", "-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", EvidenceScript(cmds)}
}

// evidenceHeader is the section header of a command, as the Linux evidence writes it.
func evidenceHeader(c Command) string {
	cmd := strings.Join(strings.Fields(c.PowerShell), " ")
	return "### " + c.Name + ": " + cmd
}

// encodedCommand is a script as powershell.exe -EncodedCommand takes it: base64 of UTF-16LE.
func encodedCommand(script string) string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(b[2*i:], r)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// psQuote makes s safe inside a PowerShell single-quoted string.
func psQuote(s string) string { return strings.ReplaceAll(s, "'", "''") }

// EvidencePod is the HostProcess pod that collects one node's evidence: it runs EvidenceArgs
// as SYSTEM in the host's network namespace and ends, so its log is the evidence text. It is
// pinned by nodeName (no scheduler, so a cordoned or unhealthy node is still read) and
// tolerates every taint. The image may be the node's agnhost variant, already present for the
// probe pods: a HostProcess container runs the host's powershell.exe, not the image's. The
// namespace must admit privileged pods (Pod Security "privileged").
func EvidencePod(namespace, name, node, image string, pull corev1.PullPolicy, labels map[string]string, cmds []Command) *corev1.Pod {
	yes := true
	user := HostProcessUser
	deadline := int64((EvidenceTimeout(cmds) + time.Minute) / time.Second)
	grace := int64(1)
	l := map[string]string{}
	for k, v := range labels {
		l[k] = v
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: l},
		Spec: corev1.PodSpec{
			OS:                            &corev1.PodOS{Name: corev1.Windows},
			NodeName:                      node,
			NodeSelector:                  map[string]string{corev1.LabelOSStable: string(corev1.Windows)},
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			HostNetwork:                   true,
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         &deadline,
			TerminationGracePeriodSeconds: &grace,
			SecurityContext: &corev1.PodSecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{
				HostProcess: &yes, RunAsUserName: &user,
			}},
			Containers: []corev1.Container{{
				Name:            "evidence",
				Image:           image,
				ImagePullPolicy: pull,
				Command:         EvidenceArgs(cmds),
			}},
		},
	}
}

// Output is one command's output read back from the evidence text.
type Output struct {
	Command Command
	// Text is what the command printed (stdout, then stderr), without EvidenceScript's status
	// line.
	Text string
	// Status is "" when the command exited 0, else what went wrong ("exit code 1",
	// "timed out after 30s, stopped", "could not start: ...").
	Status string
	// Line is the line of the evidence text where Text starts (1-based).
	Line int
}

// OK reports whether the command ran to completion with exit code 0.
func (o Output) OK() bool { return o.Status == "" }

// SplitEvidence splits the evidence text of one node into the outputs of cmds, keyed by each
// Command's File. Sections of commands not in cmds are ignored; a command without a section
// is absent from the map.
func SplitEvidence(text string, cmds []Command) map[string]Output {
	nf := findings.ParseNodeFile("", "", text)
	out := map[string]Output{}
	for _, c := range cmds {
		s, ok := nf.Sections[c.Name]
		if !ok {
			continue
		}
		lines := trimBlankTail(s.Lines)
		o := Output{Command: c, Line: s.Start}
		if n := len(lines); n > 0 {
			last := strings.TrimRight(lines[n-1], "\r")
			if st, ok := strings.CutPrefix(last, statusPrefix+c.Name+": "); ok {
				o.Status = st
				lines = trimBlankTail(lines[:n-1])
			}
		}
		o.Text = strings.Join(lines, "\n")
		out[c.File] = o
	}
	return out
}

func trimBlankTail(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// Texts returns the text of each output, keyed by file, for Analyze.
func Texts(outs map[string]Output) map[string]string {
	m := make(map[string]string, len(outs))
	for f, o := range outs {
		m[f] = o.Text
	}
	return m
}
