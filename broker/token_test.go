package broker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker"
	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// tokenEndpoint is a provider's token endpoint that knows a few refresh
// tokens and one code, and records the grants it was asked for. It stands
// in for a provider where the tests need its refusals and outages.
type tokenEndpoint struct {
	*httptest.Server

	mu     sync.Mutex
	down   bool     // answer 503 to everything
	grants []string // "refresh_token rt-good", "authorization_code code-ok", …
}

// SetDown makes the provider answer 503 to everything, or answer again.
func (p *tokenEndpoint) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

func newTokenEndpoint(t *testing.T) *tokenEndpoint {
	p := &tokenEndpoint{}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

func (p *tokenEndpoint) URL() string { return p.Server.URL + "/token" }

func (p *tokenEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	grant := r.Form.Get("grant_type")
	p.mu.Lock()
	p.grants = append(p.grants, strings.TrimSpace(grant+" "+r.Form.Get("refresh_token")+r.Form.Get("code")))
	down := p.down
	p.mu.Unlock()
	answer := func(status int, v map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	switch {
	case down:
		answer(http.StatusServiceUnavailable, map[string]any{"error": "temporarily_unavailable"})
	case grant == "refresh_token" && r.Form.Get("refresh_token") == "rt-good":
		answer(http.StatusOK, map[string]any{"access_token": "at-refreshed", "refresh_token": "rt-rotated", "token_type": "Bearer", "expires_in": 3600})
	case grant == "refresh_token" && r.Form.Get("refresh_token") == "rt-no-lifetime":
		answer(http.StatusOK, map[string]any{"access_token": "at-refreshed", "token_type": "Bearer"})
	case grant == "authorization_code" && r.Form.Get("code") == "code-ok":
		answer(http.StatusOK, map[string]any{"access_token": "at-signed-in", "refresh_token": "rt-new", "token_type": "Bearer", "expires_in": 3600})
	default:
		answer(http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "expired or revoked"})
	}
}

// Grants are the grants asked for so far.
func (p *tokenEndpoint) Grants() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.grants)
}

// otherProcess is the session's lock as another fourinsight-token holds it:
// while this one waits, the other does its work (what happen does), then
// lets go.
type otherProcess struct {
	store.File
	happen func(store.File)
}

func (o otherProcess) Lock(ctx context.Context, key string, waiting func()) (func(), error) {
	if o.happen != nil {
		o.happen(o.File)
	}
	return o.File.Lock(ctx, key, waiting)
}

// countedLocks counts the times the session's lock is taken.
type countedLocks struct {
	broker.Locker
	n *int
}

func (c countedLocks) Lock(ctx context.Context, key string, waiting func()) (func(), error) {
	*c.n++
	return c.Locker.Lock(ctx, key, waiting)
}

// fullDisk is a file store whose writes fail, as on a full disk.
type fullDisk struct{ store.File }

func (fullDisk) Save(string, *store.Entry) error {
	return errors.New("write token.ws: no space left on device")
}

// A person at a terminal who pastes the sign-in page's package.
func personPasting(p *tokenEndpoint) broker.Interaction {
	return broker.Interaction{
		Allowed: true, Terminal: true, Out: new(bytes.Buffer),
		Prompt: func(context.Context, string) (string, error) {
			return fmt.Sprintf(`{"endpoint": %q, "code": "code-ok"}`, p.URL()), nil
		},
	}
}

// nonInteractive is CI=true or --non-interactive.
var nonInteractive = broker.Interaction{}

// setup is a user's cache dir and a broker for a profile that signs in
// with the paste flow at p.
func setup(t *testing.T, p *tokenEndpoint) (*broker.Broker, store.File, *bytes.Buffer) {
	f := store.File{Dir: filepath.Join(t.TempDir(), "api")}
	stderr := new(bytes.Buffer)
	b := &broker.Broker{
		Settings: profile.Settings{
			Profile: profile.Profile{
				Name: "test", ClientID: "app", TokenURL: p.URL(), SignInURL: p.Server.URL + "/signin",
			},
			ClientSecret: "public-secret",
		},
		Store: f, Locks: f, Memory: f,
		MinValid:     time.Minute,
		LockTimeout:  5 * time.Second,
		LoginTimeout: 5 * time.Second,
		HTTP:         flows.HTTPOptions{Timeout: 5 * time.Second, Attempts: 1},
		Stderr:       stderr,
	}
	return b, f, stderr
}

// ours is an entry this tool made for the settings of setup.
func ours(p *tokenEndpoint, access, refresh string, expires time.Duration) *store.Entry {
	return &store.Entry{
		AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		ExpiresAt: time.Now().Add(expires).Truncate(time.Second), TokenURL: p.URL(),
		Meta: &store.Meta{Provider: p.Server.URL + "/signin", ClientID: "app", Flow: profile.FlowPaste},
	}
}

func TestToken(t *testing.T) {
	tests := []struct {
		name string
		// cached is what the session holds when the call starts.
		cached func(p *tokenEndpoint) *store.Entry
		// whileWaiting is what another process does while this one waits
		// for the session's lock.
		whileWaiting func(p *tokenEndpoint, f store.File)
		interact     broker.Interaction // nonInteractive unless set
		person       bool               // a person at a terminal pastes the package
		force        bool
		down         bool
		noLock       bool // served without taking the session's lock

		token  string // the token handed out
		err    error  // or the error, and what it says
		says   []string
		grants []string // what the provider was asked
		// then checks what the session holds afterwards.
		then func(t *testing.T, e *store.Entry)
	}{
		{
			name:   "a valid cached token is served without asking the provider",
			cached: func(p *tokenEndpoint) *store.Entry { return ours(p, "at-cached", "rt-good", time.Hour) },
			token:  "at-cached",
			noLock: true,
		},
		{
			name:   "a token from the Python client (no record of ours) is served as it is",
			cached: func(p *tokenEndpoint) *store.Entry { e := ours(p, "at-python", "", time.Hour); e.Meta = nil; return e },
			token:  "at-python",
			noLock: true,
		},
		{
			name:   "a token about to expire is refreshed, and the rotated refresh token kept",
			cached: func(p *tokenEndpoint) *store.Entry { return ours(p, "at-old", "rt-good", 30*time.Second) },
			token:  "at-refreshed",
			grants: []string{"refresh_token rt-good"},
			then: func(t *testing.T, e *store.Entry) {
				if e.AccessToken != "at-refreshed" || e.RefreshToken != "rt-rotated" || time.Until(e.ExpiresAt) < 59*time.Minute {
					t.Errorf("saved %s/%s until %s; want the refreshed token and rotated refresh token for an hour", e.AccessToken, e.RefreshToken, e.ExpiresAt)
				}
			},
		},
		{
			name:   "another process renewed the session while we waited for the lock",
			cached: func(p *tokenEndpoint) *store.Entry { return ours(p, "at-old", "rt-good", -time.Minute) },
			whileWaiting: func(p *tokenEndpoint, f store.File) {
				f.Save("ws", ours(p, "at-other", "rt-other", time.Hour))
			},
			token: "at-other",
		},
		{
			name:   "another process signed the session in at another provider while we waited",
			cached: func(p *tokenEndpoint) *store.Entry { return ours(p, "at-old", "rt-good", -time.Minute) },
			whileWaiting: func(p *tokenEndpoint, f store.File) {
				e := ours(p, "at-other", "rt-other", time.Hour)
				e.Meta.Provider = "https://login.elsewhere.example"
				f.Save("ws", e)
			},
			err:  profile.ErrMismatch,
			says: []string{"session ws was signed in at https://login.elsewhere.example", "fourinsight-token login -f -s ws"},
		},
		{
			name: "a session made for another client is refused, never refreshed",
			cached: func(p *tokenEndpoint) *store.Entry {
				e := ours(p, "at-cached", "rt-good", time.Hour)
				e.Meta.ClientID = "someone-else"
				return e
			},
			err:  profile.ErrMismatch,
			says: []string{"as client someone-else", "--session"},
		},
		{
			name: "a session made for another client is refused under the lock too (login)",
			cached: func(p *tokenEndpoint) *store.Entry {
				e := ours(p, "at-cached", "rt-good", time.Hour)
				e.Meta.ClientID = "someone-else"
				return e
			},
			person: true,
			force:  true,
			err:    profile.ErrMismatch,
		},
		{
			name:   "a refused refresh token is dropped and the person signs in again",
			cached: func(p *tokenEndpoint) *store.Entry { return ours(p, "at-old", "rt-revoked", -time.Minute) },
			person: true,
			token:  "at-signed-in",
			grants: []string{"refresh_token rt-revoked", "authorization_code code-ok"},
			then: func(t *testing.T, e *store.Entry) {
				if e.RefreshToken != "rt-new" {
					t.Errorf("saved refresh token %q, want the sign-in's", e.RefreshToken)
				}
			},
		},
		{
			name:   "a refused refresh token, and no sign-in allowed here: one error that says both",
			cached: func(p *tokenEndpoint) *store.Entry { return ours(p, "at-old", "rt-revoked", -time.Minute) },
			err:    broker.ErrSignInRequired,
			says:   []string{"no longer accepts the refresh token of session ws", "non-interactive", "fourinsight-token login -s ws"},
			grants: []string{"refresh_token rt-revoked"},
			then: func(t *testing.T, e *store.Entry) {
				if e.RefreshToken != "" {
					t.Errorf("the refused refresh token is still saved: %q", e.RefreshToken)
				}
			},
		},
		{
			name:     "a refused refresh token, and no terminal to sign in at",
			cached:   func(p *tokenEndpoint) *store.Entry { return ours(p, "at-old", "rt-revoked", -time.Minute) },
			interact: broker.Interaction{Allowed: true},
			err:      broker.ErrSignInRequired,
			says:     []string{"no longer accepts the refresh token of session ws", "no terminal here", "fourinsight-token login -s ws"},
			grants:   []string{"refresh_token rt-revoked"},
		},
		{
			name: "nothing cached and no sign-in allowed here",
			err:  broker.ErrSignInRequired,
			says: []string{"session ws needs a sign-in", "fourinsight-token login -s ws"},
			then: func(t *testing.T, e *store.Entry) { t.Errorf("an entry was saved: %+v", e) },
		},
		{
			name:   "nothing cached: the person signs in",
			person: true,
			token:  "at-signed-in",
			grants: []string{"authorization_code code-ok"},
		},
		{
			name:   "login (force) signs in again whatever the cache holds",
			cached: func(p *tokenEndpoint) *store.Entry { return ours(p, "at-cached", "rt-good", time.Hour) },
			person: true,
			force:  true,
			token:  "at-signed-in",
			grants: []string{"authorization_code code-ok"},
		},
		{
			name:   "a provider that names no lifetime: the token lives DefaultLifetime",
			cached: func(p *tokenEndpoint) *store.Entry { return ours(p, "at-old", "rt-no-lifetime", -time.Minute) },
			token:  "at-refreshed",
			grants: []string{"refresh_token rt-no-lifetime"},
			then: func(t *testing.T, e *store.Entry) {
				if left := time.Until(e.ExpiresAt); left < 2*time.Minute || left > 3*time.Minute {
					t.Errorf("saved to live %s more, want --default-lifetime 3m", left)
				}
			},
		},
		{
			name:   "a provider that does not answer: the refresh fails, and the queue is told",
			cached: func(p *tokenEndpoint) *store.Entry { return ours(p, "at-old", "rt-good", -time.Minute) },
			down:   true,
			err:    flows.ErrUnavailable,
			says:   []string{"answered 503"},
			grants: []string{"refresh_token rt-good"},
		},
		{
			name:   "callers queued behind a process that found the provider down share its answer",
			cached: func(p *tokenEndpoint) *store.Entry { return ours(p, "at-old", "rt-good", -time.Minute) },
			whileWaiting: func(p *tokenEndpoint, f store.File) {
				f.RememberOutage("ws", store.Outage{At: time.Now(), Message: "no answer from the provider: token endpoint at 127.0.0.1 answered 503"})
			},
			err:  flows.ErrUnavailable,
			says: []string{"answered 503", "another fourinsight-token tried", "try again in"},
		},
		{
			name:   "an outage remembered long before this call is not shared",
			cached: func(p *tokenEndpoint) *store.Entry { return ours(p, "at-old", "rt-good", -time.Minute) },
			whileWaiting: func(p *tokenEndpoint, f store.File) {
				f.RememberOutage("ws", store.Outage{At: time.Now().Add(-broker.OutageWindow - time.Second), Message: "no answer from the provider"})
			},
			token:  "at-refreshed",
			grants: []string{"refresh_token rt-good"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTokenEndpoint(t)
			p.SetDown(tt.down)
			b, f, stderr := setup(t, p)
			b.DefaultLifetime = 3 * time.Minute
			b.Interact = tt.interact
			if tt.person {
				b.Interact = personPasting(p)
			}
			if tt.whileWaiting != nil {
				b.Locks = otherProcess{f, func(f store.File) { tt.whileWaiting(p, f) }}
			}
			locks := 0
			b.Locks = countedLocks{b.Locks, &locks}
			if tt.cached != nil {
				if err := f.Save("ws", tt.cached(p)); err != nil {
					t.Fatal(err)
				}
			}

			e, err := b.Token(context.Background(), "ws", tt.force)

			switch {
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Fatalf("Token = %v, want %v", err, tt.err)
			case tt.err == nil && err != nil:
				t.Fatalf("Token: %v", err)
			case tt.err == nil && e.AccessToken != tt.token:
				t.Errorf("handed out %q, want %q", e.AccessToken, tt.token)
			}
			for _, want := range tt.says {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not say %q: %v", want, err)
				}
			}
			if err != nil && strings.Contains(err.Error(), "rt-") {
				t.Errorf("the error shows a refresh token: %v", err)
			}
			if tt.noLock && locks > 0 {
				t.Errorf("took the session's lock %d times, want none: the cache could serve", locks)
			}
			if got := p.Grants(); !slices.Equal(got, tt.grants) {
				t.Errorf("the provider was asked %q, want %q", got, tt.grants)
			}
			if tt.err == nil && stderr.Len() > 0 && !strings.Contains(stderr.String(), "signing in again") {
				t.Errorf("stderr: %s", stderr)
			}
			if tt.then != nil {
				saved, err := f.Load("ws")
				if err == nil {
					tt.then(t, saved)
				} else if !errors.Is(err, store.ErrNotFound) {
					t.Fatal(err)
				}
			}
		})
	}
}

// A provider that did not answer is remembered, so that the callers queued
// on the lock fail at once instead of each trying again; and the memory holds
// no secret.
func TestTokenRemembersAnOutageForTheQueue(t *testing.T) {
	p := newTokenEndpoint(t)
	p.SetDown(true)
	b, f, _ := setup(t, p)
	f.Save("ws", ours(p, "at-old", "rt-good", -time.Minute))

	if _, err := b.Token(context.Background(), "ws", false); !errors.Is(err, flows.ErrUnavailable) {
		t.Fatalf("first caller: %v, want no answer", err)
	}
	o := f.LastOutage("ws")
	if o == nil || !strings.Contains(o.Message, "503") || strings.Contains(o.Message, "rt-") {
		t.Fatalf("remembered outage: %+v", o)
	}
	p.SetDown(false) // the next caller was queued: it does not try again
	_, err := b.Token(context.Background(), "ws", false)
	if !errors.Is(err, flows.ErrUnavailable) || !strings.Contains(err.Error(), "another fourinsight-token tried") {
		t.Fatalf("queued caller: %v, want the shared outage", err)
	}
	if n := len(p.Grants()); n != 1 {
		t.Errorf("the provider was asked %d times, want once", n)
	}
}

// A cache that cannot be written (a full disk) does not cost the caller the
// token: it is handed out, and stderr says once that it was not saved.
func TestTokenWhenTheCacheCannotBeSaved(t *testing.T) {
	p := newTokenEndpoint(t)
	b, f, stderr := setup(t, p)
	f.Save("ws", ours(p, "at-old", "rt-good", -time.Minute))
	b.Store = fullDisk{f}

	e, err := b.Token(context.Background(), "ws", false)
	if err != nil || e.AccessToken != "at-refreshed" {
		t.Fatalf("Token = %v, %v; want the refreshed token", e, err)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "could not update the cached session ws") || !strings.Contains(lines[0], "no space left on device") {
		t.Errorf("want one line saying the session was not saved; stderr:\n%s", stderr)
	}
	if strings.Contains(stderr.String(), "at-refreshed") || strings.Contains(stderr.String(), "rt-") {
		t.Errorf("stderr shows a token: %s", stderr)
	}
}

// --no-store keeps nothing: every call signs in, and no file is written.
func TestTokenWithoutStore(t *testing.T) {
	p := newTokenEndpoint(t)
	b, f, _ := setup(t, p)
	b.Store, b.Locks = nil, nil
	b.Interact = personPasting(p)
	for range 2 {
		if e, err := b.Token(context.Background(), "ws", false); err != nil || e.AccessToken != "at-signed-in" {
			t.Fatalf("Token = %v, %v", e, err)
		}
	}
	if n := len(p.Grants()); n != 2 {
		t.Errorf("%d sign-ins, want one per call", n)
	}
	if keys, _ := f.Keys(); len(keys) != 0 {
		t.Errorf("sessions saved: %q", keys)
	}
}
