package msg

import "testing"

func TestOneLineAndShort(t *testing.T) {
	if got := OneLine("  a\n\tb  c\r\n"); got != "a b c" {
		t.Errorf("OneLine = %q, want %q", got, "a b c")
	}
	if got := Short("ab\ncd ef", 4); got != "ab c..." {
		t.Errorf("Short = %q, want %q", got, "ab c...")
	}
	if got := Short("ab cd", 5); got != "ab cd" {
		t.Errorf("Short of a short line = %q, want it whole", got)
	}
}
