package windows

import (
	"regexp"
	"strconv"
	"strings"
)

// LogLine is one log line that a rule matched.
type LogLine struct {
	Text string
	Line int
}

// grepLines returns the lines containing every one of subs (case-insensitive).
func grepLines(log string, subs ...string) []LogLine {
	var out []LogLine
	for i, l := range textLines(log) {
		low := strings.ToLower(l)
		ok := true
		for _, s := range subs {
			if !strings.Contains(low, strings.ToLower(s)) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, LogLine{Text: strings.TrimSpace(l), Line: i + 1})
		}
	}
	return out
}

// nameFieldRE matches the "Name" of a JSON request.
var nameFieldRE = regexp.MustCompile(`"Name"\s*:\s*"([^"]*)"`)

// vsidRE matches the VSID (VXLAN network ID) of an HNS subnet policy in a JSON request.
var vsidRE = regexp.MustCompile(`"VSID"\s*:\s*(\d+)`)

// CalicoLogVNIs returns the VSIDs of the HNS networks Calico for Windows asked to create
// ("Attempting to create HNSNetwork {...}"). The JSON may be wrapped over lines.
func CalicoLogVNIs(file, log string) []VNI {
	lines := textLines(log)
	var out []VNI
	for i, l := range lines {
		if !strings.Contains(l, "Attempting to create HNSNetwork") {
			continue
		}
		// the request may wrap; read up to the next timestamped line
		text := l
		for j := i + 1; j < len(lines) && j <= i+5 && !logStartRE.MatchString(lines[j]); j++ {
			text += lines[j]
		}
		name := ""
		if m := nameFieldRE.FindStringSubmatch(text); m != nil {
			name = m[1]
		}
		for _, m := range vsidRE.FindAllStringSubmatch(text, -1) {
			v, _ := strconv.Atoi(m[1])
			out = append(out, VNI{Where: "HNS network " + name + " create request (VSID)", Value: v, File: file, Line: i + 1})
		}
	}
	return out
}

// logStartRE matches the start of a Calico (2021-08-31 17:54:59.464 [INFO]...) or klog
// (I1219 08:24:31.456250 ...) log line.
var logStartRE = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}|[IWEF]\d{4} \d{2}:\d{2})`)
