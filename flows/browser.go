package flows

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/fourinsight-token/fourinsight-token/flows/urls"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"golang.org/x/oauth2"
)

// DefaultRedirectURL is the loopback redirect of the browser flow when none
// is configured: any free port on 127.0.0.1 (RFC 8252 §7.3).
const DefaultRedirectURL = urls.DefaultRedirect

// ErrNotCompleted: an interactive sign-in ended without the person finishing
// it (timed out, cancelled, code expired).
var ErrNotCompleted = errors.New("the sign-in was not completed")

// TimedOut is the error of a sign-in the person did not finish in time: it
// reads as msg and matches ErrNotCompleted and ErrUnavailable (exit 5).
func TimedOut(msg string, cause error) error { return &timedOut{msg, cause} }

type timedOut struct {
	msg   string
	cause error
}

func (e *timedOut) Error() string { return e.msg }
func (e *timedOut) Unwrap() error { return e.cause }
func (e *timedOut) Is(target error) bool {
	return target == ErrNotCompleted || target == ErrUnavailable
}

// BrowserOptions say how the browser flow talks to the person.
type BrowserOptions struct {
	// Out receives the sign-in address and instructions (stderr). Required.
	Out io.Writer
	// Open opens a URL in a browser; nil: only print the address.
	Open func(url string) error
	// Prompt reads one line from the person; nil when nobody can answer.
	// When no browser was opened here, the person may paste the address the
	// browser ended on (over SSH the redirect cannot reach this machine).
	Prompt func(ctx context.Context, question string) (string, error)
	// Issuer, Keys (jwks_uri) and SigningAlgs verify the ID token's
	// signature; without Keys only its nonce is checked (it came straight
	// from the token endpoint).
	Issuer      string
	Keys        string
	SigningAlgs []string
	Logf        Logf
}

func (o BrowserOptions) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// parseRedirect returns the redirect URL (path filled in) and the address to
// listen on for it.
func parseRedirect(raw string) (*url.URL, string, error) { return urls.Redirect(raw) }

// Browser signs a person in with the authorization code flow and PKCE (RFC
// 8252): it listens on a loopback port, prints the sign-in address (and opens
// it with o.Open), and waits until the provider redirects the browser back
// with a code for this sign-in's state, or until the person pastes that
// final address, or ctx ends. cfg needs the auth and token endpoints; its
// RedirectURL is the loopback address to use (empty: any free port). ctx
// carries the provider HTTP client (WithClient).
func Browser(ctx context.Context, cfg *oauth2.Config, o BrowserOptions) (*oauth2.Token, error) {
	redirect, addr, err := parseRedirect(cfg.RedirectURL)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s for the sign-in redirect (%v); choose another port with --redirect-url, or port 0 for any free one", addr, rootCause(err))
	}
	defer ln.Close()
	if redirect.Port() == "" || redirect.Port() == "0" {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		redirect.Host = net.JoinHostPort(redirect.Hostname(), port)
	}
	o.logf("browser: listening on %s for the redirect to %s", ln.Addr(), Redact(redirect))

	c := *cfg
	c.RedirectURL = redirect.String()
	verifier := oauth2.GenerateVerifier()
	state := rand.Text()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	nonce := ""
	if slices.Contains(c.Scopes, "openid") {
		nonce = rand.Text()
		opts = append(opts, oauth2.SetAuthURLParam("nonce", nonce))
	}
	authURL := c.AuthCodeURL(state, opts...)

	answers := make(chan answer, 2)
	quit := make(chan struct{})
	cb := &callback{path: redirect.Path, state: state, answers: answers, quit: quit, logf: o.logf}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer func() {
		// Let the last page reach the browser, then stop listening.
		close(quit)
		shut, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()

	wait := ""
	if dl, ok := ctx.Deadline(); ok {
		wait = fmt.Sprintf(" (up to %s)", HumanDuration(time.Until(dl)))
	}
	opened := make(chan error, 1)
	if o.Open != nil {
		fmt.Fprintf(o.Out, "Opening the sign-in page in your browser. If it does not open, visit:\n\n    %s\n\n", authURL)
		go func() { opened <- o.Open(authURL) }()
	} else {
		fmt.Fprintf(o.Out, "To sign in, open this address in a browser:\n\n    %s\n\n", authURL)
		opened <- errNotOpened
	}
	fmt.Fprintf(o.Out, "Waiting for the sign-in to finish in the browser%s…\n", wait)

	pasteCtx, stopPaste := context.WithCancel(ctx)
	defer stopPaste()
	for {
		select {
		case err := <-opened:
			opened = nil
			if err == nil {
				continue
			}
			if err != errNotOpened {
				fmt.Fprintf(o.Out, "Could not open a browser (%s); open the address above yourself.\n", printable.Line(err.Error()))
			}
			if o.Prompt != nil {
				go pasteRedirect(pasteCtx, o, redirect, state, answers)
			}
		case a := <-answers:
			stopPaste()
			err := a.err
			var tok *oauth2.Token
			if err == nil {
				tok, err = exchangeCode(ctx, &c, a.code, verifier, nonce, o)
			}
			if a.reply != nil {
				a.reply <- err
			}
			return tok, err
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrNotCompleted, ctx.Err())
		}
	}
}

var errNotOpened = errors.New("no browser was opened")

// answer is what ended the wait: a code or the provider's error, from the
// loopback listener (reply then gets the outcome for the page) or pasted.
type answer struct {
	code  string
	err   error
	reply chan error
}

// callback serves the loopback redirect: it takes the first response that
// carries this sign-in's state and refuses every other request.
type callback struct {
	path    string
	state   string
	answers chan<- answer
	quit    <-chan struct{}
	logf    func(string, ...any)

	mu   sync.Mutex
	done bool
}

func (h *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != h.path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		page(w, http.StatusMethodNotAllowed, "Not allowed", "The sign-in redirect is a GET request.")
		return
	}
	q := r.URL.Query()
	if !sameState(q.Get("state"), h.state) {
		h.logf("browser: refused a redirect whose state does not match this sign-in")
		page(w, http.StatusBadRequest, "Sign-in not accepted",
			"This response does not belong to the sign-in in progress (its state does not match). Close this tab; fourinsight-token is still waiting for the right one.")
		return
	}
	h.mu.Lock()
	already := h.done
	h.done = true
	h.mu.Unlock()
	if already {
		page(w, http.StatusConflict, "Already done", "This sign-in was already answered. You can close this tab.")
		return
	}
	a := answer{reply: make(chan error, 1)}
	a.code, a.err = fromQuery(q)
	h.logf("browser: got the redirect from the browser")
	h.answers <- a
	var err error
	select {
	case err = <-a.reply:
	case <-r.Context().Done():
		return
	case <-h.quit:
		page(w, http.StatusServiceUnavailable, "Sign-in over", "The sign-in already ended. Close this tab.")
		return
	}
	if err != nil {
		page(w, http.StatusOK, "Sign-in failed", printable.Line(err.Error())+". Close this tab and run fourinsight-token login to try again.")
		return
	}
	page(w, http.StatusOK, "Signed in", "You are signed in to fourinsight-token. You can close this tab.")
}

// fromQuery reads an authorization response: a code, or the provider's error.
func fromQuery(q url.Values) (string, error) {
	if e := q.Get("error"); e != "" {
		return "", &ProviderError{Code: e, Description: q.Get("error_description")}
	}
	if q.Get("code") == "" {
		return "", fmt.Errorf("%w: the sign-in response carries neither a code nor an error", ErrMalformed)
	}
	return q.Get("code"), nil
}

func sameState(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// pasteRedirect lets the person paste the address the browser ended on, for
// when the redirect cannot reach the listener (SSH, another machine).
func pasteRedirect(ctx context.Context, o BrowserOptions, redirect *url.URL, state string, answers chan<- answer) {
	fmt.Fprintf(o.Out, "If the browser runs on another machine, sign in there, then copy the address it ends on\n(it starts with %s and may show an error page) and paste it here.\n", redirect)
	for {
		line, err := o.Prompt(ctx, "Address after sign-in: ")
		if err != nil {
			if ctx.Err() == nil {
				o.logf("browser: no pasted address (%v); waiting for the browser only", err)
			}
			return
		}
		line = strings.TrimSpace(strings.NewReplacer("\x1b[200~", "", "\x1b[201~", "").Replace(line))
		if line == "" {
			continue
		}
		u, err := url.Parse(line)
		if err != nil || !sameState(u.Query().Get("state"), state) {
			fmt.Fprintf(o.Out, "That is not the address of this sign-in (it must start with %s and carry this sign-in's state); paste the whole address from the browser's address bar.\n", redirect)
			continue
		}
		a := answer{}
		a.code, a.err = fromQuery(u.Query())
		o.logf("browser: got a pasted redirect address")
		select {
		case answers <- a:
		case <-ctx.Done():
		}
		return
	}
}

// exchangeCode trades the code with the PKCE verifier and checks the ID
// token's nonce (and signature, when the provider's keys are known).
func exchangeCode(ctx context.Context, cfg *oauth2.Config, code, verifier, nonce string, o BrowserOptions) (*oauth2.Token, error) {
	// The code is spent once sent: a signal must not lose the answer.
	ctx = Committed(ctx)
	tok, err := Exchange(ctx, cfg, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, err
	}
	raw, _ := tok.Extra("id_token").(string)
	if nonce == "" || raw == "" {
		return tok, nil
	}
	got, err := idTokenNonce(ctx, cfg.ClientID, raw, o)
	if err != nil {
		return nil, fmt.Errorf("%w: the ID token from %s is not valid: %v", ErrRefused, hostOf(cfg.Endpoint.TokenURL), err)
	}
	if !sameState(got, nonce) {
		return nil, fmt.Errorf("%w: the ID token from %s does not carry this sign-in's nonce; sign in again", ErrRefused, hostOf(cfg.Endpoint.TokenURL))
	}
	return tok, nil
}

// idTokenNonce verifies the ID token where the provider's keys are known and
// returns its nonce. Without keys the token is only decoded: it came
// straight from the token endpoint (OpenID Connect Core §3.1.3.7).
func idTokenNonce(ctx context.Context, clientID, raw string, o BrowserOptions) (string, error) {
	if o.Keys == "" || o.Issuer == "" {
		var claims struct {
			Nonce string `json:"nonce"`
		}
		if !JWTClaims(raw, &claims) {
			return "", errors.New("not a JWT")
		}
		o.logf("browser: checked the ID token's nonce (no issuer keys to verify its signature)")
		return claims.Nonce, nil
	}
	if hc, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok {
		ctx = oidc.ClientContext(ctx, hc)
	}
	v := oidc.NewVerifier(o.Issuer, oidc.NewRemoteKeySet(ctx, o.Keys), &oidc.Config{ClientID: clientID, SupportedSigningAlgs: o.SigningAlgs})
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return "", errors.New(printable.Line(err.Error()))
	}
	o.logf("browser: verified the ID token's signature and nonce")
	return idt.Nonce, nil
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

// page writes the small page the browser shows at the end of the sign-in.
func page(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>%s</title>`+
		`<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}</style></head>`+
		`<body><h1>%s</h1><p>%s</p></body></html>`+"\n", html.EscapeString(title), html.EscapeString(title), html.EscapeString(msg))
}
