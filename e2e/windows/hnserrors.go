package windows

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// HnsError is one HNS error in command or log output: hns.psm1's Invoke-HnsRequest
// "@{Error=<text>; ErrorCode=<decimal>; Success=False}", or an HCN error "(0x803b0006)".
// The code identifies the error on any Windows language; Message is as printed (localized).
type HnsError struct {
	Code    uint32
	Message string
	Line    int
}

// Hex is the code as Windows documents it: 0x803B0006.
func (e HnsError) Hex() string { return fmt.Sprintf("0x%08X", e.Code) }

// HCN error codes the rules name.
const (
	hcnAdapterNotFound uint32 = 0x803B0006
)

var (
	invokeHnsErrRE = regexp.MustCompile(`Error=(.*?)\s*;\s*ErrorCode=(\d+)`)
	hcnHexRE       = regexp.MustCompile(`(?i)\b0x(803b[0-9a-f]{4})\b`)
)

// ParseHnsErrors finds HNS errors in the output.
func ParseHnsErrors(out string) []HnsError {
	var es []HnsError
	for i, l := range textLines(out) {
		if m := invokeHnsErrRE.FindStringSubmatch(l); m != nil {
			if c, err := strconv.ParseUint(m[2], 10, 32); err == nil {
				es = append(es, HnsError{Code: uint32(c), Message: strings.TrimSpace(m[1]), Line: i + 1})
			}
			continue
		}
		if m := hcnHexRE.FindStringSubmatch(l); m != nil {
			if c, err := strconv.ParseUint(m[1], 16, 32); err == nil {
				es = append(es, HnsError{Code: uint32(c), Message: strings.TrimSpace(l), Line: i + 1})
			}
		}
	}
	return es
}
