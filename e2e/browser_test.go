package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"golang.org/x/oauth2"
)

// A get without a terminal signs in through $BROWSER: one launch, PKCE S256
// and a nonce in the request, a listener on 127.0.0.1 only, a "you can close
// this tab" page, and the next get is served from the cache.
func TestBrowserSignIn(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.NativeClient(p)
	br := u.UseBrowser("login")

	r := u.Run()
	if r.Code != 0 {
		t.Fatalf("exit %d: %s\nbrowser: %v", r.Code, r.Stderr, br.Lines())
	}
	tok := strings.TrimSpace(r.Stdout)
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("stdout is not one JWT: %q", r.Stdout)
	}
	if n := br.Launches(); n != 1 {
		t.Errorf("browser launched %d times, want 1", n)
	}
	if got := br.Value("redirect_host"); got != "127.0.0.1" {
		t.Errorf("redirect_uri host %q, want 127.0.0.1", got)
	}
	listen := br.Value("listen")
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(listen) {
		t.Errorf("the listener for the redirect is bound to %q, want 127.0.0.1:PORT only", listen)
	}
	if got := br.Value("challenge_method"); got != "S256 nonce=true" {
		t.Errorf("authorization request: code_challenge_method/nonce %q", got)
	}
	if got := br.Value("callback"); !strings.HasPrefix(got, `200 title="Signed in"`) {
		t.Errorf("callback page: %s", got)
	}
	if !strings.Contains(r.Stderr, "Opening the sign-in page in your browser") || !authorizeURLPattern.MatchString(r.Stderr) {
		t.Errorf("stderr does not show the sign-in address:\n%s", r.Stderr)
	}
	if !strings.Contains(r.Stderr, "verified the ID token's signature and nonce") {
		t.Errorf("the ID token was not verified:\n%s", r.Stderr)
	}
	if c := u.Cache(""); c["refresh_token"] == nil {
		t.Errorf("no refresh token cached")
	}

	again := u.Run()
	if again.Code != 0 || strings.TrimSpace(again.Stdout) != tok {
		t.Fatalf("second get: exit %d, same token %v: %s", again.Code, strings.TrimSpace(again.Stdout) == tok, again.Stderr)
	}
	if n := br.Launches(); n != 1 {
		t.Errorf("browser launched %d times after a cached get, want 1", n)
	}
	if n := p.Count("authorize"); n != 1 {
		t.Errorf("provider saw %d authorization requests, want 1", n)
	}
	st := u.Run("status", "--json")
	var infos []struct{ Flow, Subject string }
	if err := json.Unmarshal([]byte(st.Stdout), &infos); err != nil || len(infos) != 1 || infos[0].Flow != "browser" {
		t.Errorf("status: %v %s %s", err, st.Stdout, st.Stderr)
	}
}

// A redirect with a wrong state gets a 400 page and the flow keeps waiting
// for the right one, which then signs in.
func TestBrowserWrongStateRejected(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.NativeClient(p)
	br := u.UseBrowser("tamper")

	r := u.Run("login")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s\nbrowser: %v", r.Code, r.Stderr, br.Lines())
	}
	if got := br.Value("tampered"); !strings.HasPrefix(got, "400 ") || !strings.Contains(got, "does not match") {
		t.Errorf("wrong-state redirect answered %s, want 400", got)
	}
	if got := br.Value("callback"); !strings.HasPrefix(got, `200 title="Signed in"`) {
		t.Errorf("the right redirect after a wrong one: %s", got)
	}
	if !strings.Contains(r.Stderr, "refused a redirect whose state does not match") {
		t.Errorf("stderr does not report the refused redirect:\n%s", r.Stderr)
	}
	if r.Stdout != "" {
		t.Errorf("login printed on stdout: %q", r.Stdout)
	}
}

// The provider's error= reaches the page (escaped) and the exit status (4);
// the denial is remembered, so a background get does not open a new tab.
func TestBrowserDenied(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.NativeClient(p)
	br := u.UseBrowser("deny")

	r := u.Run()
	if r.Code != 4 || !strings.Contains(r.Stderr, "access_denied") {
		t.Fatalf("denied sign-in: exit %d, want 4: %s", r.Code, r.Stderr)
	}
	page := br.Value("callback")
	if !strings.HasPrefix(page, `200 title="Sign-in failed"`) || !strings.Contains(page, "&lt;script&gt;") || strings.Contains(page, "<script>") {
		t.Errorf("error page: %s", page)
	}
	start := time.Now()
	again := u.Run()
	if again.Code != 3 || time.Since(start) > 2*time.Second {
		t.Errorf("get after a denied sign-in: exit %d after %s, want 3 at once: %s", again.Code, time.Since(start), again.Stderr)
	}
	if !strings.Contains(again.Stderr, "was denied") {
		t.Errorf("stderr does not say why: %s", again.Stderr)
	}
	if n := br.Launches(); n != 1 {
		t.Errorf("browser launched %d times, want 1", n)
	}
}

// No tab storms: an abandoned sign-in (the browser never comes back, the
// login timeout passes) makes the next background get fail at once with
// exit 3 and no new browser; login tries again and clears the memory.
func TestTabStorm(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.NativeClient(p)
	br := u.UseBrowser("abandon")

	r := u.Run("--login-timeout", "2s")
	if r.Code != 5 || !strings.Contains(r.Stderr, "--login-timeout") {
		t.Fatalf("abandoned sign-in: exit %d, want 5: %s", r.Code, r.Stderr)
	}
	if n := br.Launches(); n != 1 {
		t.Fatalf("browser launched %d times, want 1", n)
	}

	br.Mode("login")
	for range 3 {
		start := time.Now()
		again := u.Run("--login-timeout", "2s")
		took := time.Since(start)
		if again.Code != 3 || took > time.Second {
			t.Errorf("background get after an abandoned sign-in: exit %d after %s, want 3 within a second: %s", again.Code, took, again.Stderr)
		}
		if !strings.Contains(again.Stderr, "fourinsight-token login") || !strings.Contains(again.Stderr, "timed out") {
			t.Errorf("stderr does not say what to do: %s", again.Stderr)
		}
	}
	if n := br.Launches(); n != 1 {
		t.Errorf("browser launched %d times during the quiet period, want 1", n)
	}

	login := u.Run("login")
	if login.Code != 0 {
		t.Fatalf("login after an abandoned sign-in: exit %d: %s", login.Code, login.Stderr)
	}
	if n := br.Launches(); n != 2 {
		t.Errorf("login launched the browser %d times in all, want 2", n)
	}
	if got := u.Run(); got.Code != 0 || got.Stdout == "" {
		t.Errorf("get after login: exit %d: %s", got.Code, got.Stderr)
	}
	// The memory is cleared: once the token is gone, a background get may
	// open the browser again.
	u.Run("logout")
	if got := u.Run(); got.Code != 0 {
		t.Errorf("get after logout: exit %d: %s", got.Code, got.Stderr)
	}
	if n := br.Launches(); n != 3 {
		t.Errorf("browser launched %d times in all, want 3", n)
	}
}

// The quiet period after a failed sign-in is configurable.
func TestTabStormWindowConfigurable(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.NativeClient(p)
	br := u.UseBrowser("deny")
	u.Setenv("FOURINSIGHT_RETRY_SIGNIN_AFTER=3s")
	if r := u.Run(); r.Code != 4 {
		t.Fatalf("denied sign-in: exit %d: %s", r.Code, r.Stderr)
	}
	if r := u.Run(); r.Code != 3 {
		t.Fatalf("within the window: exit %d, want 3: %s", r.Code, r.Stderr)
	}
	time.Sleep(3100 * time.Millisecond)
	br.Mode("login")
	if r := u.Run(); r.Code != 0 {
		t.Fatalf("after the window: exit %d: %s", r.Code, r.Stderr)
	}
	if n := br.Launches(); n != 2 {
		t.Errorf("browser launched %d times, want 2", n)
	}
}

// Twenty callers at once with an empty cache: one browser launch, one
// authorization request, and all twenty print the same token.
func TestBrowserOneSignInForTwentyCallers(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.NativeClient(p)
	br := u.UseBrowser("login")

	const n = 20
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmds[i] = u.Command()
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	results := make([]Result, n)
	var wg sync.WaitGroup
	for i, c := range cmds {
		wg.Go(func() { results[i] = u.Finish(c) })
	}
	wg.Wait()
	tokens := map[string]int{}
	for i, r := range results {
		if r.Code != 0 {
			t.Errorf("caller %d: exit %d: %s", i, r.Code, r.Stderr)
		}
		tokens[strings.TrimSpace(r.Stdout)]++
	}
	if len(tokens) != 1 {
		t.Errorf("%d different tokens among %d callers, want 1", len(tokens), n)
	}
	if got := br.Launches(); got != 1 {
		t.Errorf("browser launched %d times, want 1", got)
	}
	if got := p.Count("authorize"); got != 1 {
		t.Errorf("provider saw %d authorization requests, want 1", got)
	}
	if got := p.Count("authorization_code"); got != 1 {
		t.Errorf("provider saw %d code exchanges, want 1", got)
	}
}

// Over SSH: no browser can be opened, so login prints the address and reads
// the address the browser ended on from stdin; a wrong one is refused and
// the prompt asks again.
func TestBrowserPastedRedirect(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.NativeClient(p)
	u.Setenv("SSH_CONNECTION=10.0.0.1 50000 10.0.0.2 22", "DISPLAY=:0")

	var stdin interface {
		Write([]byte) (int, error)
		Close() error
	}
	run := u.StartWatched(func(c *exec.Cmd) {
		var err error
		if stdin, err = c.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}, "login", "--flow", "browser")
	authURL := run.WaitFor(authorizeURLPattern, 10*time.Second)[1]
	run.WaitFor(regexp.MustCompile(`Address after sign-in: `), 10*time.Second)

	final, err := p.Login(authURL)
	if err != nil {
		t.Fatal(err)
	}
	secrets.Secret(final.Query().Get("code"))
	wrong := *final
	q := wrong.Query()
	q.Set("state", "not-this-one")
	wrong.RawQuery = q.Encode()
	fmt.Fprintln(stdin, wrong.String())
	run.WaitFor(regexp.MustCompile(`That is not the address of this sign-in`), 10*time.Second)
	fmt.Fprintln(stdin, final.String())
	stdin.Close()

	r := run.Finish()
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if strings.Contains(r.Stderr, "Opening the sign-in page") {
		t.Errorf("tried to open a browser over SSH:\n%s", r.Stderr)
	}
	if c := u.Cache(""); c["access_token"] == nil {
		t.Errorf("nothing cached: %v", c)
	}
}

// Without a browser and without a terminal, a get cannot sign in: exit 3 at
// once, whatever the provider offers (device needs a terminal too).
func TestNoBrowserNoTerminal(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	for _, env := range [][]string{
		nil,
		{"SSH_TTY=/dev/pts/1", "DISPLAY=:0"},
	} {
		u := NewUser(t)
		u.NativeClient(p)
		u.Setenv(env...)
		r := u.Run()
		if r.Code != 3 || !strings.Contains(r.Stderr, "fourinsight-token login") {
			t.Errorf("env %v: exit %d, want 3: %s", env, r.Code, r.Stderr)
		}
	}
	if n := p.Count("authorize") + p.Count("device_authorization"); n != 0 {
		t.Errorf("provider saw %d sign-in starts", n)
	}
}

// Logout revokes the refresh token at the discovered revocation endpoint;
// the provider then refuses it.
func TestLogoutRevokes(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.NativeClient(p)
	u.UseBrowser("login")
	if r := u.Run("login"); r.Code != 0 {
		t.Fatalf("login: exit %d: %s", r.Code, r.Stderr)
	}
	rt, _ := u.Cache("")["refresh_token"].(string)
	if rt == "" {
		t.Fatal("no refresh token cached")
	}
	r := u.Run("logout")
	if r.Code != 0 || !strings.Contains(r.Stderr, "Logged out") {
		t.Fatalf("logout: exit %d: %s", r.Code, r.Stderr)
	}
	if n := p.Count("revoke"); n != 1 {
		t.Errorf("provider saw %d revocations, want 1", n)
	}
	cfg := oauth2.Config{ClientID: testop.NativeClientID, Endpoint: oauth2.Endpoint{TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
	_, err := cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: rt}).Token()
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("refresh with the revoked token: %v, want invalid_grant", err)
	}
	if st := u.Run("status", "--json"); strings.TrimSpace(st.Stdout) != "[]" {
		t.Errorf("status after logout: %s", st.Stdout)
	}
}

// The sign-in address is printed even when the browser opens, and
// --no-browser prints it without opening anything.
func TestNoBrowserFlag(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.NativeClient(p)
	br := u.UseBrowser("login")
	run := u.StartWatched(nil, "login", "--flow", "browser", "--no-browser", "--login-timeout", "20s")
	authURL := run.WaitFor(authorizeURLPattern, 10*time.Second)[1]
	final, err := p.Login(authURL)
	if err != nil {
		t.Fatal(err)
	}
	secrets.Secret(final.Query().Get("code"))
	// The person's browser, on this machine, follows the redirect.
	resp, err := httpGet(final.String())
	if err != nil || resp != 200 {
		t.Fatalf("redirect to the listener: %d %v", resp, err)
	}
	r := run.Finish()
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if n := br.Launches(); n != 0 {
		t.Errorf("--no-browser launched the browser %d times", n)
	}
	if u, _ := url.Parse(authURL); u.Query().Get("code_challenge_method") != "S256" {
		t.Errorf("no PKCE S256 in %s", authURL)
	}
}
