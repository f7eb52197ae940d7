package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// tokenEndpoint is a token endpoint that answers every request with status
// and body, and counts the requests by grant type.
func tokenEndpoint(t *testing.T, status int, body string) (url string, grants map[string]*atomic.Int32) {
	grants = map[string]*atomic.Int32{"refresh_token": {}, "client_credentials": {}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if n, ok := grants[r.PostForm.Get("grant_type")]; ok {
			n.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(status)
		fmt.Fprintln(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/token", grants
}

const renewed = `{"access_token":"new-access","token_type":"Bearer","expires_in":3600,"refresh_token":"new-refresh"}`

// aheadBroker is a broker for a person's session (refresh token) or a
// service account's (client credentials) at tokenURL, over a file store.
func aheadBroker(t *testing.T, tokenURL string, service bool) (*Broker, store.File) {
	f := store.File{Dir: t.TempDir()}
	s := profile.Settings{Profile: profile.Profile{Name: "test", TokenURL: tokenURL, ClientID: "c"}}
	if service {
		s.Profile.ServiceTokenURL = tokenURL
		s.ClientSecret, s.SecretSupplied = "service-secret", true
	}
	return &Broker{Settings: s, Store: f, Locks: f, MinValid: time.Minute, LockTimeout: time.Second,
		RefreshAhead: store.AutoRefreshAhead, HTTP: flows.HTTPOptions{Timeout: 5 * time.Second, Attempts: 2}}, f
}

// pythonEntry writes a session as the Python client would: an hour's token
// with left to go.
func pythonEntry(t *testing.T, f store.File, tokenURL, refreshToken string, left time.Duration) {
	writeEntry(t, f, tokenURL, refreshToken, left, false)
}

// writeEntry writes an hour's token with left to go; ours adds the record
// fourinsight-token keeps.
func writeEntry(t *testing.T, f store.File, tokenURL, refreshToken string, left time.Duration, ours bool) {
	exp := time.Now().Add(left)
	m := map[string]any{"access_token": "old-access", "token_type": "Bearer", "expires_in": 3600,
		"expires_at": float64(exp.Unix()), "token_url": tokenURL}
	if refreshToken != "" {
		m["refresh_token"] = refreshToken
	}
	if ours {
		m[store.Namespace] = map[string]any{"provider": tokenURL, "client_id": "c", "flow": "browser",
			"issued": exp.Add(-time.Hour).UTC().Format(time.RFC3339)}
	}
	data, _ := json.Marshal(m)
	if err := os.WriteFile(f.Path("ws"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBackgroundRefresh(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		service    bool
		ours       bool          // the entry has our record (else the Python client wrote it)
		refresh    string        // the cached refresh token
		left       time.Duration // of the cached token
		busy       bool          // another process holds the session's lock
		requests   int           // of the grant the session renews with
		access     string        // cached afterwards
		keepsRT    bool          // the refresh token is still there
		result     string        // recorded outcome; "" none
		wantErr    bool
		resultHint string
	}{
		{name: "inside the window: renewed", status: 200, body: renewed, refresh: "old-refresh", left: 5 * time.Minute,
			requests: 1, access: "new-access", keepsRT: true, result: store.BackgroundRenewed},
		{name: "renewed meanwhile: nothing to do", status: 200, body: renewed, refresh: "old-refresh", left: 50 * time.Minute,
			access: "old-access", keepsRT: true},
		{name: "another process at work: nothing to do", status: 200, body: renewed, refresh: "old-refresh", left: 5 * time.Minute, busy: true,
			access: "old-access", keepsRT: true},
		{name: "refused refresh token: dropped, token kept", status: 400, body: `{"error":"invalid_grant"}`, ours: true, refresh: "old-refresh", left: 5 * time.Minute,
			requests: 1, access: "old-access", result: store.BackgroundRefused, wantErr: true},
		{name: "outage: the token stays as it was", status: 503, body: `{"error":"temporarily_unavailable"}`, ours: true, refresh: "old-refresh", left: 5 * time.Minute,
			requests: 2, access: "old-access", keepsRT: true, result: store.BackgroundFailed, wantErr: true, resultHint: "503"},
		{name: "python entry, refused refresh token: dropped, nothing recorded", status: 400, body: `{"error":"invalid_grant"}`, refresh: "old-refresh", left: 5 * time.Minute,
			requests: 1, access: "old-access", wantErr: true},
		{name: "python entry, outage: left as it was", status: 503, body: `{"error":"temporarily_unavailable"}`, refresh: "old-refresh", left: 5 * time.Minute,
			requests: 2, access: "old-access", keepsRT: true, wantErr: true},
		{name: "ours, renewed", status: 200, body: renewed, ours: true, refresh: "old-refresh", left: 5 * time.Minute,
			requests: 1, access: "new-access", keepsRT: true, result: store.BackgroundRenewed},
		{name: "service account: client credentials", status: 200, body: `{"access_token":"new-access","token_type":"Bearer","expires_in":3600}`, service: true, left: 5 * time.Minute,
			requests: 1, access: "new-access", result: store.BackgroundRenewed},
		{name: "no refresh token, not a service account: never a sign-in", status: 200, body: renewed, left: 5 * time.Minute,
			access: "old-access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, grants := tokenEndpoint(t, tt.status, tt.body)
			b, f := aheadBroker(t, url, tt.service)
			writeEntry(t, f, url, tt.refresh, tt.left, tt.ours)
			before, _ := os.ReadFile(f.Path("ws"))
			if tt.busy {
				unlock, err := f.Lock(context.Background(), "ws", nil)
				if err != nil {
					t.Fatal(err)
				}
				defer unlock()
			}
			err := b.BackgroundRefresh(context.Background(), "ws")
			if (err != nil) != tt.wantErr {
				t.Fatalf("BackgroundRefresh = %v, want an error: %v", err, tt.wantErr)
			}
			grant := "refresh_token"
			if tt.service {
				grant = "client_credentials"
			}
			if n := int(grants[grant].Load()); n != tt.requests {
				t.Errorf("%d %s requests, want %d", n, grant, tt.requests)
			}
			e, err := f.Load("ws")
			if err != nil {
				t.Fatal(err)
			}
			if e.AccessToken != tt.access || (e.RefreshToken != "") != tt.keepsRT {
				t.Errorf("cached access token %q, refresh token present %v; want %q, %v", e.AccessToken, e.RefreshToken != "", tt.access, tt.keepsRT)
			}
			if tt.access == "old-access" && e.ValidFor(time.Minute, time.Now()) != (tt.left > time.Minute) {
				t.Errorf("the still-valid token was touched: expires %v", e.ExpiresAt)
			}
			if life := e.Lifetime(); tt.result == store.BackgroundRenewed && (life < 59*time.Minute || life > 61*time.Minute) {
				t.Errorf("the renewed token's lifetime is recorded as %s, want an hour", life)
			}
			var got *store.Background
			if e.Meta != nil {
				got = e.Meta.Background
			}
			switch {
			case tt.result == "" && got != nil:
				t.Errorf("recorded %+v, want nothing", got)
			case tt.result != "" && (got == nil || got.Result != tt.result || time.Since(got.At) > time.Minute):
				t.Errorf("recorded %+v, want %s now", got, tt.result)
			case got != nil && tt.resultHint != "" && !strings.Contains(got.Detail, tt.resultHint):
				t.Errorf("recorded detail %q lacks %q", got.Detail, tt.resultHint)
			}
			if after, _ := os.ReadFile(f.Path("ws")); tt.access == "old-access" && tt.result == "" && tt.keepsRT && string(after) != string(before) {
				t.Errorf("the entry was rewritten:\n%s\nwas\n%s", after, before)
			}
			if tt.result != "" && e.Meta != nil && e.Meta.Provider != url {
				t.Errorf("record names provider %q, want %q (the entry is usable with these settings)", e.Meta.Provider, url)
			}
			if _, _, err := b.Settings.ForEntry("ws", e); err != nil {
				t.Errorf("the entry no longer serves these settings: %v", err)
			}
		})
	}
}

// After an outage is recorded in a record older than refresh ahead (no
// issue time), the entry's lifetime is still known: saving rewrites
// expires_in, so the issue time is recorded from it.
func TestBackgroundFailureKeepsTheWindow(t *testing.T) {
	url, _ := tokenEndpoint(t, 503, `{"error":"temporarily_unavailable"}`)
	b, f := aheadBroker(t, url, false)
	data, _ := json.Marshal(map[string]any{"access_token": "old-access", "refresh_token": "old-refresh", "expires_in": 3600,
		"expires_at": float64(time.Now().Add(5 * time.Minute).Unix()), "token_url": url,
		store.Namespace: map[string]any{"provider": url, "client_id": "c"}})
	os.WriteFile(f.Path("ws"), data, 0o600)
	b.BackgroundRefresh(context.Background(), "ws")
	e, err := f.Load("ws")
	if err != nil {
		t.Fatal(err)
	}
	if e.Meta.Background == nil || e.Meta.Issued.IsZero() {
		t.Fatalf("outcome %v, issued %v: want both recorded", e.Meta.Background, e.Meta.Issued)
	}
	if life := e.Lifetime(); life < 59*time.Minute || life > 61*time.Minute {
		t.Fatalf("lifetime after the failure = %s, want the hour it was issued for", life)
	}
	if !b.Settings.RenewAhead(e, store.AutoRefreshAhead, time.Now()) {
		t.Fatal("no longer inside the window after a failed background refresh")
	}
}

// Cached serves inside the window and starts one background refresh between
// its callers; outside the window, or with refresh ahead off, none.
func TestCachedStartsOneBackgroundRefresh(t *testing.T) {
	for _, tt := range []struct {
		name   string
		left   time.Duration
		ahead  time.Duration
		starts int32
	}{
		{"inside the window", 5 * time.Minute, store.AutoRefreshAhead, 1},
		{"outside the window", 50 * time.Minute, store.AutoRefreshAhead, 0},
		{"turned off", 5 * time.Minute, 0, 0},
		{"a fixed window", 50 * time.Minute, time.Hour, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, f := aheadBroker(t, "https://idp.example/token", false)
			b.RefreshAhead = tt.ahead
			var starts atomic.Int32
			b.StartBackground = func(key string) error {
				if key != "ws" {
					t.Errorf("started for session %q", key)
				}
				starts.Add(1)
				return nil
			}
			pythonEntry(t, f, "https://idp.example/token", "old-refresh", tt.left)
			for range 5 {
				e, err := b.Cached("ws")
				if err != nil || e == nil || e.AccessToken != "old-access" {
					t.Fatalf("Cached = %v, %v; want the cached token", e, err)
				}
			}
			if n := starts.Load(); n != tt.starts {
				t.Fatalf("%d background refreshes started, want %d", n, tt.starts)
			}
		})
	}
}
