package flows

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// A provider that misbehaves on purpose: each test is something a hostile
// or broken provider could answer, and what must (not) follow from it.

// sink is a server that must never be reached: it counts what it gets.
func sink(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	t.Cleanup(srv.Close)
	return srv, &n
}

func clientFor(t *testing.T, o HTTPOptions) context.Context {
	t.Helper()
	c, err := NewHTTPClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return WithClient(context.Background(), c)
}

func TestSecretsFollowNoRedirect(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			elsewhere, reached := sink(t)
			srv, n := faultyProvider(t, status(code, "Location", elsewhere.URL+"/steal"))
			ctx := clientFor(t, HTTPOptions{})
			cfg := &oauth2.Config{ClientID: "id", ClientSecret: "the-secret", Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}}

			_, err := Refresh(ctx, cfg, "the-refresh-token")
			if !errors.Is(err, ErrRedirected) || !errors.Is(err, ErrUnsafeEndpoint) {
				t.Fatalf("err = %v, want ErrRedirected", err)
			}
			if reached.Load() != 0 || n.Load() != 1 {
				t.Fatalf("the redirect target got %d requests, the endpoint %d; want 0 and 1", reached.Load(), n.Load())
			}
			if !strings.Contains(err.Error(), strings.TrimPrefix(elsewhere.URL, "http://")) {
				t.Errorf("the error does not name the redirect's host: %v", err)
			}
			for _, s := range []string{"the-secret", "the-refresh-token", "\n"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error contains %q: %v", s, err)
				}
			}
		})
	}
}

func TestDiscoveryEndpointsMeetTheRules(t *testing.T) {
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                 issuer,
			"authorization_endpoint": issuer + "/authorize",
			"token_endpoint":         "http://idp.example.com/token", // clear text, not loopback
			"jwks_uri":               issuer + "/keys",
		})
	}))
	defer srv.Close()
	issuer = srv.URL
	c, _ := NewHTTPClient(HTTPOptions{})
	_, err := Discover(context.Background(), c, issuer)
	if !errors.Is(err, ErrUnsafeEndpoint) || !strings.Contains(err.Error(), "token_endpoint") {
		t.Fatalf("err = %v, want the token_endpoint refused", err)
	}
}

func jwtWith(claims map[string]any) string {
	payload, _ := json.Marshal(claims)
	return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(payload) + ".c2ln"
}

func TestTokenAnswersAreChecked(t *testing.T) {
	future := time.Now().Add(time.Hour).Truncate(time.Second)
	jwt := jwtWith(map[string]any{"exp": future.Unix(), "sub": "someone"})
	tests := []struct {
		name       string
		body       string
		wantErr    error
		wantExpiry time.Time // zero: no expiry known
		wantIn     time.Duration
	}{
		{name: "header injection", body: `{"access_token":"AT\r\nX-Injected: yes","token_type":"Bearer","expires_in":3600}`, wantErr: ErrMalformed},
		{name: "space in token", body: `{"access_token":"two words","expires_in":3600}`, wantErr: ErrMalformed},
		{name: "empty token", body: `{"access_token":"","expires_in":3600}`, wantErr: ErrMalformed},
		{name: "mac token", body: `{"access_token":"abc","token_type":"mac","expires_in":3600}`, wantErr: ErrMalformed},
		{name: "bearer any case", body: `{"access_token":"abc.def-ghi_~+/==","token_type":"BEARER","expires_in":3600}`, wantIn: time.Hour},
		{name: "no token_type", body: `{"access_token":"abc","expires_in":60}`, wantIn: time.Minute},
		{name: "expires_in 0, opaque", body: `{"access_token":"abc","expires_in":0}`, wantErr: ErrMalformed},
		{name: "expires_in negative, opaque", body: `{"access_token":"abc","expires_in":-5}`, wantErr: ErrMalformed},
		{name: "expires_in 0, JWT still valid", body: `{"access_token":"` + jwt + `","expires_in":0}`, wantExpiry: future},
		{name: "no expires_in, JWT", body: `{"access_token":"` + jwt + `"}`, wantExpiry: future},
		{name: "no expires_in, expired JWT", body: `{"access_token":"` + jwtWith(map[string]any{"exp": 1000}) + `"}`},
		{name: "no expires_in, opaque", body: `{"access_token":"abc"}`},
		{name: "expires_in as a string", body: `{"access_token":"abc","expires_in":"120"}`, wantIn: 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := faultyProvider(t, oauthError(200, tt.body))
			cfg := &oauth2.Config{ClientID: "id", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
			tok, err := ClientCredentials(clientFor(t, HTTPOptions{}), cfg)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if strings.ContainsAny(err.Error(), "\r\n") {
					t.Fatalf("the error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.wantIn > 0:
				if in := time.Until(tok.Expiry); in > tt.wantIn || in < tt.wantIn-5*time.Second {
					t.Errorf("expires in %s, want about %s", in, tt.wantIn)
				}
			case !tok.Expiry.Equal(tt.wantExpiry):
				t.Errorf("expiry = %v, want %v", tok.Expiry, tt.wantExpiry)
			}
		})
	}
}

func TestProviderTextReachesTheTerminalClean(t *testing.T) {
	srv, _ := faultyProvider(t, oauthError(400, `{"error":"invalid_grant\u001b[2J","error_description":"gone\r\n\u001b]0;owned\u0007 bye"}`))
	cfg := &oauth2.Config{ClientID: "id", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInParams}}
	_, err := Refresh(clientFor(t, HTTPOptions{}), cfg, "rt")
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07\r\n") {
		t.Fatalf("err = %q, want no control characters", err)
	}
}

func TestTooManyRequestsIsUnavailableEvenWithAnOAuthBody(t *testing.T) {
	body := `{"error":"temporarily_unavailable","error_description":"slow down"}`
	srv, n := faultyProvider(t, oauthError(429, body), oauthError(429, body), oauthError(429, body))
	cfg := &oauth2.Config{ClientID: "id", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	_, err := ClientCredentials(clientFor(t, HTTPOptions{}), cfg)
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrRefused) || n.Load() != 3 {
		t.Fatalf("err = %v after %d requests, want ErrUnavailable after 3", err, n.Load())
	}
}

func TestAnswerDrippingPastTheTimeoutIsATimeout(t *testing.T) {
	drip := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"`))
		w.(http.Flusher).Flush()
		for range 20 {
			time.Sleep(20 * time.Millisecond)
			w.Write([]byte("a"))
			w.(http.Flusher).Flush()
		}
	}
	srv, n := faultyProvider(t, drip, drip, drip)
	cfg := &oauth2.Config{ClientID: "id", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	_, err := ClientCredentials(clientFor(t, HTTPOptions{Timeout: 100 * time.Millisecond}), cfg)
	if !errors.Is(err, ErrUnavailable) || n.Load() != 3 {
		t.Fatalf("err = %v after %d attempts, want ErrUnavailable after 3", err, n.Load())
	}
}

// A signal that arrives while a refresh is in flight must not lose its
// answer: the provider may have rotated the refresh token already.
func TestCommittedRequestOutlivesItsCaller(t *testing.T) {
	answered := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-answered
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"rotated","refresh_token":"new-rt","expires_in":3600}`))
	}))
	defer srv.Close()
	c, _ := NewHTTPClient(HTTPOptions{Timeout: 5 * time.Second})
	ctx, interrupt := context.WithCancel(WithClient(context.Background(), c))
	cfg := &oauth2.Config{ClientID: "id", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInParams}}

	done := make(chan struct{})
	var tok *oauth2.Token
	var err error
	go func() {
		tok, err = Refresh(Committed(ctx), cfg, "old-rt")
		close(done)
	}()
	time.Sleep(100 * time.Millisecond) // the request is on its way
	interrupt()
	time.Sleep(50 * time.Millisecond)
	close(answered)
	<-done
	if err != nil || tok.RefreshToken != "new-rt" {
		t.Fatalf("got %v, %v; want the rotated token despite the interruption", tok, err)
	}
}

func TestCommittedRequestIsNotSentAfterTheInterruption(t *testing.T) {
	srv, n := faultyProvider(t)
	ctx, interrupt := context.WithCancel(clientFor(t, HTTPOptions{}))
	interrupt()
	cfg := &oauth2.Config{ClientID: "id", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	if _, err := Refresh(Committed(ctx), cfg, "rt"); err == nil || n.Load() != 0 {
		t.Fatalf("err = %v, %d requests; want an error and nothing sent", err, n.Load())
	}
}

func TestCommittedRequestStopsRetryingWhenInterrupted(t *testing.T) {
	srv, n := faultyProvider(t, status(503), status(503), status(503))
	ctx, interrupt := context.WithCancel(clientFor(t, HTTPOptions{}))
	cfg := &oauth2.Config{ClientID: "id", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	go func() { time.Sleep(50 * time.Millisecond); interrupt() }() // during the first backoff
	if _, err := Refresh(Committed(ctx), cfg, "rt"); err == nil || n.Load() != 1 {
		t.Fatalf("err = %v after %d requests; want an error after 1", err, n.Load())
	}
}
