package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// A service account gets a token once; the next calls are served from the
// cache without asking the provider.
func TestClientCredentialsCachedAfterFirstCall(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)

	first := u.Run("-s", "svc")
	if first.Code != 0 {
		t.Fatalf("exit %d: %s", first.Code, first.Stderr)
	}
	tok := strings.TrimSpace(first.Stdout)
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("stdout is not one JWT access token: %q", first.Stdout)
	}
	for range 3 {
		again := u.Run("-s", "svc")
		if again.Code != 0 || strings.TrimSpace(again.Stdout) != tok {
			t.Fatalf("cached call: exit %d, same token %v: %s", again.Code, strings.TrimSpace(again.Stdout) == tok, again.Stderr)
		}
	}
	if n := p.Count("client_credentials"); n != 1 {
		t.Fatalf("provider saw %d client-credentials grants, want 1", n)
	}
	_ = time.Second
}
