package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// A session remembers how it was made: after
// `login -s web --issuer X --client-id Y`, a plain `fourinsight-token -s web`
// serves it, refreshes it, and `logout -s web` revokes it, all without the
// flags. Flags naming another client are refused with the way to use it.
func TestSessionRemembersHowItWasMade(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.UseBrowser("login")
	mustOK(t, u.Run("login", "-s", "web", "--issuer", p.Issuer(), "--client-id", testop.NativeClientID))

	// Served from the cache, by the front (the full command line is not
	// there to hand off to), with no provider named.
	tokens := p.Count("token")
	front := *u
	front.Env = append(without(u.Env, "FOURINSIGHT_TOKEN_CLI"), "FOURINSIGHT_TOKEN_CLI="+filepath.Join(t.TempDir(), "missing"))
	r := front.Run("-s", "web")
	if tok := mustOK(t, r); strings.Count(tok, ".") != 2 || p.Count("token") != tokens {
		t.Fatalf("not served from the cache: %q; %d token requests", tok, p.Count("token")-tokens)
	}

	// Refreshed at the recorded provider, as the recorded client.
	c := u.Cache("web")
	c["expires_at"] = float64(time.Now().Add(-time.Minute).Unix())
	u.WriteCache("web", c)
	refreshes := p.Count("refresh_token")
	r = u.Run("-s", "web")
	mustOK(t, r)
	if p.Count("refresh_token") != refreshes+1 {
		t.Fatalf("not refreshed: %s", r.Stderr)
	}
	if !strings.Contains(r.Stderr, "using its recorded settings") {
		t.Errorf("-v does not say whose settings were used:\n%s", r.Stderr)
	}
	rec, _ := u.Cache("web")["fourinsight_token"].(map[string]any)
	if rec["issuer"] != p.Issuer() || rec["client_id"] != testop.NativeClientID || rec["refresh_token_sha256"] == nil {
		t.Fatalf("the refreshed entry records %v", rec)
	}

	// Another client, named explicitly: refused, and told how to use it.
	r = u.Run("-s", "web", "--client-id", "someone-else")
	msg := problem(t, r)
	if r.Code != 2 {
		t.Fatalf("contradicting flags: exit %d: %s", r.Code, r.Stderr)
	}
	for _, want := range []string{"run without provider settings, or with --issuer " + p.Issuer() + " --client-id " + testop.NativeClientID, "fourinsight-token login -f -s web"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the advice lacks %q: %s", want, msg)
		}
	}
	if i := strings.Index(msg, "logout"); i >= 0 {
		t.Errorf("the advice names logout: %s", msg)
	}

	// Logged out without the flags: the refresh token is revoked.
	revocations := p.Count("revoke")
	mustOK(t, u.Run("logout", "-s", "web"))
	if p.Count("revoke") != revocations+1 {
		t.Fatal("logout did not revoke the refresh token")
	}
	if _, err := os.Stat(u.CachePath("web")); !os.IsNotExist(err) {
		t.Fatalf("logout left the entry: %v", err)
	}
}

// A session made with one client that the Python client has since signed
// in again under (it keeps our record beside its new tokens) is the Python
// client's entry: served and refreshed under the settings that match its
// tokens instead of refused with a false message, and listed as Python's.
func TestPythonRewrittenSessionIsPythons(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.UseBrowser("login")
	mustOK(t, u.Run("login", "-s", "x", "--issuer", p.Issuer(), "--client-id", testop.NativeClientID))

	// UserSession(session_key="x") signs in with its own client: another
	// machine's sign-in gives us real tokens of that client, which we lay
	// over the file as its dict.update() and json.dump() would.
	py := NewUser(t)
	py.PasteProfile(p)
	mustOK(t, py.RunInput(PastePackage(t, p), "login"))
	entry := u.Cache("x")
	for k, v := range py.Cache("") {
		if k != "fourinsight_token" {
			entry[k] = v
		}
	}
	u.WriteCache("x", entry)

	st := mustOK(t, u.Run("status", "--json"))
	if !strings.Contains(st, `"flow": "python"`) || !strings.Contains(st, `"written_by": "python"`) {
		t.Fatalf("status does not show the rewritten session as the Python client's:\n%s", st)
	}

	u.PasteProfile(p) // the settings of the Python client's sign-in
	r := u.Run("-s", "x")
	if tok := mustOK(t, r); tok != py.Cache("")["access_token"] {
		t.Fatal("the Python client's token was not served")
	}
	c := u.Cache("x")
	c["expires_at"] = float64(time.Now().Add(-time.Minute).Unix())
	u.WriteCache("x", c)
	mustOK(t, u.Run("-s", "x"))
	if rec, _ := u.Cache("x")["fourinsight_token"].(map[string]any); rec["client_id"] != testop.UserClientID {
		t.Fatalf("after our refresh the entry records %v", rec)
	}
}

// status lists the Python client's entries as its own, and marks one whose
// session_key no session of ours can name, instead of leaving it out.
func TestStatusShowsPythonAndUnusableEntries(t *testing.T) {
	u := NewUser(t)
	exp := float64(time.Now().Add(time.Hour).Unix())
	u.WriteCache("nb", map[string]any{"access_token": "py-access-token-for-status", "refresh_token": "py-refresh-token-for-status", "expires_at": exp, "token_url": "https://x.b2clogin.com/t"})
	os.WriteFile(filepath.Join(u.CacheDir, "token.my notebook"), []byte(`{"access_token":"py-access-token-for-status"}`), 0o600)
	secretsOf("py-access-token-for-status", "py-refresh-token-for-status")

	out := mustOK(t, u.Run("status"))
	var nb, bad string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "nb "):
			nb = l
		case strings.HasPrefix(l, "my notebook "):
			bad = l
		}
	}
	if !strings.Contains(nb, " python ") {
		t.Errorf("the Python client's entry is not shown as its: %q\n%s", nb, out)
	}
	if !strings.Contains(bad, "unusable:") || !strings.Contains(bad, "session_key") {
		t.Errorf("an entry no session key can name is not marked unusable: %q\n%s", bad, out)
	}
}

// The Python client rewrites its file in place (truncate, then json.dump)
// without our lock. Gets that land in the middle read again: none fails,
// none asks for a sign-in, none warns.
func TestTornInPlaceWriteIsReadAgain(t *testing.T) {
	u := NewUser(t)
	entry := `{"access_token": "torn-test-access-token", "refresh_token": "torn-test-refresh-token", "token_type": "Bearer", "expires_at": ` +
		strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) + `, "token_url": "https://x.b2clogin.com/t"}`
	secretsOf("torn-test-access-token", "torn-test-refresh-token")
	u.WriteCache("nb", map[string]any{})
	if err := os.WriteFile(u.CachePath("nb"), []byte(entry), 0o600); err != nil {
		t.Fatal(err)
	}

	// As TokenCache.dump: open(path, "w"), then json.dump, written slowly.
	writer := exec.Command("python3", "-c", `
import sys, time
path, data = sys.argv[1], sys.argv[2]
print("writing", flush=True)
while True:
    with open(path, "w") as f:
        time.sleep(0.02)
        f.write(data[:len(data)//2]); f.flush()
        time.sleep(0.02)
        f.write(data[len(data)//2:])
    time.sleep(0.05)
`, u.CachePath("nb"), entry)
	out, err := writer.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.Start(); err != nil {
		t.Skipf("python3: %v", err)
	}
	t.Cleanup(func() { writer.Process.Kill(); writer.Wait() })
	if _, err := out.Read(make([]byte, 8)); err != nil {
		t.Fatalf("the writer did not start: %v", err)
	}

	for i, end := 0, time.Now().Add(2*time.Second); time.Now().Before(end); i++ {
		r := u.Run("-s", "nb")
		if tok := mustOK(t, r); tok != "torn-test-access-token" {
			t.Fatalf("run %d printed %q", i, tok)
		}
		if strings.Contains(r.Stderr, "ignoring the cached session") {
			t.Fatalf("run %d warned about a torn entry:\n%s", i, r.Stderr)
		}
	}
}

func secretsOf(ss ...string) {
	for _, s := range ss {
		secrets.Secret(s)
	}
}

// `login` over a session made with other settings refuses, saying how to
// use it or replace it; `login -f` replaces it with the chosen settings.
func TestLoginForceReplacesASessionOfOtherSettings(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.UseBrowser("login")
	mustOK(t, u.Run("login", "-s", "web", "--issuer", p.Issuer(), "--client-id", testop.NativeClientID))

	u.PasteProfile(p) // the config file's default_profile now names another client
	r := u.RunInput(PastePackage(t, p), "login", "-s", "web")
	msg := problem(t, r)
	if r.Code != 2 || !strings.Contains(msg, "to use it, run with --issuer "+p.Issuer()+" --client-id "+testop.NativeClientID) ||
		!strings.Contains(msg, "fourinsight-token login -f -s web") || strings.Contains(msg, "logout") {
		t.Fatalf("login over another client's session: exit %d: %s", r.Code, msg)
	}
	if rec, _ := u.Cache("web")["fourinsight_token"].(map[string]any); rec["client_id"] != testop.NativeClientID {
		t.Fatal("the refused login changed the session")
	}
	mustOK(t, u.RunInput(PastePackage(t, p), "login", "-f", "-s", "web"))
	if rec, _ := u.Cache("web")["fourinsight_token"].(map[string]any); rec["client_id"] != testop.UserClientID || rec["flow"] != "paste" {
		t.Fatalf("login -f did not replace the session: %v", rec)
	}
}

// A service account's session keeps no secret: renewed later with only
// the secret given (no issuer, no client id), and without it a cached token
// is still served, while a renewal says how to give the secret.
func TestServiceSessionRenewedWithOnlyItsSecret(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	mustOK(t, u.Run("-s", "svc"))
	if data, _ := os.ReadFile(u.CachePath("svc")); strings.Contains(string(data), testop.ServiceClientSecret) {
		t.Fatal("the client secret was written to the cache")
	}

	u.Env = without(without(u.Env, "FOURINSIGHT_ISSUER"), "FOURINSIGHT_CLIENT_ID")
	u.Env = without(u.Env, "FOURINSIGHT_CLIENT_SECRET")
	mustOK(t, u.Run("-s", "svc")) // cached: needs no secret

	c := u.Cache("svc")
	c["expires_at"] = float64(time.Now().Add(-time.Minute).Unix())
	u.WriteCache("svc", c)
	r := u.Run("-s", "svc")
	if msg := problem(t, r); r.Code != 2 || !strings.Contains(msg, "FOURINSIGHT_CLIENT_SECRET") || !strings.Contains(msg, testop.ServiceClientID) {
		t.Fatalf("renewal without the secret: exit %d: %s", r.Code, msg)
	}

	u.Setenv("FOURINSIGHT_CLIENT_SECRET=" + testop.ServiceClientSecret)
	before := p.Count("client_credentials")
	mustOK(t, u.Run("-s", "svc"))
	if p.Count("client_credentials") != before+1 {
		t.Fatal("not renewed at the recorded provider")
	}
}

// logout with settings for another client still forgets the session and
// revokes its refresh token as the session records it.
func TestLogoutWithOtherSettingsStillRevokes(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.UseBrowser("login")
	mustOK(t, u.Run("login", "-s", "web", "--issuer", p.Issuer(), "--client-id", testop.NativeClientID))
	u.PasteProfile(p)
	revocations := p.Count("revoke")
	mustOK(t, u.Run("logout", "-s", "web"))
	if p.Count("revoke") != revocations+1 {
		t.Fatal("the refresh token was not revoked")
	}
	if _, err := os.Stat(u.CachePath("web")); !os.IsNotExist(err) {
		t.Fatalf("logout left the entry: %v", err)
	}
}
