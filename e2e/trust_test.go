package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"github.com/gofrs/flock"
)

// Trust boundary: secrets go only where the settings trust, provider answers
// are checked before they are cached or printed, and no refresh loses the
// sign-in. Hostile providers here are small httptest handlers; everything
// else is the real binary and the real provider.

// counter is a server that must never be reached: it counts what it gets.
func counter(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	t.Cleanup(srv.Close)
	return srv, &n
}

// A token endpoint that redirects would have the client secret re-posted to
// wherever Location points: nothing is sent on, exit 2, one line naming the
// redirect's host.
func TestTokenEndpointRedirectSendsNothingOn(t *testing.T) {
	thief, stolen := counter(t)
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+"/collect", http.StatusTemporaryRedirect)
	}))
	defer redirecting.Close()
	u := NewUser(t)
	u.Setenv("FOURINSIGHT_TOKEN_URL="+redirecting.URL+"/token", "FOURINSIGHT_CLIENT_ID=svc", "FOURINSIGHT_CLIENT_SECRET=redirected-secret-123")
	secrets.Secret("redirected-secret-123")

	r := u.Run("-s", "svc")
	line := problem(t, r)
	if r.Code != 2 || !strings.Contains(line, strings.TrimPrefix(thief.URL, "http://")) || !strings.Contains(line, "redirect") {
		t.Fatalf("exit %d, %q; want exit 2 naming the redirect's host", r.Code, line)
	}
	if stolen.Load() != 0 {
		t.Fatalf("the redirect target received %d requests", stolen.Load())
	}
}

// An OpenID discovery document that names a clear-text token endpoint does
// not get the client secret: exit 2 before anything is sent there.
func TestDiscoveryNamingClearTextEndpointIsRefused(t *testing.T) {
	var issuer string
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": issuer, "authorization_endpoint": issuer + "/authorize", "jwks_uri": issuer + "/keys",
			"token_endpoint": "http://token.example.com/token",
		})
	}))
	defer idp.Close()
	issuer = idp.URL
	u := NewUser(t)
	u.Setenv("FOURINSIGHT_ISSUER="+issuer, "FOURINSIGHT_CLIENT_ID=svc", "FOURINSIGHT_CLIENT_SECRET=discovery-secret-123")
	secrets.Secret("discovery-secret-123")
	r := u.Run("-s", "svc")
	if line := problem(t, r); r.Code != 2 || !strings.Contains(line, "token_endpoint") {
		t.Fatalf("exit %d, %q; want exit 2 naming the token_endpoint", r.Code, line)
	}
}

// A cache entry written by someone else (as the Python client writes them,
// without our record) that names a token endpoint on a host the profile does
// not trust: its valid access token may be served, but its refresh token and
// the client secret are never sent there.
func TestCachedTokenURLOnAnUntrustedHost(t *testing.T) {
	elsewhere, reached := counter(t)
	// localhost, not 127.0.0.1: a host the built-in 4insight profile does
	// not trust, reachable over plain http because it is loopback.
	tokenURL := strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1) + "/token"
	u := NewUser(t)
	entry := map[string]any{
		"access_token": "still-valid-access-token", "refresh_token": "planted-refresh-token",
		"token_type": "Bearer", "expires_at": float64(time.Now().Add(time.Hour).Unix()), "token_url": tokenURL,
	}
	secrets.Secret("planted-refresh-token")
	u.WriteCache("py", entry)
	if got := mustOK(t, u.Run("-s", "py")); got != "still-valid-access-token" {
		t.Fatalf("the valid access token was not served: %q", got)
	}

	entry["expires_at"] = float64(time.Now().Add(-time.Minute).Unix())
	u.WriteCache("py", entry)
	r := u.Run("-s", "py")
	line := problem(t, r)
	if r.Code != 2 || !strings.Contains(line, "localhost") || !strings.Contains(line, "trust") {
		t.Fatalf("exit %d, %q; want exit 2 naming the untrusted host", r.Code, line)
	}
	if reached.Load() != 0 {
		t.Fatalf("the untrusted token endpoint received %d requests", reached.Load())
	}
	if u.Cache("py")["refresh_token"] != "planted-refresh-token" {
		t.Fatal("the entry was changed")
	}
}

// A URL with a password in it is refused wherever it comes from, and the
// password is not repeated in the refusal.
func TestURLsWithUserInfoAreRefused(t *testing.T) {
	const pw = "hunter2-in-the-url"
	secrets.Secret(pw)
	u := NewUser(t)
	for _, args := range [][]string{
		{"--issuer", "https://alice:" + pw + "@idp.example.com", "--client-id", "c"},
		{"--token-url", "https://alice:" + pw + "@idp.example.com/token", "--client-id", "c", "--flow", "client"},
	} {
		r := u.Run(args...)
		if line := problem(t, r); r.Code != 2 || strings.Contains(line, pw) || !strings.Contains(line, "user name or password") {
			t.Fatalf("%v: exit %d, %q; want exit 2 without the password", args, r.Code, line)
		}
	}
}

// A provider whose access token would inject a header (or a line) into
// every consumer's output: nothing is printed, nothing is cached.
func TestInjectingAccessTokenIsNeitherPrintedNorCached(t *testing.T) {
	for name, body := range map[string]string{
		"line break": `{"access_token":"AT\r\nX-Injected: yes","token_type":"Bearer","expires_in":3600}`,
		"mac token":  `{"access_token":"abcdef","token_type":"mac","expires_in":3600}`,
		"expired":    `{"access_token":"abcdef","token_type":"Bearer","expires_in":0}`,
	} {
		t.Run(name, func(t *testing.T) {
			idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, body)
			}))
			defer idp.Close()
			u := NewUser(t)
			u.Setenv("FOURINSIGHT_TOKEN_URL="+idp.URL, "FOURINSIGHT_CLIENT_ID=svc", "FOURINSIGHT_CLIENT_SECRET=inject-secret-123")
			r := u.Run("-s", "svc", "-o", "header")
			problem(t, r)
			if r.Code == 0 {
				t.Fatal("the answer was accepted")
			}
			if _, err := os.Stat(u.CachePath("svc")); err == nil {
				t.Fatal("the answer was cached")
			}
		})
	}
}

// A provider that says nothing about the token's lifetime: a JWT's exp claim
// is used, else the default lifetime, so that ten calls make one request.
func TestNoExpiresInStillCaches(t *testing.T) {
	var requests atomic.Int32
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"opaque-token-%d","token_type":"Bearer"}`, requests.Load())
	}))
	defer idp.Close()
	u := NewUser(t)
	u.Setenv("FOURINSIGHT_TOKEN_URL="+idp.URL, "FOURINSIGHT_CLIENT_ID=svc", "FOURINSIGHT_CLIENT_SECRET=lifetime-secret-123")
	for range 10 {
		mustOK(t, u.Run("-s", "svc"))
	}
	if n := requests.Load(); n > 2 {
		t.Fatalf("10 calls made %d token requests, want at most 2", n)
	}
	left := time.Until(time.Unix(int64(u.Cache("svc")["expires_at"].(float64)), 0))
	if left < 8*time.Minute || left > 10*time.Minute {
		t.Fatalf("the token was cached for %s, want the 10m default lifetime", left)
	}
	// --default-lifetime says otherwise, and is used for the next sign-in.
	mustOK(t, u.Run("-s", "svc", "--force", "--default-lifetime", "2h"))
	if left := time.Until(time.Unix(int64(u.Cache("svc")["expires_at"].(float64)), 0)); left < 119*time.Minute {
		t.Fatalf("--default-lifetime 2h cached the token for %s", left)
	}
}

// SIGTERM while a refresh is in flight: the provider has already rotated the
// refresh token, so abandoning its answer would lose the sign-in. The answer
// is read and saved, then the process ends with SIGTERM's status, and the
// next call refreshes with the new refresh token.
func TestSignalDuringRefreshKeepsTheSignIn(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			p := StartProvider(t, testop.Options{AccessTokenLifetime: 2 * time.Minute, RevokeFamilyOnReuse: true})
			u := NewUser(t)
			u.PasteProfile(p)
			mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
			before := u.Cache("ws0")["refresh_token"]
			expire(t, u, "ws0")

			p.SlowToken(1500 * time.Millisecond)
			cmd := u.Command("-s", "ws0")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return p.Count("refresh_token") == 1 }, "the refresh to reach the provider")
			time.Sleep(100 * time.Millisecond)
			cmd.Process.Signal(sig)
			r := u.Finish(cmd)
			p.SlowToken(0)

			if r.Code != 128+int(sig) || r.Stdout != "" {
				t.Fatalf("exit %d, stdout %q; want %d and nothing printed\n%s", r.Code, r.Stdout, 128+int(sig), r.Stderr)
			}
			if line := problem(t, r); !strings.Contains(line, "stopped by") {
				t.Fatalf("stderr: %q", line)
			}
			if after := u.Cache("ws0")["refresh_token"]; after == before {
				t.Fatal("the rotated refresh token was not saved")
			}
			mustOK(t, u.Run("-s", "ws0", "--min-valid", "3m")) // needs another refresh
			if n := p.Count("refresh_token"); n != 2 {
				t.Fatalf("provider saw %d refreshes, want 2", n)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mountTmpfs mounts a tmpfs of size bytes on dir for the test (as root only,
// which CI is: there the test must run).
func mountTmpfs(t *testing.T, dir string, size int) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("this test needs root to mount a small file system")
		}
		t.Skip("needs root to mount a small file system")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

// A full disk or a read-only cache directory: the caller still gets the
// token it asked for, and one line says the cache could not be updated.
func TestCacheThatCannotBeWrittenStillGivesTheToken(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	t.Run("full disk", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		mountTmpfs(t, u.CacheDir, 64<<10)
		filler, _ := os.Create(filepath.Join(u.CacheDir, "filler"))
		filler.Write(make([]byte, 128<<10)) // fills it: ENOSPC part way
		filler.Close()

		r := u.Run("-s", "svc")
		tok := mustOK(t, r)
		if strings.Count(tok, ".") != 2 {
			t.Fatalf("stdout is not a token: %q", tok)
		}
		if line := warning(t, r); !strings.Contains(line, "could not update the cached session svc") {
			t.Fatalf("warning: %q", line)
		}
	})
	t.Run("read-only directory", func(t *testing.T) {
		u := NewUser(t)
		u.ServiceAccount(p)
		mountTmpfs(t, u.CacheDir, 1<<20)
		mustOK(t, u.Run("-s", "svc"))
		expire(t, u, "svc")
		if out, err := exec.Command("mount", "-o", "remount,ro", u.CacheDir).CombinedOutput(); err != nil {
			t.Fatalf("remount: %v: %s", err, out)
		}
		r := u.Run("-s", "svc")
		mustOK(t, r)
		if line := warning(t, r); !strings.Contains(line, "could not update the cached session svc") {
			t.Fatalf("warning: %q", line)
		}
	})
}

// warning returns the one line a successful run printed for the user.
func warning(t *testing.T, r Result) string {
	t.Helper()
	return problem(t, Result{Stderr: r.Stderr, Code: r.Code})
}

// During an outage the callers queued on the lock share the one that tried:
// fifty callers make no more requests than one caller's retries, and each
// says what happened in one line (exit 5).
func TestQueuedCallersShareAnOutage(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	p.FailNext(1000, http.StatusServiceUnavailable)
	u := NewUser(t)
	u.ServiceAccount(p)

	const n = 50
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmds[i] = u.Command("-s", "svc")
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	shared := 0
	for _, c := range cmds {
		r := u.Finish(c)
		if line := problem(t, r); r.Code != 5 {
			t.Fatalf("exit %d: %s", r.Code, line)
		} else if strings.Contains(line, "another fourinsight-token tried") {
			shared++
		}
	}
	if got := p.Count("token"); got > 6 {
		t.Fatalf("%d callers made %d token requests during the outage, want at most 6", n, got)
	}
	if shared < n-2 {
		t.Fatalf("only %d of %d callers shared the outage", shared, n)
	}
	// A caller right after the outage is told at once; one that comes once
	// the outage window has passed tries again.
	p.FailNext(0, 0)
	if r := u.Run("-s", "svc"); r.Code != 5 || !strings.Contains(problem(t, r), "try again in") {
		t.Fatalf("a caller within the outage window: exit %d", r.Code)
	}
	marker := filepath.Join(u.CacheDir, ".token.svc.outage")
	data, err := os.ReadFile(marker)
	if err != nil {
		t.Fatalf("no outage marker: %v", err)
	}
	var o map[string]any
	json.Unmarshal(data, &o)
	o["at"] = time.Now().Add(-11 * time.Second).UTC().Format(time.RFC3339Nano)
	data, _ = json.Marshal(o)
	os.WriteFile(marker, data, 0o600)
	mustOK(t, u.Run("-s", "svc"))
}

// Durations mean what they say: --lock-timeout 0s tries the lock once,
// --min-valid 0s serves a token until it expires, a negative one is a usage
// error.
func TestZeroAndNegativeDurations(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	mustOK(t, u.Run("-s", "svc"))
	c := u.Cache("svc")
	c["expires_at"] = float64(time.Now().Add(30 * time.Second).Unix())
	u.WriteCache("svc", c)

	if got := mustOK(t, u.Run("-s", "svc", "--min-valid", "0s")); got != c["access_token"] {
		t.Fatal("--min-valid 0s did not serve a token with 30s left")
	}
	if n := p.Count("token"); n != 1 {
		t.Fatalf("--min-valid 0s made %d token requests, want none after the first", n-1)
	}

	l := flock.New(u.CachePath("svc") + ".lock")
	if err := l.Lock(); err != nil {
		t.Fatal(err)
	}
	r := u.Run("-s", "svc", "--lock-timeout", "0s") // needs the lock: 30s < 1m
	l.Unlock()
	if line := problem(t, r); r.Code != 5 || !strings.Contains(line, "timed out waiting") {
		t.Fatalf("--lock-timeout 0s with the lock held: exit %d, %q", r.Code, line)
	}

	for _, args := range [][]string{{"--min-valid", "-1m"}, {"--timeout", "-5s"}, {"--lock-timeout", "-1s"}, {"--timeout", "0s"}} {
		r := u.Run(append([]string{"-s", "svc"}, args...)...)
		if line := problem(t, r); r.Code != 2 || !strings.Contains(line, args[0]) {
			t.Fatalf("%v: exit %d, %q; want exit 2 naming the flag", args, r.Code, line)
		}
	}
}

// Exit codes keep the contract: 429 is "no answer in time" (5) even with an
// OAuth error body; a bad KUBERNETES_EXEC_INFO is a usage error (2).
func TestExitCodesKeepTheContract(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	p.FailNext(3, http.StatusTooManyRequests)
	if r := u.Run("-s", "svc"); r.Code != 5 {
		t.Fatalf("429 three times: exit %d, want 5\n%s", r.Code, r.Stderr)
	}
	u.Setenv("KUBERNETES_EXEC_INFO={not json")
	if r := u.Run("-s", "svc", "-o", "exec-credential"); r.Code != 2 {
		t.Fatalf("bad KUBERNETES_EXEC_INFO: exit %d, want 2\n%s", r.Code, r.Stderr)
	}
}

// The command exec runs does not inherit the variable the client secret came
// from; it gets the token it asked for.
func TestExecChildInheritsNoSecret(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	out := mustOK(t, u.Run("-s", "svc", "exec", "--", "env"))
	if strings.Contains(out, "FOURINSIGHT_CLIENT_SECRET") || strings.Contains(out, testop.ServiceClientSecret) {
		t.Fatal("the child's environment holds the client secret")
	}
	if !strings.Contains(out, "FOURINSIGHT_ACCESS_TOKEN=") {
		t.Fatal("the child did not get the token")
	}
}

// Pasted text reaches the terminal without escape sequences, and the pasted
// code is never echoed.
func TestPastedGarbageIsNotEchoed(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.PasteProfile(p)
	const code = "pasted-code-never-echoed"
	secrets.Secret(code)
	for _, pkg := range []string{
		`{"endpoint":"https://evil.example/\u001b]0;owned\u0007token","code":"` + code + `"}`,
		`{"endpoint":"https://evil.example/token","code":"` + code + `"}`,
		`{"endpoint":"http://user:pw@127.0.0.1/token","code":"` + code + `"}`,
	} {
		r := u.RunInput(pkg, "login", "-s", "ws0")
		line := afterPrompt(t, r)
		if r.Code != 2 || strings.ContainsAny(line, "\x1b\x07") || strings.Contains(line, code) {
			t.Fatalf("exit %d, %q; want exit 2 without escapes or the code", r.Code, line)
		}
	}
	if n := p.Count("token"); n != 0 {
		t.Fatalf("the provider saw %d token requests", n)
	}
}
