// Package msg holds the small string helpers the suite's messages share.
package msg

import "strings"

// OneLine squeezes s onto one line: every run of whitespace (newlines too) becomes one space.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Short is OneLine cut to at most max bytes, "..." marking the cut: output quoted in an error.
func Short(s string, max int) string {
	s = OneLine(s)
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
