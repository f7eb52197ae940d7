// Package testop runs a real OpenID provider (zitadel/oidc's op package) on
// a loopback port, for tests and demos of fourinsight-token. It knows a
// fixed set of clients and one user (see the constants), signs in that user
// on request (Login, ApproveDevice), emulates 4insight's sign-in page for the
// paste flow (PastePackage, and /auth in a browser), counts the requests it
// sees and can inject token-endpoint failures.
package testop

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/oauth2"
)

// Options tune a Provider; the zero value is a sensible demo provider.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0" (a free port).
	// The issuer is http://<the address actually bound>.
	Addr string
	// AccessTokenLifetime defaults to 5m. Tests use short ones (e.g. 2s) to
	// force refreshes. expires_in is whole seconds; keep the lifetime at 1s
	// or more, as expires_in 0 means "no expiry" to most clients.
	AccessTokenLifetime time.Duration
	// RefreshTokenLifetime defaults to 24h.
	RefreshTokenLifetime time.Duration
	// DevicePollInterval is the "interval" of device authorization
	// responses; default 1s (RFC 8628's 5s would make tests slow).
	// Whole seconds only.
	DevicePollInterval time.Duration
	// RevokeFamilyOnReuse makes presenting an already rotated refresh token
	// also revoke the newer tokens of that grant, as OAuth 2.1 suggests.
	// Without it only the reused token is refused (invalid_grant either way).
	RevokeFamilyOnReuse bool
}

// Provider is a running OpenID provider. Its methods are safe for
// concurrent use.
type Provider struct {
	issuer string
	op     *op.Provider
	st     *storage
	srv    *http.Server
	done   chan struct{}

	mu         sync.Mutex
	counts     map[string]int
	failN      int
	failStatus int
	tokenDelay time.Duration
}

// Start listens on opts.Addr and serves the provider until Close.
func Start(opts Options) (*Provider, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.AccessTokenLifetime <= 0 {
		opts.AccessTokenLifetime = 5 * time.Minute
	}
	if opts.RefreshTokenLifetime <= 0 {
		opts.RefreshTokenLifetime = 24 * time.Hour
	}
	if opts.DevicePollInterval < time.Second {
		opts.DevicePollInterval = time.Second
	}
	if _, err := processKey(); err != nil {
		return nil, fmt.Errorf("testop: signing key: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("testop: %w", err)
	}
	p := &Provider{
		issuer: "http://" + ln.Addr().String(),
		counts: map[string]int{},
		done:   make(chan struct{}),
	}
	p.st = newStorage(newClients(p.issuer), opts)

	cfg := &op.Config{
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime:     5 * time.Minute,
			PollInterval: opts.DevicePollInterval,
			UserFormPath: devicePath,
			UserCode:     op.UserCodeBase20,
		},
	}
	rand.Read(cfg.CryptoKey[:]) // encrypts authorization codes
	p.op, err = op.NewProvider(cfg, p.st, op.StaticIssuer(p.issuer), op.WithAllowInsecure())
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("testop: %w", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc(loginPath, p.handleLogin)
	mux.HandleFunc(devicePath, p.handleDevice)
	mux.HandleFunc(authPagePath, p.handleAuthPage)
	mux.HandleFunc(authCallbackPath, p.handleAuthCallback)
	mux.Handle("/", p.op)
	p.srv = &http.Server{Handler: p.intercept(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(p.done)
		p.srv.Serve(ln)
	}()
	return p, nil
}

// Close stops the server at once and waits for it to stop listening.
func (p *Provider) Close() {
	p.srv.Close()
	<-p.done
}

// Shutdown stops the server gracefully, letting requests in flight finish.
func (p *Provider) Shutdown(ctx context.Context) error {
	err := p.srv.Shutdown(ctx)
	<-p.done
	return err
}

// Issuer is http://127.0.0.1:PORT; discovery is at
// Issuer()+"/.well-known/openid-configuration".
func (p *Provider) Issuer() string { return p.issuer }

// TokenURL is the token endpoint (also the "endpoint" of paste packages).
func (p *Provider) TokenURL() string { return p.op.TokenEndpoint().Absolute(p.issuer) }

// AuthURL is the authorization endpoint.
func (p *Provider) AuthURL() string { return p.op.AuthorizationEndpoint().Absolute(p.issuer) }

// DeviceAuthURL is the device authorization endpoint (RFC 8628).
func (p *Provider) DeviceAuthURL() string {
	return p.op.DeviceAuthorizationEndpoint().Absolute(p.issuer)
}

// RevocationURL is the token revocation endpoint (RFC 7009).
func (p *Provider) RevocationURL() string { return p.op.RevocationEndpoint().Absolute(p.issuer) }

// UserinfoURL is the userinfo endpoint; it refuses revoked access tokens.
func (p *Provider) UserinfoURL() string { return p.op.UserinfoEndpoint().Absolute(p.issuer) }

// PasteURL is the emulated 4insight sign-in page: it signs in the test
// user and shows a paste package (HTML for browsers, JSON otherwise).
func (p *Provider) PasteURL() string { return p.issuer + authPagePath }

// Endpoint saves spelling out the URLs for golang.org/x/oauth2.
func (p *Provider) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), DeviceAuthURL: p.DeviceAuthURL()}
}

// Count reports how many requests of a kind the provider has seen:
// token requests by grant type ("client_credentials",
// "authorization_code", "refresh_token", "device_code"), "token" for all
// token requests, "authorize", "revoke" and "device_authorization".
// Requests answered by FailNext are counted too: the provider saw them.
func (p *Provider) Count(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[kind]
}

// FailNext makes the next n token-endpoint requests fail with HTTP status
// (e.g. 503) and "Retry-After: 0" before they reach the OP, to test retries.
func (p *Provider) FailNext(n int, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failN, p.failStatus = n, status
}

func (p *Provider) count(kind string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[kind]++
}

func (p *Provider) takeFailure() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failN <= 0 {
		return 0, false
	}
	p.failN--
	return p.failStatus, true
}

// intercept counts requests, injects failures and fills in the redirect_uri
// the user client may leave out, then hands the request to next.
func (p *Provider) intercept(next http.Handler) http.Handler {
	paths := map[string]string{
		p.op.AuthorizationEndpoint().Relative():       "authorize",
		p.op.RevocationEndpoint().Relative():          "revoke",
		p.op.DeviceAuthorizationEndpoint().Relative(): "device_authorization",
	}
	tokenPath := p.op.TokenEndpoint().Relative()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if kind, ok := paths[r.URL.Path]; ok {
			p.count(kind)
		}
		if r.URL.Path == tokenPath && !p.interceptToken(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// interceptToken reads the token request's form from a copy of the body
// (restoring r.Body for the OP) and reports whether to pass it on.
// SlowToken makes the token endpoint take d before it answers (after it has
// counted the request), as a slow or overloaded provider would; 0 undoes it.
func (p *Provider) SlowToken(d time.Duration) {
	p.mu.Lock()
	p.tokenDelay = d
	p.mu.Unlock()
}

func (p *Provider) interceptToken(w http.ResponseWriter, r *http.Request) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body.Close()
	if err != nil {
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return false
	}
	form, _ := url.ParseQuery(string(body))
	grant := form.Get("grant_type")
	p.count("token")
	if grant != "" {
		p.count(strings.TrimPrefix(grant, "urn:ietf:params:oauth:grant-type:"))
	}
	p.mu.Lock()
	delay := p.tokenDelay
	p.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
	}
	if status, fail := p.takeFailure(); fail {
		w.Header().Set("Retry-After", "0")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":"temporarily_unavailable","error_description":"testop: injected failure (HTTP %d)"}`+"\n", status)
		return false
	}
	// zitadel/oidc compares the token request's redirect_uri with the
	// authorization request's verbatim, so an absent one never matches. The
	// user client has exactly one redirect URI and, like 4insight's token
	// endpoint, lets the caller leave it out: fill it in.
	if grant == string(oidc.GrantTypeCode) && form.Get("redirect_uri") == "" && requestClientID(r, form) == UserClientID {
		form.Set("redirect_uri", p.issuer+authCallbackPath)
		body = []byte(form.Encode())
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return true
}

// requestClientID is the client id of a token request, from HTTP Basic
// (form-encoded as RFC 6749 §2.3.1 requires) or from the form.
func requestClientID(r *http.Request, form url.Values) string {
	if id, _, ok := r.BasicAuth(); ok {
		if u, err := url.QueryUnescape(id); err == nil {
			return u
		}
		return id
	}
	return form.Get("client_id")
}
