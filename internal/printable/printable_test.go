package printable

import "testing"

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"plain words", 100, "plain words"},
		{"line\r\nX-Injected: yes", 100, "lineX-Injected: yes"},
		{"\x1b[31mred\x1b[0m", 100, "[31mred[0m"},
		{"bidi \u202eevil\u202c", 100, "bidi evil"},
		{"invalid \xff utf8", 100, "invalid  utf8"},
		{"aaaaaaaaaabc", 8, "aaaaaaaa…"},
	}
	for _, tt := range tests {
		if got := Cut(tt.in, tt.max); got != tt.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestLine(t *testing.T) {
	if got := Line("one\n  two\tthree\x1b[2J"); got != "one two three[2J" {
		t.Errorf("Line = %q", got)
	}
}
