package e2e

// The newcomer's path: what someone trying fourinsight-token for the first
// time meets — settings without a config file, refusals that say why, and
// files and versions that are what they seem.

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// The paste flow with its sign-in page from --signin-url or
// FOURINSIGHT_SIGNIN_URL, no config file at all.
func TestSignInURLWithoutConfigFile(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	secret := u.writeFile("user-secret", testop.UserClientSecret)
	client := []string{"--client-id", testop.UserClientID, "--client-secret-file", secret, "--flow", "paste"}

	login := u.RunInput(PastePackage(t, p), append([]string{"login", "-s", "ws0", "--signin-url", p.PasteURL()}, client...)...)
	mustOK(t, login)
	if !strings.Contains(login.Stderr, "Sign in at "+p.PasteURL()) {
		t.Fatalf("login did not send the user to the --signin-url page:\n%s", login.Stderr)
	}
	if _, err := os.Stat(filepath.Join(u.Home, ".config", "fourinsight-token", "config.json")); err == nil {
		t.Fatal("a config file appeared")
	}

	// The same settings from the environment serve the session from the cache.
	u.Setenv("FOURINSIGHT_SIGNIN_URL=" + p.PasteURL())
	mustOK(t, u.Run(append([]string{"-s", "ws0"}, client...)...))
	if n := p.Count("token"); n != 1 {
		t.Fatalf("provider saw %d token requests, want the one sign-in", n)
	}
}

// CI=true in a terminal: login says CI is the cause and how to go on.
func TestCILoginSaysWhy(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.PasteProfile(p)
	u.Setenv("CI=true")
	r := u.RunInput(PastePackage(t, p), "login", "-s", "ws0")
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3: %s", r.Code, r.Stderr)
	}
	msg := problem(t, r)
	for _, want := range []string{"CI=true is set", "service account", "unset CI and run: fourinsight-token login -s ws0"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if n := p.Count("token"); n != 0 {
		t.Fatalf("provider saw %d token requests", n)
	}
}

// A package naming another host is refused with a warning, and nothing
// reaches that host — here the real provider, under a name the profile does
// not trust.
func TestUntrustedEndpointWarnsAndSendsNothing(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.PasteProfile(p)
	var pkg map[string]string
	json.Unmarshal([]byte(PastePackage(t, p)), &pkg)
	pkg["endpoint"] = strings.Replace(pkg["endpoint"], "127.0.0.1", "localhost", 1)
	data, _ := json.Marshal(pkg)

	r := u.RunInput(string(data), "login", "-s", "ws0")
	if r.Code != 2 {
		t.Fatalf("exit %d, want 2: %s", r.Code, r.Stderr)
	}
	msg := afterPrompt(t, r)
	for _, want := range []string{
		"a sign-in page asked to send your code to localhost, which is not one of the profile's hosts; nothing was sent",
		"If you did not expect this, stop",
		"trust_hosts", "docs/configuration.md",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if n := p.Count("token"); n != 0 {
		t.Fatalf("the provider saw %d token requests; the code was sent", n)
	}
}

// Tokens that live less than --min-valid can never be served from the
// cache: each call says so instead of silently getting a new one.
func TestMinValidLongerThanTokensWarns(t *testing.T) {
	p := StartProvider(t, testop.Options{AccessTokenLifetime: 2 * time.Minute})
	u := NewUser(t)
	u.ServiceAccount(p)
	r := u.Run("-s", "svc", "--min-valid", "5m")
	mustOK(t, r)
	if !strings.Contains(r.Stderr, "less than --min-valid 5m0s") || !strings.Contains(r.Stderr, "lower --min-valid") {
		t.Fatalf("no warning about --min-valid:\n%s", r.Stderr)
	}
	if r := u.Run("-s", "svc"); !strings.Contains(r.Stderr, "serving it") || strings.Contains(r.Stderr, "--min-valid 1m0s") {
		t.Fatalf("with the default --min-valid the token is served from the cache without a warning:\n%s", r.Stderr)
	}
}

// A provider that answers 503 once: a quick retry is not worth a line; a
// slow provider's wait and retry are said. Either way the call succeeds.
func TestRetryIsSaid(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	p.FailNext(1, http.StatusServiceUnavailable)
	r := u.Run("-s", "svc")
	mustOK(t, r)
	if strings.Contains(r.Stderr, "retrying in") && !strings.Contains(r.Stderr, "debug: retrying") {
		t.Fatalf("a quick retry was said:\n%s", r.Stderr)
	}

	p.FailNext(1, http.StatusServiceUnavailable)
	p.SlowToken(3500 * time.Millisecond)
	r = u.Run("-s", "svc", "-f")
	p.SlowToken(0)
	mustOK(t, r)
	for _, want := range []string{"to answer (3s so far", "answered 503 and asked to wait (Retry-After); retrying in 0s (attempt 2/3)"} {
		if !strings.Contains(r.Stderr, want) {
			t.Fatalf("the long wait was not said (%q):\n%s", want, r.Stderr)
		}
	}
}

// --output-file: the file is 0600 and whole; a failed call leaves it alone.
func TestOutputFileOnlyOnSuccess(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	env := filepath.Join(u.Home, "project", ".env")
	os.MkdirAll(filepath.Dir(env), 0o700)
	os.WriteFile(env, []byte("FOURINSIGHT_ACCESS_TOKEN=old\n"), 0o644)

	r := u.Run("-s", "svc", "-o", "dotenv", "--output-file", env)
	if mustOK(t, r) != "" {
		t.Fatal("--output-file also printed on stdout")
	}
	data, _ := os.ReadFile(env)
	info, _ := os.Stat(env)
	tok := strings.TrimPrefix(strings.TrimSpace(string(data)), "FOURINSIGHT_ACCESS_TOKEN=")
	secrets.Secret(tok)
	if info.Mode().Perm() != 0o600 || tok == "old" || tok == "" {
		t.Fatalf(".env: mode %v, %d bytes; want 0600 with the new token", info.Mode().Perm(), len(data))
	}
	// Served from the cache: the front hands --output-file to the full
	// command line, which writes the same.
	mustOK(t, u.Run("-s", "svc", "-o", "dotenv", "--output-file", env))
	if again, _ := os.ReadFile(env); string(again) != string(data) || p.Count("token") != 1 {
		t.Fatalf("a cached call changed the file or reached the provider (%d token requests)", p.Count("token"))
	}

	p.FailNext(3, http.StatusBadGateway)
	r = u.Run("-s", "svc", "-f", "-o", "dotenv", "--output-file", env)
	if r.Code != 5 {
		t.Fatalf("exit %d, want 5: %s", r.Code, r.Stderr)
	}
	if after, _ := os.ReadFile(env); string(after) != string(data) {
		t.Fatal("a failed call changed the file")
	}
}

// version says what was built, from the build info.
func TestVersionFromBuildInfo(t *testing.T) {
	u := NewUser(t)
	out := mustOK(t, u.Run("version"))
	if !strings.HasPrefix(out, "fourinsight-token ") || !strings.Contains(out, runtime.Version()) || strings.Contains(out, "dev (commit none") {
		t.Fatalf("version printed %q", out)
	}
}
