package cliargs

import (
	"os"
	"strings"
	"testing"
)

// BenchmarkParseFast is the fast parser alone, on what the front sees most:
// a plain get, a session, an output format.
func BenchmarkParseFast(b *testing.B) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "FOURINSIGHT_") {
			b.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"get", nil},
		{"session", []string{"-s", "ws0", "-o", "exec-credential"}},
		{"durations", []string{"get", "--min-valid=2m", "--timeout", "5s"}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var c CLI
				if !ParseFast(tt.args, &c) {
					b.Fatalf("ParseFast refused %q", tt.args)
				}
			}
		})
	}
}
