package store_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/store"
)

// benchEntries are cache files as they occur: the Python client's (float
// expires_at, list scope, provider extras, no record of ours) and our own
// (with the fourinsight_token record).
func benchEntries() map[string][]byte {
	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	return map[string][]byte{
		"python": []byte(`{"access_token": "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl", "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "expires_at": ` + exp + `.123456, "refresh_token": "0.AAAA-refresh-token-bench-0123456789abcdef", "scope": ["https://4insight.io/.default", "offline_access"], "id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2ln", "token_url": "https://login.microsoftonline.com/common/oauth2/v2.0/token"}`),
		"own": []byte(`{
  "access_token": "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl",
  "expires_at": ` + exp + `,
  "expires_in": 3599,
  "fourinsight_token": {
    "provider": "https://4insight.io/auth",
    "client_id": "bench-client",
    "flow": "paste",
    "subject": "bench@example.com",
    "profile": "4insight",
    "updated": "2025-01-01T00:00:00Z"
  },
  "refresh_token": "0.AAAA-refresh-token-bench-0123456789abcdef",
  "scope": "openid offline_access",
  "token_type": "Bearer",
  "token_url": "https://login.microsoftonline.com/common/oauth2/v2.0/token"
}`),
	}
}

func BenchmarkDecode(b *testing.B) {
	for name, data := range benchEntries() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				e, err := store.Decode(data)
				if err != nil || e.AccessToken == "" {
					b.Fatal(e, err)
				}
			}
		})
	}
}

// BenchmarkLoad reads a real file: key check, directory and file permission
// checks, symlink-safe open, read, decode.
func BenchmarkLoad(b *testing.B) {
	for name, data := range benchEntries() {
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "api")
			if err := os.Mkdir(dir, 0o700); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "token.bench"), data, 0o600); err != nil {
				b.Fatal(err)
			}
			f := store.File{Dir: dir}
			b.ReportAllocs()
			for b.Loop() {
				e, err := f.Load("bench")
				if err != nil || e.AccessToken == "" {
					b.Fatal(e, err)
				}
			}
		})
	}
}

// BenchmarkCheckKey is the session key check every Load does.
func BenchmarkCheckKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := store.CheckKey("ws0-prod.eu_1"); err != nil {
			b.Fatal(err)
		}
	}
}
