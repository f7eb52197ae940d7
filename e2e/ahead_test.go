package e2e

// Refresh ahead: a token served inside the last part of its lifetime is
// renewed by a detached background process, so that no caller waits on the
// provider — here a provider whose token endpoint takes 2 seconds.

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// sixMinutes is a provider whose tokens live 6 minutes, so that the default
// refresh-ahead window is their last 2.
func sixMinutes(t *testing.T) *testop.Provider {
	return StartProvider(t, testop.Options{AccessTokenLifetime: 6 * time.Minute})
}

// quiet drops FOURINSIGHT_VERBOSE, so that stderr is what a user sees.
func (u *User) quiet() { u.Env = without(u.Env, "FOURINSIGHT_VERBOSE") }

// intoWindow moves the session's cached token (6 minutes' lifetime) to 100
// seconds before its expiry, as time would: inside the default window (the
// last 2 minutes), still valid for the default --min-valid of a minute.
func (u *User) intoWindow(session string) {
	u.t.Helper()
	c := u.Cache(session)
	exp := time.Now().Add(100 * time.Second)
	c["expires_at"] = float64(exp.Unix())
	if m, ok := c["fourinsight_token"].(map[string]any); ok {
		m["issued"] = exp.Add(-6 * time.Minute).UTC().Format(time.RFC3339)
	}
	u.WriteCache(session, c)
}

// capture runs fourinsight-token as $(…) does: stdout and stderr are pipes,
// and it returns when both are closed.
func (u *User) capture(args ...string) Result {
	u.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env, cmd.Dir = u.Env, u.Home
	setNoTTY(cmd)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // a pipe: Output waits until it is closed too
	out, err := cmd.Output()
	r := Result{Stdout: string(out), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatalf("running %v: %v", args, err)
	}
	secrets.Secret(strings.TrimSpace(r.Stdout))
	secrets.stderr(u.t.Name()+" "+strings.Join(args, " "), r.Stderr)
	return r
}

// eventually polls cond for up to a minute: the machine may be loaded.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %s", what)
		}
	}
}

// backgroundOf is the outcome of the last background refresh recorded in an
// entry, or nil.
func backgroundOf(entry map[string]any) map[string]any {
	m, _ := entry["fourinsight_token"].(map[string]any)
	bg, _ := m["background_refresh"].(map[string]any)
	return bg
}

// backgroundProcesses lists the user's background refreshes still running
// (Linux: read from /proc).
func (u *User) backgroundProcesses() []string {
	cli := filepath.Join(filepath.Dir(binary), "fourinsight-token-cli")
	var found []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !bytes.HasPrefix(cmdline, []byte(cli+"\x00refresh-ahead")) {
			continue
		}
		env, _ := os.ReadFile(filepath.Join(d, "environ"))
		if bytes.Contains(env, []byte("HOME="+u.Home+"\x00")) {
			found = append(found, strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return found
}

// aheadUser is a user whose background refreshes must all have ended when
// the test does (before its directories are removed): none outlives its work.
func aheadUser(t *testing.T) *User {
	u := NewUser(t)
	t.Cleanup(func() {
		if runtime.GOOS == "linux" {
			eventually(t, "a background refresh outlived its work", func() bool { return len(u.backgroundProcesses()) == 0 })
		}
	})
	return u
}

// The story: a person's session is inside its refresh-ahead window and the
// provider is slow. The call returns the cached token at once, byte for
// byte what a plain get prints, with its pipes closed while the refresh is
// still under way; the session is renewed once, behind its back; status
// says so; and the background process is gone when its work is done.
func TestRefreshAheadServesAtOnceAndRenewsInTheBackground(t *testing.T) {
	p := sixMinutes(t)
	u := aheadUser(t)
	u.PasteProfile(p)
	mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
	u.quiet()
	u.intoWindow("ws0")
	p.SlowToken(2 * time.Second)
	old := u.Cache("ws0")["access_token"].(string)

	// What a plain get prints for this entry, refresh ahead turned off.
	for _, args := range [][]string{{"-s", "ws0"}, {"-s", "ws0", "-o", "header"}} {
		plain := u.capture(append(args, "--refresh-ahead", "0")...)
		got := u.capture(args...)
		if got != plain || got.Code != 0 || got.Stderr != "" || !strings.Contains(got.Stdout, old) {
			t.Fatalf("%v inside the window: %+v; a plain get: %+v", args, got, plain)
		}
		// The provider takes 2 seconds to answer: the caller's pipes
		// closed before the background refresh could finish.
		if u.Cache("ws0")["access_token"] != old {
			t.Fatal("the call returned only after the session was renewed")
		}
		if runtime.GOOS == "linux" && args[len(args)-1] == "ws0" {
			// It is running now, waiting on the provider (which also
			// shows that the check for leftovers can see it).
			eventually(t, "no background refresh is running", func() bool { return len(u.backgroundProcesses()) == 1 })
		}
	}
	if u.Cache("ws0")["access_token"] != old {
		t.Fatal("the session was renewed before the caller had its answer")
	}

	eventually(t, "the session was not renewed in the background", func() bool {
		return u.Cache("ws0")["access_token"] != old
	})
	if n := p.Count("refresh_token"); n != 1 {
		t.Fatalf("the provider saw %d refreshes, want 1", n)
	}
	c := u.Cache("ws0")
	secrets.Secret(c["access_token"].(string))
	if bg := backgroundOf(c); bg == nil || bg["result"] != "renewed" {
		t.Fatalf("recorded outcome %v, want renewed", bg)
	}
	if got := mustOK(t, u.Run("-s", "ws0")); got != c["access_token"] {
		t.Fatal("the renewed token is not served")
	}
	table := mustOK(t, u.Run("status"))
	if !strings.Contains(table, "LAST BACKGROUND REFRESH") || !strings.Contains(table, "renewed") {
		t.Fatalf("status does not show the background refresh:\n%s", table)
	}
	var sessions []map[string]any
	if err := json.Unmarshal([]byte(mustOK(t, u.Run("status", "--json"))), &sessions); err != nil || len(sessions) != 1 {
		t.Fatalf("status --json: %v %v", err, sessions)
	}
	if bg, _ := sessions[0]["background_refresh"].(map[string]any); bg == nil || bg["result"] != "renewed" {
		t.Fatalf("status --json background_refresh = %v", sessions[0]["background_refresh"])
	}
	if runtime.GOOS == "linux" {
		eventually(t, "a background refresh outlived its work", func() bool { return len(u.backgroundProcesses()) == 0 })
	}
}

// Fifty callers inside the window at the same moment: all are served the
// cached token at once, one background refresh runs, and the provider sees
// exactly one request.
func TestRefreshAheadFiftyCallersOneRefresh(t *testing.T) {
	p := sixMinutes(t)
	u := aheadUser(t)
	u.PasteProfile(p)
	mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
	u.intoWindow("ws0")
	p.SlowToken(2 * time.Second)
	old := u.Cache("ws0")["access_token"].(string)

	tokens := u.RunAtOnce(t, 50, "-s", "ws0")
	fresh := ""
	for tok := range tokens {
		if tok != old {
			fresh = tok // a caller that came after the renewal
		}
	}
	if len(tokens) > 2 || tokens[old] == 0 {
		t.Fatalf("50 callers printed %d different tokens, want the cached one (and the renewed one after it)", len(tokens))
	}
	eventually(t, "the session was not renewed in the background", func() bool {
		return u.Cache("ws0")["access_token"] != old
	})
	if fresh != "" && u.Cache("ws0")["access_token"] != fresh {
		t.Fatal("a caller printed a token that is not the renewed one")
	}
	if runtime.GOOS == "linux" {
		eventually(t, "a background refresh outlived its work", func() bool { return len(u.backgroundProcesses()) == 0 })
	}
	if n := p.Count("token"); n != 2 { // the sign-in and one refresh
		t.Fatalf("the provider saw %d token requests, want the sign-in and one refresh", n)
	}
}

// On a bad day the provider does not answer: the still-valid token is
// served and kept, status says the background refresh failed, and callers
// do not start one refresh after another.
func TestRefreshAheadOutageKeepsTheToken(t *testing.T) {
	p := sixMinutes(t)
	u := aheadUser(t)
	u.ServiceAccount(p) // renewed with client credentials: no refresh token
	tok := mustOK(t, u.Run("-s", "svc"))
	u.intoWindow("svc")
	p.FailNext(1000, 503)

	if got := mustOK(t, u.Run("-s", "svc")); got != tok {
		t.Fatal("inside the window the cached token was not served")
	}
	eventually(t, "no outcome was recorded", func() bool { return backgroundOf(u.Cache("svc")) != nil })
	c := u.Cache("svc")
	if bg := backgroundOf(c); bg["result"] != "failed" || !strings.Contains(bg["detail"].(string), "503") {
		t.Fatalf("recorded %v, want a failure that names the 503", bg)
	}
	if c["access_token"] != tok {
		t.Fatal("an outage changed the cached token")
	}
	tried := p.Count("client_credentials")
	for range 5 {
		if got := mustOK(t, u.Run("-s", "svc")); got != tok {
			t.Fatal("after the failure the cached token was not served")
		}
	}
	time.Sleep(time.Second)
	if n := p.Count("client_credentials"); n != tried {
		t.Fatalf("callers after the failure started more refreshes (%d requests, then %d)", tried, n)
	}
	st := mustOK(t, u.Run("status", "-s", "svc"))
	if !strings.Contains(st, "failed") {
		t.Fatalf("status does not show the failure:\n%s", st)
	}
}

// A refresh token the provider refuses is dropped by the background refresh
// as by a foreground one; the access token it still has is served on. No
// browser, no prompt.
func TestRefreshAheadRefusedRefreshTokenIsDropped(t *testing.T) {
	p := sixMinutes(t)
	u := aheadUser(t)
	u.PasteProfile(p)
	mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
	u.intoWindow("ws0")
	c := u.Cache("ws0")
	c["refresh_token"] = "a-refresh-token-the-provider-never-issued"
	delete(c["fourinsight_token"].(map[string]any), "refresh_token_sha256") // still our record
	u.WriteCache("ws0", c)
	tok := c["access_token"].(string)
	signIns := p.Count("authorize")

	if got := mustOK(t, u.Run("-s", "ws0")); got != tok {
		t.Fatal("inside the window the cached token was not served")
	}
	eventually(t, "no outcome was recorded", func() bool { return backgroundOf(u.Cache("ws0")) != nil })
	c = u.Cache("ws0")
	if bg := backgroundOf(c); bg["result"] != "refused" {
		t.Fatalf("recorded %v, want refused", bg)
	}
	if _, ok := c["refresh_token"]; ok || c["access_token"] != tok {
		t.Fatalf("want the refresh token dropped and the access token kept; refresh token present: %v", ok)
	}
	if n := p.Count("authorize"); n != signIns {
		t.Fatal("the background refresh started a sign-in")
	}
	if got := mustOK(t, u.Run("-s", "ws0")); got != tok {
		t.Fatal("the still-valid token was not served after the refusal")
	}
}

// An entry the Python client wrote (expires_in, no record of ours) has the
// same window: its last third, here of an hour's token capped at 10 minutes.
func TestRefreshAheadPythonEntry(t *testing.T) {
	p := sixMinutes(t)
	u := aheadUser(t)
	u.PasteProfile(p)
	tok := exchangePackage(t, p, PastePackage(t, p))
	secrets.Secret(tok.AccessToken)
	secrets.Secret(tok.RefreshToken)
	u.WriteCache("py", map[string]any{
		"access_token": tok.AccessToken, "refresh_token": tok.RefreshToken, "token_type": "Bearer",
		"expires_in": 3599, "expires_at": float64(time.Now().Add(5*time.Minute).UnixMicro()) / 1e6,
		"scope": []string{"openid", "offline_access"}, "token_url": p.TokenURL(),
	})
	if got := mustOK(t, u.Run("-s", "py")); got != tok.AccessToken {
		t.Fatal("the Python entry was not served")
	}
	eventually(t, "the Python entry was not renewed in the background", func() bool {
		return u.Cache("py")["access_token"] != tok.AccessToken
	})
	if n := p.Count("refresh_token"); n != 1 {
		t.Fatalf("the provider saw %d refreshes, want 1", n)
	}
	c := u.Cache("py")
	secrets.Secret(c["access_token"].(string))
	if bg := backgroundOf(c); bg == nil || bg["result"] != "renewed" || c["scope"] == nil || c["token_url"] != p.TokenURL() {
		t.Fatalf("after the background refresh: outcome %v, scope %v, token_url %v", bg, c["scope"], c["token_url"])
	}
}

// Refresh ahead is off with --refresh-ahead 0 (or its variable) and with
// --no-store; a window as long as the lifetime renews at once.
func TestRefreshAheadSettings(t *testing.T) {
	p := sixMinutes(t)
	u := aheadUser(t)
	u.ServiceAccount(p)
	tok := mustOK(t, u.Run("-s", "svc"))
	u.intoWindow("svc")

	mustOK(t, u.Run("-s", "svc", "--refresh-ahead", "0"))
	u.Setenv("FOURINSIGHT_REFRESH_AHEAD=0")
	mustOK(t, u.Run("-s", "svc"))
	mustOK(t, u.Run("-s", "svc", "--no-store")) // signs in: a request of its own
	time.Sleep(time.Second)
	if n := p.Count("client_credentials"); n != 2 {
		t.Fatalf("with refresh ahead off the provider saw %d grants, want the sign-in and --no-store's", n)
	}
	if u.Cache("svc")["access_token"] != tok {
		t.Fatal("with refresh ahead off the session was renewed")
	}
	if r := u.Run("-s", "svc", "--refresh-ahead", "soon"); r.Code != 2 || !strings.Contains(problem(t, r), "--refresh-ahead") {
		t.Fatalf("a bad --refresh-ahead: exit %d\n%s", r.Code, r.Stderr)
	}

	// Outside the default window, but inside a fixed one of 10 minutes.
	u.Env = without(u.Env, "FOURINSIGHT_REFRESH_AHEAD")
	mustOK(t, u.Run("-s", "svc", "--refresh-ahead", "0", "--force"))
	renewed := u.Cache("svc")["access_token"]
	mustOK(t, u.Run("-s", "svc"))
	time.Sleep(time.Second)
	if u.Cache("svc")["access_token"] != renewed {
		t.Fatal("a fresh token was renewed outside the window")
	}
	mustOK(t, u.Run("-s", "svc", "--refresh-ahead", "10m"))
	eventually(t, "a fixed 10m window did not renew a 6m token", func() bool {
		return u.Cache("svc")["access_token"] != renewed
	})
	secrets.Secret(u.Cache("svc")["access_token"].(string))
}

// The keyring store is served by the full command line, which renews
// inside the window just the same, here for -o exec-credential.
func TestRefreshAheadKeyringStore(t *testing.T) {
	keyringHelper(t)
	p := sixMinutes(t)
	u := aheadUser(t)
	u.PasteProfile(p)
	u.Setenv("FOURINSIGHT_STORE=keyring", "FOURINSIGHT_KEYRING_BACKEND=file", "FOURINSIGHT_KEYRING_PASSWORD=refresh ahead test password")
	secrets.Secret("refresh ahead test password")
	mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
	m := u.KeyringEntry("ws0")
	old := m["access_token"].(string)
	exp := time.Now().Add(100 * time.Second)
	m["expires_at"] = float64(exp.Unix())
	m["fourinsight_token"].(map[string]any)["issued"] = exp.Add(-6 * time.Minute).UTC().Format(time.RFC3339)
	data, _ := json.Marshal(m)
	if r := u.Keyring(map[string]any{"op": "set", "key": itemName("ws0"), "data": string(data)})[0]; r["ok"] != true {
		t.Fatalf("keyring set: %v", r)
	}

	out := mustOK(t, u.Run("-s", "ws0", "-o", "exec-credential"))
	if !strings.Contains(out, old) {
		t.Fatal("inside the window the cached token was not served")
	}
	eventually(t, "the keyring session was not renewed in the background", func() bool {
		return u.KeyringEntry("ws0")["access_token"] != old
	})
	m = u.KeyringEntry("ws0")
	secrets.Secret(m["access_token"].(string))
	if bg := backgroundOf(m); bg == nil || bg["result"] != "renewed" {
		t.Fatalf("recorded outcome %v, want renewed", bg)
	}
	if n := p.Count("refresh_token"); n != 1 {
		t.Fatalf("the provider saw %d refreshes, want 1", n)
	}
	noTokenFiles(t, u)
}

// Commands of the full command line that use a cached token renew it just
// the same: here exec, for a service account, whose client secret the
// background refresh needs (the full command line keeps it out of its
// children's environment, but hands it to its own background process).
func TestRefreshAheadThroughExec(t *testing.T) {
	p := sixMinutes(t)
	u := aheadUser(t)
	u.ServiceAccount(p)
	tok := mustOK(t, u.Run("-s", "svc"))
	u.intoWindow("svc")
	mustOK(t, u.Run("-s", "svc", "exec", "--", "sh", "-c", `test -n "$FOURINSIGHT_ACCESS_TOKEN" && test -z "$FOURINSIGHT_CLIENT_SECRET"`))
	eventually(t, "the session was not renewed in the background", func() bool {
		return u.Cache("svc")["access_token"] != tok
	})
	secrets.Secret(u.Cache("svc")["access_token"].(string))
	if bg := backgroundOf(u.Cache("svc")); bg == nil || bg["result"] != "renewed" {
		t.Fatalf("recorded outcome %v, want renewed", bg)
	}
}

// A provider that accepts the connection and never answers: the background
// refresh gives up within --timeout and the retry budget, records the
// failure, and ends on its own.
func TestRefreshAheadEndsOnItsOwn(t *testing.T) {
	p := sixMinutes(t)
	u := aheadUser(t)
	u.ServiceAccount(p)
	tok := mustOK(t, u.Run("-s", "svc"))
	u.intoWindow("svc")
	p.SlowToken(time.Hour)
	u.Setenv("FOURINSIGHT_TIMEOUT=1s")

	if got := mustOK(t, u.Run("-s", "svc")); got != tok {
		t.Fatal("inside the window the cached token was not served")
	}
	eventually(t, "the background refresh did not give up", func() bool { return backgroundOf(u.Cache("svc")) != nil })
	if bg := backgroundOf(u.Cache("svc")); bg["result"] != "failed" || u.Cache("svc")["access_token"] != tok {
		t.Fatalf("recorded %v; want a failure and the token kept", bg)
	}
	if runtime.GOOS == "linux" {
		eventually(t, "the background refresh is still running", func() bool { return len(u.backgroundProcesses()) == 0 })
	}
}
