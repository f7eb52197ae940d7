package main

import (
	"regexp"
	"testing"
)

// FuzzIsEnvName holds isEnvName to the regexp it replaced.
func FuzzIsEnvName(f *testing.F) {
	re := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	for _, s := range []string{"", "A", "_", "a1", "1a", "FOURINSIGHT_ACCESS_TOKEN", "A-B", "A B", "É", "A\n", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isEnvName(s), re.MatchString(s); got != want {
			t.Fatalf("isEnvName(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
