package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"golang.org/x/oauth2"
)

func TestDeviceFlow(t *testing.T) {
	p := startProvider(t)
	codeRE := regexp.MustCompile(`enter the code:\s+(\S+)`)
	tests := []struct {
		name    string
		decide  func(userCode string) error
		wantErr error
		errHas  string
	}{
		{name: "approved", decide: p.ApproveDevice},
		{name: "denied", decide: p.DenyDevice, wantErr: ErrRefused, errHas: "denied on the verification page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &syncBuffer{}
			cfg := &oauth2.Config{ClientID: testop.DeviceClientID, Endpoint: p.Endpoint(), Scopes: []string{"openid", "offline_access"}}
			cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
			ctx, cancel := context.WithTimeout(WithClient(context.Background(), http.DefaultClient), 20*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				for ctx.Err() == nil {
					if m := codeRE.FindStringSubmatch(out.String()); m != nil {
						done <- tt.decide(m[1])
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				done <- ctx.Err()
			}()
			tok, err := Device(ctx, cfg, DeviceOptions{Out: out, Logf: out.logf})
			if derr := <-done; derr != nil {
				t.Fatal(derr)
			}
			if tt.wantErr != nil {
				var pe *ProviderError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &pe) || pe.Code != "access_denied" || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" {
				t.Errorf("token: %+v", tok)
			}
			for _, want := range []string{p.Issuer() + "/device", "Waiting for you to approve", "the code expires in"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// fakeDevice is a device authorization server whose token endpoint answers
// each poll with the next of answers (the last one repeats).
func fakeDevice(t *testing.T, expiresIn int, answers ...string) *oauth2.Config {
	polls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/device":
			fmt.Fprintf(w, `{"device_code":"dc-secret","user_code":"ABCD-EFGH","verification_uri":"https://idp.example/device","verification_uri_complete":"https://idp.example/device?user_code=ABCD-EFGH","expires_in":%d,"interval":1}`, expiresIn)
		case "/token":
			a := answers[min(polls, len(answers)-1)]
			polls++
			if strings.HasPrefix(a, "{") {
				w.Write([]byte(a))
				return
			}
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":%q}`, a)
		}
	}))
	t.Cleanup(srv.Close)
	return &oauth2.Config{ClientID: "cli", Endpoint: oauth2.Endpoint{DeviceAuthURL: srv.URL + "/device", TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}}
}

func TestDeviceFlowEnds(t *testing.T) {
	tests := []struct {
		name       string
		expiresIn  int
		answers    []string
		ctxTimeout time.Duration
		wantErr    []error
		errHas     string
	}{
		{name: "pending then token", expiresIn: 60, answers: []string{"authorization_pending", `{"access_token":"at","token_type":"Bearer","expires_in":60}`}},
		{name: "expired_token", expiresIn: 60, answers: []string{"expired_token"}, wantErr: []error{ErrUnavailable, ErrNotCompleted}, errHas: "expired"},
		{name: "expires_in passes", expiresIn: 2, answers: []string{"authorization_pending"}, wantErr: []error{ErrUnavailable, ErrNotCompleted}, errHas: "expired"},
		{name: "login timeout", expiresIn: 60, answers: []string{"authorization_pending"}, ctxTimeout: 1500 * time.Millisecond, wantErr: []error{ErrNotCompleted, context.DeadlineExceeded}},
		{name: "other error", expiresIn: 60, answers: []string{"invalid_client"}, wantErr: []error{ErrRefused}, errHas: "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := fakeDevice(t, tt.expiresIn, tt.answers...)
			ctx := WithClient(context.Background(), http.DefaultClient)
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			out := &syncBuffer{}
			tok, err := Device(ctx, cfg, DeviceOptions{Out: out})
			if tt.wantErr == nil {
				if err != nil || tok.AccessToken != "at" {
					t.Fatalf("tok %v err %v", tok, err)
				}
			}
			for _, want := range tt.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want it to match %v", err, want)
				}
			}
			if err != nil && !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("err = %v, want %q", err, tt.errHas)
			}
			if s := out.String(); !strings.Contains(s, "ABCD-EFGH") || !strings.Contains(s, "user_code=ABCD-EFGH") || strings.Contains(s, "dc-secret") {
				t.Errorf("output:\n%s", s)
			}
		})
	}
}

func TestDeviceFlowNeedsVerificationURI(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"device_code":"d","user_code":"u","verification_uri":"http://evil.example/device","expires_in":60}`))
	}))
	defer srv.Close()
	cfg := &oauth2.Config{ClientID: "cli", Endpoint: oauth2.Endpoint{DeviceAuthURL: srv.URL, TokenURL: srv.URL}}
	_, err := Device(WithClient(context.Background(), http.DefaultClient), cfg, DeviceOptions{Out: &syncBuffer{}})
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed for a plain-http verification address", err)
	}
}
