package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// mustOK fails the test unless the run succeeded, and returns its stdout
// without the trailing newline.
func mustOK(t *testing.T, r Result) string {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	return strings.TrimSuffix(r.Stdout, "\n")
}

// problem returns the one line a failed run printed for the user: every
// stderr line that is not -v debug output or progress (a retry, a long
// wait). It fails the test unless there is exactly one.
func problem(t *testing.T, r Result) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(r.Stderr), "\n") {
		// Progress on the way (a retry, a long wait) is not the problem.
		progress := strings.Contains(l, "; retrying in ") || strings.HasPrefix(l, "fourinsight-token: waiting for ")
		if l != "" && !strings.HasPrefix(l, "fourinsight-token: debug:") && !progress {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want one line on stderr for the user, got %d:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if r.Stdout != "" {
		t.Fatalf("a failed run printed on stdout: %q", r.Stdout)
	}
	return lines[0]
}

// afterPrompt returns the one line a failed sign-in printed after its
// prompt: the sign-in instructions come first, then exactly one error line.
func afterPrompt(t *testing.T, r Result) string {
	t.Helper()
	_, rest, ok := strings.Cut(r.Stderr, "Paste code here: ")
	if !ok {
		t.Fatalf("no prompt on stderr:\n%s", r.Stderr)
	}
	return problem(t, Result{Stderr: rest, Code: r.Code})
}

// A service account gets a token once; the next calls are served from the
// cache without asking the provider, and --force asks again.
func TestServiceAccountCachedThenForced(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)

	tok := mustOK(t, u.Run("-s", "svc"))
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("stdout is not one JWT access token: %q", tok)
	}
	for range 3 {
		if again := mustOK(t, u.Run("-s", "svc")); again != tok {
			t.Fatal("a cached call printed another token")
		}
	}
	if n := p.Count("client_credentials"); n != 1 {
		t.Fatalf("provider saw %d client-credentials grants, want 1", n)
	}
	if forced := mustOK(t, u.Run("-s", "svc", "--force")); forced == tok {
		t.Fatal("--force printed the cached token")
	}
	if n := p.Count("client_credentials"); n != 2 {
		t.Fatalf("after --force the provider saw %d grants, want 2", n)
	}
	if info, err := os.Stat(u.CachePath("svc")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	if info, err := os.Stat(u.CacheDir); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("cache dir: %v, mode %v; want 0700", err, info.Mode().Perm())
	}
}

// The 4insight way: sign in on the web page, paste the package, and from then
// on get tokens from the cache, refreshed with the refresh token when the
// cached one would not last --min-valid.
func TestPasteSignInCacheAndRefresh(t *testing.T) {
	p := StartProvider(t, testop.Options{AccessTokenLifetime: 2 * time.Minute})
	u := NewUser(t)
	u.PasteProfile(p)

	login := u.RunInput(PastePackage(t, p), "login", "-s", "ws0")
	mustOK(t, login)
	if login.Stdout != "" {
		t.Fatalf("login printed on stdout without -o: %q", login.Stdout)
	}
	if !strings.Contains(login.Stderr, "Signed in as "+testop.TestUserSubject) {
		t.Fatalf("login did not report who signed in:\n%s", login.Stderr)
	}
	tok := mustOK(t, u.Run("-s", "ws0"))
	if n := p.Count("token"); n != 1 {
		t.Fatalf("the cached get reached the provider: %d token requests", n)
	}

	// A token with 2 minutes left cannot serve a caller that needs 5.
	fresh := mustOK(t, u.Run("-s", "ws0", "--min-valid", "5m"))
	if fresh == tok {
		t.Fatal("--min-valid 5m served a token with 2 minutes left")
	}
	if n := p.Count("refresh_token"); n != 1 {
		t.Fatalf("provider saw %d refreshes, want 1", n)
	}
	if got := mustOK(t, u.Run("-s", "ws0")); got != fresh {
		t.Fatal("the refreshed token was not cached")
	}
	c := u.Cache("ws0")
	if c["token_url"] != p.TokenURL() {
		t.Fatalf("token_url = %v, want the pasted endpoint %s", c["token_url"], p.TokenURL())
	}
}

// Fifty processes need a token at the same moment and the cached one has
// expired: one refreshes, forty-nine wait and use its token. The provider
// rotates refresh tokens and rejects reuse, so a second refresh would fail.
func TestFiftyProcessesOneRefresh(t *testing.T) {
	p := StartProvider(t, testop.Options{AccessTokenLifetime: 2 * time.Minute, RevokeFamilyOnReuse: true})
	u := NewUser(t)
	u.PasteProfile(p)
	mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
	expire(t, u, "ws0")

	const n = 50
	tokens := u.RunAtOnce(t, n, "-s", "ws0")
	if len(tokens) != 1 {
		t.Fatalf("%d processes printed %d different tokens", n, len(tokens))
	}
	if got := p.Count("refresh_token"); got != 1 {
		t.Fatalf("provider saw %d refreshes, want exactly 1", got)
	}
}

// expire makes the session's cached access token expired, as time would.
func expire(t *testing.T, u *User, session string) {
	t.Helper()
	c := u.Cache(session)
	c["expires_at"] = float64(time.Now().Add(-time.Minute).Unix())
	u.WriteCache(session, c)
}

// A cache file exactly as the Python client writes it (float expires_at,
// list scope, token_url, provider extras) is served while valid, refreshed
// when expired, and after our write every original field is still there in
// a form the Python client reads.
func TestPythonClientCacheServedAndRefreshed(t *testing.T) {
	p := StartProvider(t, testop.Options{AccessTokenLifetime: 2 * time.Minute})
	u := NewUser(t)
	u.PasteProfile(p)

	// Sign in the way the Python UserSession does, with x/oauth2 standing in
	// for requests-oauthlib.
	tok := exchangePackage(t, p, PastePackage(t, p))
	python := map[string]any{
		"access_token":   tok.AccessToken,
		"refresh_token":  tok.RefreshToken,
		"token_type":     "Bearer",
		"expires_in":     3599,
		"expires_at":     float64(time.Now().Add(time.Hour).UnixMicro()) / 1e6,
		"scope":          []string{"openid", "offline_access"},
		"id_token":       tok.Extra("id_token"),
		"ext_expires_in": 3599,
		"token_url":      p.TokenURL(),
		"not_before":     1732000000,
		"python_extra":   map[string]any{"kept": true},
	}
	u.WriteCache("py", python)
	if got := mustOK(t, u.Run("-s", "py")); got != tok.AccessToken {
		t.Fatal("a valid Python entry was not served as it is")
	}
	if n := p.Count("refresh_token"); n != 0 {
		t.Fatalf("a valid Python entry caused %d refreshes", n)
	}

	python["expires_at"] = float64(time.Now().Add(-time.Minute).UnixMicro()) / 1e6
	u.WriteCache("py", python)
	fresh := mustOK(t, u.Run("-s", "py"))
	if fresh == tok.AccessToken || p.Count("refresh_token") != 1 {
		t.Fatalf("an expired Python entry was not refreshed once (refreshes: %d)", p.Count("refresh_token"))
	}

	after := u.Cache("py")
	for k := range python {
		if _, ok := after[k]; !ok {
			t.Errorf("field %q of the Python entry was lost", k)
		}
	}
	// What the Python client reads, with the types it expects.
	if s, _ := after["access_token"].(string); s != fresh {
		t.Error("access_token is not the new token")
	}
	if s, _ := after["refresh_token"].(string); s == "" || s == tok.RefreshToken {
		t.Error("refresh_token is not the rotated one")
	}
	if at, ok := after["expires_at"].(float64); !ok || at < float64(time.Now().Unix()) {
		t.Errorf("expires_at = %v, want future epoch seconds", after["expires_at"])
	}
	if _, ok := after["scope"].([]any); !ok {
		t.Errorf("scope = %v, want a list as oauthlib stores it", after["scope"])
	}
	if after["token_url"] != p.TokenURL() || after["not_before"] != float64(1732000000) {
		t.Error("token_url or a provider extra changed")
	}
	if extra, _ := after["python_extra"].(map[string]any); extra["kept"] != true {
		t.Error("an unknown nested field was not kept as it was")
	}
	if _, ok := after["fourinsight_token"].(map[string]any); !ok {
		t.Error("our own fields are not under the namespaced key")
	}
}

// status lists sessions without ever printing a token; logout forgets one.
func TestStatusAndLogout(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.PasteProfile(p)
	mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
	tok := mustOK(t, u.Run("-s", "ws0"))

	st := u.Run("status", "--json")
	mustOK(t, st)
	if strings.Contains(st.Stdout, tok) || strings.Contains(st.Stdout, u.Cache("ws0")["refresh_token"].(string)) {
		t.Fatal("status printed a token")
	}
	var sessions []map[string]any
	if err := json.Unmarshal([]byte(st.Stdout), &sessions); err != nil || len(sessions) != 1 {
		t.Fatalf("status --json: %v\n%s", err, st.Stdout)
	}
	s := sessions[0]
	if s["session"] != "ws0" || s["flow"] != "paste" || s["refresh_token"] != true || s["valid"] != true || s["subject"] != testop.TestUserSubject {
		t.Fatalf("status --json = %v", s)
	}
	table := mustOK(t, u.Run("status"))
	if !strings.Contains(table, "ws0") || !strings.Contains(table, "paste") {
		t.Fatalf("status table lacks the session:\n%s", table)
	}

	out := u.Run("logout", "-s", "ws0")
	mustOK(t, out)
	if _, err := os.Stat(u.CachePath("ws0")); !os.IsNotExist(err) {
		t.Fatalf("logout left the cache file: %v", err)
	}
	if st := mustOK(t, u.Run("status", "--json")); strings.TrimSpace(st) != "[]" {
		t.Fatalf("status after logout = %s", st)
	}
	// A session that needs a sign-in, with no terminal: exit 3 and what to run.
	r := u.Run("-s", "ws0")
	if r.Code != 3 || !strings.Contains(problem(t, r), "fourinsight-token login -s ws0") {
		t.Fatalf("after logout: exit %d, %s", r.Code, r.Stderr)
	}
}

// Every bad input ends in the contract's exit code and one clear line, and
// loses nothing.
func TestBadInput(t *testing.T) {
	p := StartProvider(t, testop.Options{})

	t.Run("bad session key", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		r := u.Run("-s", "../etc/passwd")
		if r.Code != 2 || !strings.Contains(problem(t, r), "invalid session key") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
		if _, err := os.Stat(u.CacheDir); !os.IsNotExist(err) {
			t.Fatal("a bad key created the cache directory")
		}
	})

	t.Run("cache writable by others is refused and kept", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		mustOK(t, u.Run("-s", "svc"))
		before, _ := os.ReadFile(u.CachePath("svc"))
		os.Chmod(u.CachePath("svc"), 0o666)
		r := u.Run("-s", "svc")
		if r.Code != 2 || !strings.Contains(problem(t, r), "chmod 0600") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
		if after, _ := os.ReadFile(u.CachePath("svc")); string(after) != string(before) {
			t.Fatal("the refused cache file was changed")
		}
	})

	t.Run("cache directory writable by others is refused", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		mustOK(t, u.Run("-s", "svc"))
		os.Chmod(u.CacheDir, 0o777)
		r := u.Run("-s", "svc")
		if r.Code != 2 || !strings.Contains(problem(t, r), "writable by other users") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
	})

	t.Run("cache readable by others is tightened with a notice", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		tok := mustOK(t, u.Run("-s", "svc"))
		os.Chmod(u.CachePath("svc"), 0o644)
		r := u.Run("-s", "svc")
		if mustOK(t, r) != tok || !strings.Contains(r.Stderr, "tightened to 0600") {
			t.Fatalf("not served with a notice: %s", r.Stderr)
		}
		if info, _ := os.Stat(u.CachePath("svc")); info.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, want 0600", info.Mode().Perm())
		}
	})

	t.Run("cache owned by another user is refused", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give a file away")
		}
		u := NewUser(t)
		u.ServiceAccount(p)
		mustOK(t, u.Run("-s", "svc"))
		os.Chown(u.CachePath("svc"), 65534, 65534)
		r := u.Run("-s", "svc")
		if r.Code != 2 || !strings.Contains(problem(t, r), "belongs to another user") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
	})

	t.Run("cache that is a symlink is refused", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		os.MkdirAll(u.CacheDir, 0o700)
		target := filepath.Join(u.Home, "elsewhere")
		os.WriteFile(target, []byte(`{}`), 0o600)
		os.Symlink(target, u.CachePath("svc"))
		r := u.Run("-s", "svc")
		if r.Code != 2 || !strings.Contains(problem(t, r), "symbolic link") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
	})

	t.Run("torn cache file is treated as absent with a warning", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		os.MkdirAll(u.CacheDir, 0o700)
		os.WriteFile(u.CachePath("svc"), []byte(`{"access_token": "abc`), 0o600)
		r := u.Run("-s", "svc")
		mustOK(t, r)
		if !strings.Contains(r.Stderr, "not valid JSON") {
			t.Fatalf("no warning about the torn file:\n%s", r.Stderr)
		}
		if _, ok := u.Cache("svc")["access_token"].(string); !ok {
			t.Fatal("the torn file was not replaced by a good entry")
		}
	})

	t.Run("pasted garbage sends nothing", func(t *testing.T) {
		u := NewUser(t)
		u.PasteProfile(p)
		before := p.Count("token")
		r := u.RunInput("hello, here is my code\n", "login", "-s", "ws0")
		if r.Code != 2 || !strings.Contains(afterPrompt(t, r), `{"endpoint": ..., "code": ...}`) {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
		if p.Count("token") != before {
			t.Fatal("garbage reached the provider")
		}
	})

	t.Run("untrusted pasted endpoint sends nothing", func(t *testing.T) {
		var hits atomic.Int32
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		defer evil.Close()
		u := NewUser(t)
		u.PasteProfile(p)
		// The profile trusts 127.0.0.1 (its own host); localhost is another host.
		endpoint := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) + "/token"
		r := u.RunInput(`{"endpoint":"`+endpoint+`","code":"stolen-code-0123456789"}`, "login", "-s", "ws0")
		if r.Code != 2 || !strings.Contains(afterPrompt(t, r), "not one of the profile's hosts; nothing was sent") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
		if hits.Load() != 0 {
			t.Fatal("the code was sent to an untrusted endpoint")
		}
	})

	t.Run("provider 503 twice then OK", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		before := p.Count("client_credentials")
		p.FailNext(2, http.StatusServiceUnavailable)
		mustOK(t, u.Run("-s", "svc"))
		if got := p.Count("client_credentials") - before; got != 3 {
			t.Fatalf("provider saw %d attempts, want 3", got)
		}
	})

	t.Run("provider keeps failing", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		p.FailNext(3, http.StatusBadGateway)
		r := u.Run("-s", "svc")
		if r.Code != 5 || !strings.Contains(problem(t, r), "502") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
		if _, err := os.Stat(u.CachePath("svc")); !os.IsNotExist(err) {
			t.Fatal("a failed sign-in wrote the cache")
		}
	})

	t.Run("provider down", func(t *testing.T) {
		down := httptest.NewServer(http.NotFoundHandler())
		down.Close()
		u := NewUser(t)
		u.Setenv("FOURINSIGHT_TOKEN_URL="+down.URL+"/token", "FOURINSIGHT_CLIENT_ID=svc", "FOURINSIGHT_CLIENT_SECRET=s3cret-value-123")
		r := u.Run("-s", "svc", "--timeout", "2s")
		if r.Code != 5 || !strings.Contains(problem(t, r), "cannot reach") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
	})

	t.Run("wrong client secret", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		u.Setenv("FOURINSIGHT_CLIENT_SECRET=not-the-secret-at-all")
		secrets.Secret("not-the-secret-at-all")
		r := u.Run("-s", "svc")
		if r.Code != 4 || !strings.Contains(problem(t, r), "check the client id and secret") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
	})

	t.Run("refresh token refused falls through to sign-in", func(t *testing.T) {
		u := NewUser(t)
		u.PasteProfile(p)
		mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
		c := u.Cache("ws0")
		c["refresh_token"] = "revoked-refresh-token-0123456789"
		c["expires_at"] = float64(time.Now().Add(-time.Minute).Unix())
		u.WriteCache("ws0", c)
		r := u.Run("-s", "ws0")
		if r.Code != 3 || !strings.Contains(r.Stderr, "no longer accepts the refresh token") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
		if _, ok := u.Cache("ws0")["refresh_token"]; ok {
			t.Fatal("the refused refresh token was kept")
		}
	})

	t.Run("session made for another client is not reused", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		mustOK(t, u.Run("-s", "svc"))
		u.Setenv("FOURINSIGHT_CLIENT_ID=someone-else")
		r := u.Run("-s", "svc")
		if r.Code != 2 || !strings.Contains(problem(t, r), "use another --session") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
	})

	t.Run("CI never prompts", func(t *testing.T) {
		u := NewUser(t)
		u.PasteProfile(p)
		u.Setenv("CI=true")
		r := u.RunInput(PastePackage(t, p), "login", "-s", "ws0")
		if r.Code != 3 || !strings.Contains(problem(t, r), "CI=true is set") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
	})
}
