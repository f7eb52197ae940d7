package flows

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/flows/urls"
	"golang.org/x/oauth2"
)

// faultyProvider answers the token endpoint with the given statuses in
// turn, then with a good token; it counts the requests it saw.
func faultyProvider(t *testing.T, answers ...func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(answers) {
			answers[i](w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"good-token","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func status(code int, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

func oauthError(code int, body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write([]byte(body))
	}
}

func TestClientCredentialsRetries(t *testing.T) {
	tests := []struct {
		name     string
		answers  []func(http.ResponseWriter)
		timeout  time.Duration
		wantErr  error
		errHas   string
		attempts int32
	}{
		{name: "503 twice then OK", answers: []func(http.ResponseWriter){status(503), status(503)}, attempts: 3},
		{name: "429 with Retry-After then OK", answers: []func(http.ResponseWriter){status(429, "Retry-After", "0")}, attempts: 2},
		{name: "5xx three times", answers: []func(http.ResponseWriter){status(500), status(502), status(503)}, wantErr: ErrUnavailable, errHas: "503", attempts: 3},
		{name: "Retry-After too long is not waited for", answers: []func(http.ResponseWriter){status(503, "Retry-After", "3600")}, wantErr: ErrUnavailable, attempts: 1},
		{name: "invalid_client is not retried", answers: []func(http.ResponseWriter){oauthError(401, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret"}`)},
			wantErr: ErrRefused, errHas: "invalid_client: AADSTS7000215", attempts: 1},
		{name: "plain 403", answers: []func(http.ResponseWriter){status(403)}, wantErr: ErrRefused, errHas: "403", attempts: 1},
		{name: "malformed answer", answers: []func(http.ResponseWriter){oauthError(200, `<html>proxy login</html>`)}, wantErr: ErrMalformed, attempts: 1},
		{name: "slow provider", answers: []func(http.ResponseWriter){func(http.ResponseWriter) { time.Sleep(300 * time.Millisecond) }, func(http.ResponseWriter) { time.Sleep(300 * time.Millisecond) }, func(http.ResponseWriter) { time.Sleep(300 * time.Millisecond) }},
			timeout: 50 * time.Millisecond, wantErr: ErrUnavailable, errHas: "did not answer in time", attempts: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := faultyProvider(t, tt.answers...)
			client, err := NewHTTPClient(HTTPOptions{Timeout: tt.timeout})
			if err != nil {
				t.Fatal(err)
			}
			cfg := &oauth2.Config{ClientID: "id", ClientSecret: "the-secret", Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
			tok, err := ClientCredentials(WithClient(context.Background(), client), cfg)
			if got := n.Load(); got != tt.attempts {
				t.Errorf("provider saw %d attempts, want %d", got, tt.attempts)
			}
			if tt.wantErr == nil {
				if err != nil || tok.AccessToken != "good-token" {
					t.Fatalf("got %v, %v", tok, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.wantErr, tt.errHas)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "the-secret") {
				t.Fatalf("error is not one safe line: %q", err)
			}
		})
	}
}

func TestRefreshInvalidGrant(t *testing.T) {
	srv, _ := faultyProvider(t, oauthError(400, `{"error":"invalid_grant","error_description":"refresh token revoked"}`))
	client, _ := NewHTTPClient(HTTPOptions{})
	cfg := &oauth2.Config{ClientID: "id", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInParams}}
	_, err := Refresh(WithClient(context.Background(), client), cfg, "rt")
	if !IsInvalidGrant(err) || !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v, want invalid_grant", err)
	}
}

func TestResponseBodyIsLimited(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"` + strings.Repeat("a", 2<<20) + `"}`))
	}))
	defer srv.Close()
	client, _ := NewHTTPClient(HTTPOptions{})
	cfg := &oauth2.Config{ClientID: "id", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: srv.URL}}
	if _, err := ClientCredentials(WithClient(context.Background(), client), cfg); err == nil {
		t.Fatal("a 2 MiB token response was accepted")
	}
}

func TestRedact(t *testing.T) {
	u, _ := url.Parse("https://user:pw@idp.example/authorize?code=SECRETCODE&state=S#frag")
	got := Redact(u)
	for _, secret := range []string{"SECRETCODE", "pw", "frag"} {
		if strings.Contains(got, secret) {
			t.Errorf("Redact kept %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "idp.example/authorize") {
		t.Errorf("Redact lost the endpoint: %s", got)
	}
}

func TestCheckURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://idp.example":       true,
		"http://127.0.0.1:8080/x":   true,
		"http://localhost/x":        true,
		"http://[::1]:9/x":          true,
		"http://idp.example/x":      false,
		"ftp://idp.example":         false,
		"/relative":                 false,
		"http://127.0.0.1.nip.io/x": false,
	} {
		if err := urls.Check(raw); (err == nil) != ok {
			t.Errorf("urls.Check(%q) = %v, want ok=%v", raw, err, ok)
		}
	}
}
