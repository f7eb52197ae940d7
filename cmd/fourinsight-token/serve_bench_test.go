package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkServe is the front's whole cached answer inside one process: the
// fast parser, settings, the cache read, the decision and the output.
// Process start-up and package init are what scripts/bench adds.
func BenchmarkServe(b *testing.B) {
	home := b.TempDir()
	dir := filepath.Join(home, ".fourinsight", "api")
	os.MkdirAll(dir, 0o700)
	b.Setenv("HOME", home)
	b.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "FOURINSIGHT_") {
			b.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	entry := `{"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2ln", "token_type": "Bearer", "expires_in": 3599, "expires_at": ` + exp + `.5, "refresh_token": "bench-refresh", "scope": ["openid", "offline_access"], "token_url": "https://login.example.com/token"}`
	os.WriteFile(filepath.Join(dir, "token.bench"), []byte(entry), 0o600)
	for _, tt := range []struct {
		name, stdin string
		args        []string
	}{
		{name: "get", args: []string{"-s", "bench"}},
		{name: "exec-credential", args: []string{"-s", "bench", "-o", "exec-credential"}},
		{name: "git-credential get", args: []string{"-s", "bench", "git-credential", "get"}, stdin: "protocol=https\nhost=git.example.com\n\n"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			var stdout, stderr bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				stdout.Reset()
				if code, served := serve(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr); !served || code != 0 || stdout.Len() == 0 {
					b.Fatalf("served %v, exit %d, stderr: %s", served, code, stderr.String())
				}
			}
		})
	}
}
