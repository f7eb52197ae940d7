package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

var userCodePattern = regexp.MustCompile(`enter the code:\s+(\S+)`)

func deviceUser(t *testing.T, p *testop.Provider) *User {
	u := NewUser(t)
	u.Setenv("FOURINSIGHT_ISSUER="+p.Issuer(), "FOURINSIGHT_CLIENT_ID="+testop.DeviceClientID)
	return u
}

// With no browser to open, login picks the device flow (discovery names a
// device endpoint): the test reads the user code from stderr and approves it.
func TestDeviceFlowApproved(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := deviceUser(t, p)

	run := u.StartWatched(nil, "login", "-s", "dev")
	code := run.WaitFor(userCodePattern, 10*time.Second)[1]
	if err := p.ApproveDevice(code); err != nil {
		t.Fatal(err)
	}
	r := run.Finish()
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stderr, p.Issuer()+"/device") {
		t.Errorf("stderr does not name the verification address:\n%s", r.Stderr)
	}
	if !strings.Contains(r.Stderr, "auto chose device") {
		t.Errorf("the automatic choice is not explained under -v:\n%s", r.Stderr)
	}
	if n := p.Count("device_authorization"); n != 1 {
		t.Errorf("provider saw %d device authorizations, want 1", n)
	}
	got := u.Run("-s", "dev")
	if got.Code != 0 || got.Stdout == "" {
		t.Fatalf("get after device login: exit %d: %s", got.Code, got.Stderr)
	}
	st := u.Run("status", "--json")
	var infos []struct{ Flow string }
	if err := json.Unmarshal([]byte(st.Stdout), &infos); err != nil || len(infos) != 1 || infos[0].Flow != "device" {
		t.Errorf("status: %v %s", err, st.Stdout)
	}
}

// A denied device code ends with exit 4 and says it was denied.
func TestDeviceFlowDenied(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := deviceUser(t, p)

	run := u.StartWatched(nil, "login", "--flow", "device")
	code := run.WaitFor(userCodePattern, 10*time.Second)[1]
	if err := p.DenyDevice(code); err != nil {
		t.Fatal(err)
	}
	r := run.Finish()
	if r.Code != 4 || !strings.Contains(r.Stderr, "denied") {
		t.Fatalf("exit %d, want 4: %s", r.Code, r.Stderr)
	}
	if strings.Count(strings.TrimSpace(lastLine(r.Stderr)), "\n") != 0 || !strings.Contains(lastLine(r.Stderr), "login") {
		t.Errorf("last line does not say what to do: %q", lastLine(r.Stderr))
	}
}

// The device flow stops when the login timeout passes.
func TestDeviceFlowTimeout(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := deviceUser(t, p)
	start := time.Now()
	r := u.Run("login", "--flow", "device", "--login-timeout", "2s")
	if r.Code != 5 || !strings.Contains(r.Stderr, "--login-timeout") {
		t.Fatalf("exit %d, want 5: %s", r.Code, r.Stderr)
	}
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("took %s to give up", took)
	}
}

// A provider whose discovery document names no device or revocation
// endpoint: the device flow says so plainly (exit 2), and logout says the
// refresh token is forgotten locally only.
func TestDiscoveryWithoutDeviceOrRevocation(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		base := "http://" + r.Host
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                base,
			"authorization_endpoint":                base + "/authorize",
			"token_endpoint":                        base + "/token",
			"jwks_uri":                              base + "/keys",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	}))
	t.Cleanup(srv.Close)
	u := NewUser(t)
	u.Setenv("FOURINSIGHT_ISSUER="+srv.URL, "FOURINSIGHT_CLIENT_ID=cli")

	r := u.Run("login", "--flow", "device")
	if r.Code != 2 || !strings.Contains(r.Stderr, "names no device authorization endpoint") {
		t.Errorf("device flow without a device endpoint: exit %d, want 2: %s", r.Code, r.Stderr)
	}

	u.WriteCache("", map[string]any{
		"access_token": "python-written-access-token", "refresh_token": "python-written-refresh-token",
		"token_type": "Bearer", "expires_at": float64(time.Now().Add(time.Hour).Unix()), "token_url": srv.URL + "/token",
	})
	secrets.Secret("python-written-refresh-token")
	out := u.Run("logout")
	if out.Code != 0 || !strings.Contains(out.Stderr, "names no revocation endpoint") || !strings.Contains(out.Stderr, "Logged out") {
		t.Errorf("logout without a revocation endpoint: exit %d: %s", out.Code, out.Stderr)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
