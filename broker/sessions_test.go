package broker

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"github.com/fourinsight-token/fourinsight-token/store"
)

func testBroker(f store.File, s profile.Settings, stderr *bytes.Buffer) *Broker {
	return &Broker{
		Settings: s, Store: f, Locks: f, Stderr: stderr,
		MinValid: time.Minute, LockTimeout: 5 * time.Second, LoginTimeout: 10 * time.Second,
		HTTP: flows.HTTPOptions{Timeout: 5 * time.Second},
	}
}

// A service account's session made with --issuer, --client-id and a secret
// is renewed by a later call that names no provider (only the secret,
// which is never recorded), and refused with advice by one that names
// another client.
func TestSessionRecordsHowItWasMade(t *testing.T) {
	p, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := store.File{Dir: t.TempDir()}
	ctx := context.Background()
	var stderr bytes.Buffer

	made := profile.Settings{
		Profile:      profile.Profile{Name: profileCustom, Issuer: p.Issuer(), ClientID: testop.ServiceClientID, Scopes: []string{"api"}},
		ClientSecret: testop.ServiceClientSecret, SecretSupplied: true, SecretGiven: true,
		Chosen: profileChoice(p.Issuer(), testop.ServiceClientID),
	}
	if _, err := testBroker(f, made, &stderr).Token(ctx, "svc", false); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(f.Path("svc"))
	if bytes.Contains(raw, []byte(testop.ServiceClientSecret)) {
		t.Fatal("the client secret was recorded")
	}
	e, _ := f.Load("svc")
	m := e.Meta
	if m == nil || m.Issuer != p.Issuer() || m.ClientID != testop.ServiceClientID || m.Flow != profile.FlowClient || !m.Confidential ||
		m.TokenURL != p.TokenURL() || strings.Join(m.Scopes, " ") != "api" || m.RefreshTokenSHA256 == "" {
		t.Fatalf("record = %+v", m)
	}

	// Later: no provider named, the secret given; the token has expired.
	e.ExpiresAt = time.Now().Add(-time.Minute)
	f.Save("svc", e)
	plain := profile.Settings{Profile: profile.Builtin4insight(), ClientSecret: testop.ServiceClientSecret, SecretSupplied: true, SecretGiven: true}
	before := p.Count("client_credentials")
	got, err := testBroker(f, plain, &stderr).Token(ctx, "svc", false)
	if err != nil || !got.ValidFor(time.Minute, time.Now()) {
		t.Fatalf("renewing without provider flags: %v", err)
	}
	if p.Count("client_credentials") != before+1 {
		t.Fatal("not renewed at the recorded provider")
	}
	if got.Meta.ClientID != testop.ServiceClientID || got.Meta.Issuer != p.Issuer() {
		t.Fatalf("the renewed session records %+v", got.Meta)
	}

	// Another client named explicitly: refused, saying how to use it.
	other := plain
	other.Profile.ClientID, other.Chosen = "someone-else", profileChoice("", "someone-else")
	_, err = testBroker(f, other, &stderr).Token(ctx, "svc", false)
	if !errors.Is(err, profile.ErrMismatch) || !strings.Contains(err.Error(), "--issuer "+p.Issuer()+" --client-id "+testop.ServiceClientID) {
		t.Fatalf("contradicting client: %v", err)
	}
	// A sign-in at another provider refuses to replace it, unless -f.
	p2, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	elsewhere := made
	elsewhere.Profile.Issuer, elsewhere.Chosen = p2.Issuer(), profileChoice(p2.Issuer(), testop.ServiceClientID)
	b := testBroker(f, elsewhere, &stderr)
	if _, err := b.Token(ctx, "svc", true); !errors.Is(err, profile.ErrMismatch) || !strings.Contains(err.Error(), "login -f -s svc") {
		t.Fatalf("login over another provider's session without -f: %v", err)
	}
	b.Replace = true
	if got, err := b.Token(ctx, "svc", true); err != nil || got.Meta.Issuer != p2.Issuer() {
		t.Fatalf("login -f over another provider's session: %v", err)
	}
}

// A torn entry is read again for a moment, then reported once per call,
// though the broker reads it both before and after taking the lock.
func TestCorruptEntryWarnsOnce(t *testing.T) {
	f := store.File{Dir: t.TempDir()}
	os.WriteFile(f.Path("ws"), []byte(`{"access_token":"a`), 0o600)
	var stderr bytes.Buffer
	b := testBroker(f, profile.Settings{Profile: profile.Builtin4insight()}, &stderr)
	_, err := b.Token(context.Background(), "ws", false)
	if !errors.Is(err, ErrSignInRequired) {
		t.Fatalf("Token = %v", err)
	}
	if n := strings.Count(stderr.String(), "ignoring the cached session ws"); n != 1 {
		t.Fatalf("warned %d times:\n%s", n, stderr.String())
	}
}

const profileCustom = profile.CustomProfile

func profileChoice(issuer, clientID string) profile.Choice {
	return profile.Choice{Issuer: issuer, ClientID: clientID}
}

// status lists every entry in the cache directory: the Python client's
// (also one it rewrote over a session of ours) with its flow shown as the
// Python client's, and files no session key can name, marked unusable.
func TestSessionsListsEveryEntry(t *testing.T) {
	f := store.File{Dir: t.TempDir()}
	exp := time.Now().Add(time.Hour)
	f.Save("ours", bound(&store.Entry{AccessToken: "a", RefreshToken: "r1", ExpiresAt: exp, Meta: &store.Meta{Flow: profile.FlowBrowser, ClientID: "c", Provider: "https://idp.example"}}))
	rewritten := bound(&store.Entry{AccessToken: "a", RefreshToken: "r1", ExpiresAt: exp, Meta: &store.Meta{Flow: profile.FlowBrowser, ClientID: "c"}})
	rewritten.RefreshToken = "python-signed-in-again"
	f.Save("rewritten", rewritten)
	os.WriteFile(f.Path("py"), []byte(`{"access_token":"a","refresh_token":"r","expires_at":2000000000}`), 0o600)
	os.WriteFile(f.Path("my notebook"), []byte(`{"access_token":"a"}`), 0o600)
	os.Mkdir(f.Path("dir"), 0o700)

	infos, err := (&Broker{Store: f}).Sessions(nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]SessionInfo{}
	for _, i := range infos {
		got[i.Session] = i
	}
	for key, want := range map[string]struct {
		flow, by string
		unusable bool
	}{
		"ours": {profile.FlowBrowser, "fourinsight-token", false}, "rewritten": {FlowPython, "python", false}, "py": {FlowPython, "python", false},
		"my notebook": {"", "", true}, "dir": {"", "", true},
	} {
		i, ok := got[key]
		if !ok {
			t.Errorf("session %q not listed: %+v", key, infos)
			continue
		}
		if i.Flow != want.flow || i.WrittenBy != want.by || i.Unusable != want.unusable || (want.unusable && i.Problem == "") {
			t.Errorf("session %q: %+v", key, i)
		}
	}
	if len(infos) != 5 {
		t.Errorf("%d sessions listed, want 5: %+v", len(infos), infos)
	}
}

func bound(e *store.Entry) *store.Entry { e.Bind(); return e }

// A session used with its recorded settings refreshes only at a token_url
// those settings trust: one edited to another host is refused before its
// refresh token goes anywhere.
func TestRecordedSessionRefreshesOnlyAtATrustedTokenURL(t *testing.T) {
	p, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := store.File{Dir: t.TempDir()}
	e := &store.Entry{
		AccessToken: "at", RefreshToken: "rt", ExpiresAt: time.Now().Add(-time.Minute), TokenURL: "https://evil.example/token",
		Meta: &store.Meta{Provider: p.Issuer(), ClientID: testop.NativeClientID, Flow: profile.FlowBrowser, Issuer: p.Issuer()},
	}
	e.Bind()
	f.Save("web", e)
	var stderr bytes.Buffer
	_, err = testBroker(f, profile.Settings{Profile: profile.Builtin4insight()}, &stderr).Token(context.Background(), "web", false)
	if !errors.Is(err, flows.ErrUnsafeEndpoint) || !strings.Contains(err.Error(), "evil.example") {
		t.Fatalf("Token = %v", err)
	}
	if n := p.Count("token"); n != 0 {
		t.Fatalf("%d token requests", n)
	}
}
