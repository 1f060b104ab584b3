// Package msg holds the small string helpers the suite's messages share.
package msg

import "strings"

// OneLine squeezes s onto one line: every run of whitespace (newlines too) becomes one space.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// shortMax is how much of a command's output an error message quotes.
const shortMax = 200

// Short is OneLine cut to at most 200 bytes, "..." marking the cut: output quoted in an error.
func Short(s string) string {
	s = OneLine(s)
	if len(s) > shortMax {
		s = s[:shortMax] + "..."
	}
	return s
}
