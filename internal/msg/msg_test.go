package msg

import (
	"strings"
	"testing"
)

func TestOneLineAndShort(t *testing.T) {
	if got := OneLine("  a\n\tb  c\r\n"); got != "a b c" {
		t.Errorf("OneLine = %q, want %q", got, "a b c")
	}
	long := strings.Repeat("x", 150) + "\n" + strings.Repeat("y", 150)
	if got := Short(long); got != strings.Repeat("x", 150)+" "+strings.Repeat("y", 49)+"..." {
		t.Errorf("Short = %q, want the first 200 bytes of the one line and ...", got)
	}
	if got := Short("ab\ncd"); got != "ab cd" {
		t.Errorf("Short of a short output = %q, want it whole on one line", got)
	}
}
