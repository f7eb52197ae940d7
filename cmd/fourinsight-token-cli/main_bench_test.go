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

// benchCachedEnv gives the benchmark a user of its own: an empty home and
// config directory, no FOURINSIGHT_* settings, and a valid cache entry for
// session "bench" written the way the Python client writes it.
func benchCachedEnv(b *testing.B) {
	b.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "FOURINSIGHT_") || k == "CI" {
			b.Setenv(k, "") // restores it afterwards
			os.Unsetenv(k)
		}
	}
	home := b.TempDir()
	b.Setenv("HOME", home)
	b.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	dir := filepath.Join(home, ".fourinsight", "api")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	entry := `{"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2ln", "token_type": "Bearer", "expires_in": 3599, "expires_at": ` + exp + `.5, "refresh_token": "bench-refresh", "scope": ["openid", "offline_access"], "token_url": "https://login.example.com/token"}`
	if err := os.WriteFile(filepath.Join(dir, "token.bench"), []byte(entry), 0o600); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRunCachedGet is a whole cached get inside one process: command
// line parsing, setup (config, profile, settings), the cache read and the
// output. Process start-up and package init are what scripts/bench adds.
func BenchmarkRunCachedGet(b *testing.B) {
	for _, args := range [][]string{
		{"-s", "bench"},
		{"get", "--session=bench", "-o", "header"},
	} {
		b.Run(strings.Join(args, " "), func(b *testing.B) {
			benchCachedEnv(b)
			var stdout, stderr bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				stdout.Reset()
				if code := run(args, strings.NewReader(""), &stdout, &stderr); code != 0 || stdout.Len() == 0 {
					b.Fatalf("exit %d, stderr: %s", code, stderr.String())
				}
			}
		})
	}
}
