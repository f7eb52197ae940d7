package broker_test

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker"
	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// BenchmarkCached is the cached path of get below the command line: one
// file read, the owner check and the expiry check, through a store.File.
func BenchmarkCached(b *testing.B) {
	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	entries := map[string]string{
		// written by the Python client: no record of ours, served as it is
		"python": `{"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2ln", "token_type": "Bearer", "expires_in": 3599, "expires_at": ` + exp + `.5, "refresh_token": "bench-refresh", "scope": ["openid", "offline_access"], "token_url": "https://login.example.com/token"}`,
		// written by us for these settings: the owner check compares
		"own": `{"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2ln", "expires_at": ` + exp + `, "fourinsight_token": {"provider": "https://login.example.com/token", "client_id": "bench-client", "flow": "client", "updated": "2025-01-01T00:00:00Z"}, "refresh_token": "bench-refresh", "scope": "openid", "token_type": "Bearer", "token_url": "https://login.example.com/token"}`,
	}
	for name, data := range entries {
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "api")
			if err := os.Mkdir(dir, 0o700); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "token.bench"), []byte(data), 0o600); err != nil {
				b.Fatal(err)
			}
			f := store.File{Dir: dir}
			br := &broker.Broker{
				Settings: profile.Settings{
					Profile:        profile.Profile{Name: "bench", TokenURL: "https://login.example.com/token", ClientID: "bench-client"},
					ClientSecret:   "bench-secret",
					SecretSupplied: true,
				},
				Store:    f,
				Locks:    f,
				MinValid: time.Minute,
				Stderr:   io.Discard,
			}
			b.ReportAllocs()
			for b.Loop() {
				e, err := br.Cached("bench")
				if err != nil || e == nil {
					b.Fatal(e, err)
				}
			}
		})
	}
}
