package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"github.com/gofrs/flock"
)

// Each output format prints the cached token in its own shape, and only that.
func TestOutputFormats(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	tok := mustOK(t, u.Run("-s", "svc"))

	tests := []struct {
		format string
		check  func(out string) bool
	}{
		{"token", func(out string) bool { return out == tok }},
		{"header", func(out string) bool { return out == "Authorization: Bearer "+tok }},
		{"env", func(out string) bool { return out == "export FOURINSIGHT_ACCESS_TOKEN='"+tok+"'" }},
		{"dotenv", func(out string) bool { return out == "FOURINSIGHT_ACCESS_TOKEN="+tok }},
		{"json", func(out string) bool {
			var v struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
				ExpiresAt   string `json:"expires_at"`
				ExpiresIn   int    `json:"expires_in"`
				Session     string `json:"session"`
			}
			if json.Unmarshal([]byte(out), &v) != nil {
				return false
			}
			at, err := time.Parse(time.RFC3339, v.ExpiresAt)
			return err == nil && v.AccessToken == tok && v.TokenType == "Bearer" && v.Session == "svc" &&
				v.ExpiresIn > 200 && v.ExpiresIn <= 300 && time.Until(at) > 200*time.Second
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			if out := mustOK(t, u.Run("-s", "svc", "-o", tt.format)); !tt.check(out) {
				t.Fatalf("-o %s printed:\n%s", tt.format, out)
			}
		})
	}
	if n := p.Count("token"); n != 1 {
		t.Fatalf("formatting reached the provider: %d token requests", n)
	}
	if r := u.Run("-s", "svc", "-o", "yaml"); r.Code != 2 {
		t.Fatalf("-o yaml: exit %d", r.Code)
	}
}

// --no-store keeps nothing and signs in on every call, like the Python
// ClientSession.
func TestNoStore(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	a := mustOK(t, u.Run("-s", "svc", "--no-store"))
	b := mustOK(t, u.Run("-s", "svc", "--no-store"))
	if a == b || p.Count("client_credentials") != 2 {
		t.Fatalf("--no-store reused a token (grants: %d)", p.Count("client_credentials"))
	}
	if _, err := os.Stat(u.CacheDir); !os.IsNotExist(err) {
		t.Fatal("--no-store created the cache directory")
	}
}

// A process stuck holding the session's lock makes others wait, say so, and
// give up after --lock-timeout with exit 5.
func TestLockTimeout(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	os.MkdirAll(u.CacheDir, 0o700)
	l := flock.New(filepath.Join(u.CacheDir, "token.svc.lock"))
	if ok, err := l.TryLockContext(context.Background(), time.Millisecond); !ok || err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()

	r := u.Run("-s", "svc", "--lock-timeout", "1500ms")
	if r.Code != 5 || !strings.Contains(problem(t, withoutNotice(r)), "--lock-timeout") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "waiting for another fourinsight-token working on session svc") {
		t.Fatalf("no waiting notice:\n%s", r.Stderr)
	}
	if p.Count("token") != 0 {
		t.Fatal("a process that never got the lock reached the provider")
	}
}

// withoutNotice drops the waiting notice, which precedes the error line.
func withoutNotice(r Result) Result {
	var keep []string
	for _, l := range strings.Split(r.Stderr, "\n") {
		if !strings.Contains(l, "(a sign-in may be in progress)") {
			keep = append(keep, l)
		}
	}
	r.Stderr = strings.Join(keep, "\n")
	return r
}

// Consumers are configured to run the fast front, not the full command line
// it hands over to.
func TestSetupRecordsTheFront(t *testing.T) {
	u := NewUser(t)
	for _, args := range [][]string{{"setup", "kubectl", "-s", "kube"}, {"setup", "git", "--host", "git.example.com", "-s", "repo"}} {
		out := mustOK(t, u.Run(args...))
		if !strings.Contains(out, binary) || strings.Contains(out, "fourinsight-token-cli") {
			t.Fatalf("%v names another program than %s:\n%s", args, binary, out)
		}
	}
}
