package flows

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"golang.org/x/oauth2"
)

// syncBuffer collects what the flow prints, from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) logf(format string, args ...any) { fmt.Fprintf(s, "debug: "+format+"\n", args...) }

// recorder keeps the bodies of the requests the flow sends to the provider,
// to learn the code and verifier it must never print.
type recorder struct {
	mu     sync.Mutex
	bodies []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) form(field string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bodies {
		if q, err := url.ParseQuery(b); err == nil && q.Get(field) != "" {
			out = append(out, q.Get(field))
		}
	}
	return out
}

func startProvider(t *testing.T) *testop.Provider {
	t.Helper()
	p, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func nativeConfig(p *testop.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: testop.NativeClientID,
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   []string{"openid", "offline_access"},
	}
}

// deliver plays the browser: sign in at the provider, then request the
// redirect (after tamper has had its way with it) on the loopback listener.
func deliver(t *testing.T, p *testop.Provider, authURL string, tamper func(*url.URL)) (int, string) {
	t.Helper()
	final, err := p.Login(authURL)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	if tamper != nil {
		tamper(final)
	}
	resp, err := http.Get(final.String())
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBrowserFlow(t *testing.T) {
	p := startProvider(t)
	keys := p.Issuer() + "/keys"
	tests := []struct {
		name    string
		opts    func(o *BrowserOptions, p *testop.Provider, pages chan<- string)
		pages   int // pages the browser sees
		wantErr error
		errHas  string
		outHas  []string
	}{
		{
			name: "browser opens and comes back",
			opts: func(o *BrowserOptions, p *testop.Provider, pages chan<- string) {
				o.Open = func(u string) error {
					go func() {
						st, page := deliver(t, p, u, nil)
						pages <- fmt.Sprint(st, " ", page)
					}()
					return nil
				}
			},
			pages:  1,
			outHas: []string{"Opening the sign-in page", "verified the ID token's signature and nonce"},
		},
		{
			name: "without issuer keys only the nonce is checked",
			opts: func(o *BrowserOptions, p *testop.Provider, pages chan<- string) {
				o.Keys = ""
				o.Open = func(u string) error {
					go func() { st, page := deliver(t, p, u, nil); pages <- fmt.Sprint(st, " ", page) }()
					return nil
				}
			},
			pages:  1,
			outHas: []string{"checked the ID token's nonce"},
		},
		{
			name: "wrong state is refused and the flow keeps waiting",
			opts: func(o *BrowserOptions, p *testop.Provider, pages chan<- string) {
				o.Open = func(u string) error {
					go func() {
						final, err := p.Login(u)
						if err != nil {
							t.Error(err)
							return
						}
						bad := *final
						q := bad.Query()
						q.Set("state", "forged")
						bad.RawQuery = q.Encode()
						for _, target := range []*url.URL{&bad, final} {
							resp, err := http.Get(target.String())
							if err != nil {
								t.Error(err)
								return
							}
							b, _ := io.ReadAll(resp.Body)
							resp.Body.Close()
							pages <- fmt.Sprint(resp.StatusCode, " ", string(b))
						}
					}()
					return nil
				}
			},
			pages:  2,
			outHas: []string{"refused a redirect whose state does not match"},
		},
		{
			name: "provider error is shown and returned",
			opts: func(o *BrowserOptions, p *testop.Provider, pages chan<- string) {
				o.Open = func(u string) error {
					go func() {
						au, _ := url.Parse(u)
						back, _ := url.Parse(au.Query().Get("redirect_uri"))
						back.RawQuery = url.Values{"error": {"access_denied"}, "error_description": {"no <b>way</b>"}, "state": {au.Query().Get("state")}}.Encode()
						resp, err := http.Get(back.String())
						if err != nil {
							t.Error(err)
							return
						}
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						pages <- fmt.Sprint(resp.StatusCode, " ", string(b))
					}()
					return nil
				}
			},
			pages:   1,
			wantErr: ErrRefused,
			errHas:  "access_denied: no <b>way</b>",
		},
		{
			name: "no browser: the pasted address signs in, after a wrong one",
			opts: func(o *BrowserOptions, p *testop.Provider, pages chan<- string) {
				var asked int
				var authURL string
				o.Prompt = func(ctx context.Context, q string) (string, error) {
					asked++
					if asked == 1 {
						authURL = findURL(o.Out.(*syncBuffer).String())
						return "http://127.0.0.1:1/callback?code=x&state=wrong\n", nil
					}
					final, err := p.Login(authURL)
					if err != nil {
						return "", err
					}
					return "\x1b[200~" + final.String() + "\x1b[201~\n", nil
				}
			},
			outHas: []string{"To sign in, open this address", "That is not the address of this sign-in", "paste it here"},
		},
		{
			name: "the opener fails: the address is printed and pasting is offered",
			opts: func(o *BrowserOptions, p *testop.Provider, pages chan<- string) {
				o.Open = func(string) error { return errors.New("xdg-open exited with status 3") }
				o.Prompt = func(ctx context.Context, q string) (string, error) {
					final, err := p.Login(findURL(o.Out.(*syncBuffer).String()))
					if err != nil {
						return "", err
					}
					return final.String(), nil
				}
			},
			outHas: []string{"Could not open a browser (xdg-open exited with status 3)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &syncBuffer{}
			rec := &recorder{}
			ctx, cancel := context.WithTimeout(WithClient(context.Background(), &http.Client{Transport: rec}), 20*time.Second)
			defer cancel()
			o := BrowserOptions{Out: out, Logf: out.logf, Issuer: p.Issuer(), Keys: keys}
			pages := make(chan string, 4)
			tt.opts(&o, p, pages)
			tok, err := Browser(ctx, nativeConfig(p), o)
			var seen []string
			for range tt.pages {
				select {
				case pg := <-pages:
					seen = append(seen, pg)
				case <-time.After(10 * time.Second):
					t.Fatalf("the browser saw %d pages, want %d", len(seen), tt.pages)
				}
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want %v with %q", err, tt.wantErr, tt.errHas)
				}
				if len(seen) != 1 || !strings.Contains(seen[0], "Sign-in failed") || !strings.Contains(seen[0], "no &lt;b&gt;way&lt;/b&gt;") {
					t.Errorf("error page: %q", seen)
				}
			} else {
				if err != nil {
					t.Fatalf("err = %v\n%s", err, out)
				}
				if tok.AccessToken == "" || tok.RefreshToken == "" {
					t.Errorf("token without access or refresh token: %+v", tok)
				}
				if len(seen) > 0 && !strings.Contains(seen[len(seen)-1], "You can close this tab") {
					t.Errorf("last page: %q", seen[len(seen)-1])
				}
				if len(seen) == 2 && !strings.HasPrefix(seen[0], "400 ") {
					t.Errorf("wrong-state page: %q", seen[0])
				}
			}
			for _, want := range tt.outHas {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			// The code and the PKCE verifier never reach the output.
			for _, field := range []string{"code", "code_verifier"} {
				for _, v := range rec.form(field) {
					if strings.Contains(out.String(), v) {
						t.Errorf("the %s appears in the output", field)
					}
				}
			}
			if tt.wantErr == nil && len(rec.form("code_verifier")) != 1 {
				t.Errorf("token requests carried %d PKCE verifiers, want 1", len(rec.form("code_verifier")))
			}
		})
	}
}

func findURL(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "http://") && strings.Contains(l, "/authorize?") {
			return l
		}
	}
	return ""
}

// The flow gives up when ctx ends and frees its port.
func TestBrowserTimeout(t *testing.T) {
	p := startProvider(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	out := &syncBuffer{}
	cfg := nativeConfig(p)
	cfg.RedirectURL = "http://127.0.0.1:0/cb"
	var redirect string
	_, err := Browser(ctx, cfg, BrowserOptions{Out: out, Open: func(u string) error {
		au, _ := url.Parse(u)
		redirect = au.Query().Get("redirect_uri")
		return nil
	}})
	if !errors.Is(err, ErrNotCompleted) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if !strings.HasSuffix(redirect, "/cb") {
		t.Errorf("redirect_uri %q does not keep the configured path", redirect)
	}
	if _, err := http.Get(redirect); err == nil {
		t.Errorf("the listener still answers after the flow ended")
	}
}

// An ID token whose nonce is not this sign-in's is refused.
func TestBrowserNonceMismatch(t *testing.T) {
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"x","sub":"u","nonce":"someone-elses"}`))
	idToken := "eyJhbGciOiJub25lIn0." + payload + ".sig"
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"at","token_type":"Bearer","expires_in":60,"id_token":%q}`, idToken)
	}))
	defer tokenSrv.Close()
	cfg := &oauth2.Config{ClientID: "c", Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: tokenSrv.URL + "/authorize", TokenURL: tokenSrv.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Browser(ctx, cfg, BrowserOptions{Out: io.Discard, Open: func(u string) error {
		au, _ := url.Parse(u)
		if au.Query().Get("nonce") == "" {
			t.Error("no nonce in the authorization request")
		}
		back := au.Query().Get("redirect_uri") + "?code=c0de&state=" + url.QueryEscape(au.Query().Get("state"))
		go http.Get(back)
		return nil
	}})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "nonce") {
		t.Fatalf("err = %v, want a refused nonce", err)
	}
}

func TestParseRedirect(t *testing.T) {
	tests := []struct {
		raw, bind, redirect string
		bad                 bool
	}{
		{raw: "", bind: "127.0.0.1:0", redirect: "http://127.0.0.1:0/callback"},
		{raw: "http://127.0.0.1:8400/callback", bind: "127.0.0.1:8400", redirect: "http://127.0.0.1:8400/callback"},
		{raw: "http://127.0.0.1:8400", bind: "127.0.0.1:8400", redirect: "http://127.0.0.1:8400/callback"},
		{raw: "http://127.0.0.1/", bind: "127.0.0.1:0", redirect: "http://127.0.0.1/"},
		{raw: "http://localhost:9000/oauth", bind: "127.0.0.1:9000", redirect: "http://localhost:9000/oauth"},
		{raw: "http://[::1]:9000/cb", bind: "[::1]:9000", redirect: "http://[::1]:9000/cb"},
		{raw: "http://0.0.0.0:8400/callback", bad: true},
		{raw: "http://192.168.1.2:8400/callback", bad: true},
		{raw: "http://example.com/callback", bad: true},
		{raw: "https://127.0.0.1/callback", bad: true},
		{raw: "http://127.0.0.1/callback#frag", bad: true},
		{raw: "http://user@127.0.0.1/callback", bad: true},
		{raw: "127.0.0.1:8400", bad: true},
	}
	for _, tt := range tests {
		u, bind, err := parseRedirect(tt.raw)
		if tt.bad {
			if err == nil {
				t.Errorf("%q: accepted, want refused", tt.raw)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.raw, err)
			continue
		}
		if bind != tt.bind || u.String() != tt.redirect {
			t.Errorf("%q: bind %s redirect %s, want %s %s", tt.raw, bind, u, tt.bind, tt.redirect)
		}
	}
}

// A fixed port that is taken is an error that says what to do.
func TestBrowserPortTaken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	cfg := &oauth2.Config{ClientID: "c", RedirectURL: srv.URL + "/callback", Endpoint: oauth2.Endpoint{AuthURL: "http://127.0.0.1:1/a", TokenURL: "http://127.0.0.1:1/t"}}
	_, err := Browser(context.Background(), cfg, BrowserOptions{Out: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "--redirect-url") {
		t.Fatalf("err = %v", err)
	}
}
