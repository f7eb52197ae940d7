package store

import (
	"regexp"
	"strings"
	"testing"
)

// keyRegexp is the rule validKey checks by hand (the regexp it replaced).
var keyRegexp = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func FuzzValidKey(f *testing.F) {
	for _, s := range []string{"", "a", "ws0", "-a", ".a", "_a", "a-b.c_d", "a b", "a\n", "a/b", "é", "a\x00",
		strings.Repeat("a", 64), strings.Repeat("a", 65), "0" + strings.Repeat("-", 63), "token.lock"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if got, want := validKey(key), keyRegexp.MatchString(key); got != want {
			t.Fatalf("validKey(%q) = %v, the regexp says %v", key, got, want)
		}
	})
}
