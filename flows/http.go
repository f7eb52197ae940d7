// Package flows talks OAuth2 to the provider: discovery, the grants
// (client credentials, refresh, the pasted-code exchange and the interactive
// sign-ins) and revocation, over an HTTP client that retries what is worth
// retrying and never logs a secret.
package flows

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/fourinsight-token/fourinsight-token/flows/urls"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"github.com/fourinsight-token/fourinsight-token/internal/safefile"
)

// Logf receives debug lines (-v). It is never given a token, code or secret.
type Logf func(format string, args ...any)

// HTTPOptions shape the client used for every provider request.
type HTTPOptions struct {
	Timeout  time.Duration // per attempt; 0 means 30s
	Attempts int           // for network errors, 429 and 5xx; 0 means 3
	CAFile   string        // extra PEM roots, added to the system's
	Logf     Logf
	// Notice receives one line (always shown, on stderr) when a wait gets
	// long: a request slower than SlowAfter, a retry once the call has
	// waited SlowAfter or will wait a second or more (Retry-After). It is
	// given hosts, never URLs' paths or queries.
	Notice func(msg string)
	// SlowAfter is when a request still waiting for its answer is worth a
	// Notice; 0 means 3s.
	SlowAfter time.Duration
}

// maxBody bounds every response read from a provider.
const maxBody = 1 << 20

// maxCAFile bounds what is read of --ca-file; a full system bundle is
// a few hundred KiB.
const maxCAFile = 4 << 20

// maxRetryAfter is the longest Retry-After we wait for; a longer one ends the
// call with the provider's answer.
const maxRetryAfter = 10 * time.Second

// NewHTTPClient builds the client: proxy variables honoured, extra CA roots,
// per-attempt timeout, retries with exponential backoff and jitter.
func NewHTTPClient(o HTTPOptions) (*http.Client, error) {
	base, err := NewTransport(o.CAFile)
	if err != nil {
		return nil, err
	}
	t := &retryTransport{next: base, timeout: o.Timeout, attempts: o.Attempts, logf: o.Logf, notice: o.Notice, slowAfter: o.SlowAfter}
	if t.timeout <= 0 {
		t.timeout = 30 * time.Second
	}
	if t.attempts <= 0 {
		t.attempts = 3
	}
	if t.logf == nil {
		t.logf = func(string, ...any) {}
	}
	if t.notice == nil {
		t.notice = func(string) {}
	}
	if t.slowAfter <= 0 {
		t.slowAfter = 3 * time.Second
	}
	return &http.Client{Transport: t, CheckRedirect: checkRedirect}, nil
}

// ErrRedirected: an endpoint answered a request that carries a secret, code
// or token with a redirect. Following it would re-send the secret to wherever
// the redirect points, so it is a configuration error (exit 2), and nothing
// is sent again.
var ErrRedirected = fmt.Errorf("%w: the endpoint redirected", ErrUnsafeEndpoint)

// checkRedirect follows no redirect of a request with a body: every such
// request (token, device authorization, revocation) carries a client secret,
// code, refresh token or device code. Reads without a body (discovery, keys)
// may follow a few redirects, each to a URL the endpoint rules allow.
func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	if first.Method != http.MethodGet && first.Method != http.MethodHead {
		return fmt.Errorf("%w: %s answered with a redirect to %s; a request carrying credentials is never sent on, so check the endpoint's URL in your settings (nothing was re-sent)",
			ErrRedirected, Redact(first.URL), printable.Cut(req.URL.Host, 100))
	}
	if len(via) >= 5 {
		return fmt.Errorf("%w: %s redirected more than 5 times", ErrRedirected, Redact(first.URL))
	}
	if err := urls.Check(req.URL.String()); err != nil {
		return fmt.Errorf("%w: %s redirected to a URL that is not allowed: %v", ErrRedirected, Redact(first.URL), err)
	}
	return nil
}

// Committed returns a context for a request that must not be abandoned once
// sent: a refresh (the provider may rotate the refresh token) or a code
// exchange (the code is spent). A signal that cancels ctx no longer cancels
// the request; it only stops further attempts. The answer is read, bounded
// by the per-attempt timeout, so that it can be saved before the process
// exits. If ctx is already done, nothing is sent.
func Committed(ctx context.Context) context.Context {
	return context.WithValue(context.WithoutCancel(ctx), interruptKey{}, ctx)
}

type interruptKey struct{}

// interrupted is the error of the context a Committed context came from, if
// it is done.
func interrupted(ctx context.Context) error {
	if parent, ok := ctx.Value(interruptKey{}).(context.Context); ok {
		return parent.Err()
	}
	return nil
}

// interruption is closed when the context a Committed context came from is
// done (nil, never closed, for other contexts).
func interruption(ctx context.Context) <-chan struct{} {
	if parent, ok := ctx.Value(interruptKey{}).(context.Context); ok {
		return parent.Done()
	}
	return nil
}

// NewTransport is the standard transport (HTTPS_PROXY and NO_PROXY
// honoured) trusting caFile's PEM certificates besides the system's.
func NewTransport(caFile string) (*http.Transport, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	if caFile == "" {
		return base, nil
	}
	pem, err := safefile.Read(caFile, safefile.Options{Max: maxCAFile, Pipe: true})
	if err != nil {
		return nil, fmt.Errorf("cannot read --ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", caFile)
	}
	base.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return base, nil
}

type retryTransport struct {
	next     http.RoundTripper
	timeout  time.Duration
	attempts int
	logf     Logf

	notice    func(string)
	slowAfter time.Duration
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := interrupted(req.Context()); err != nil {
		return nil, err // interrupted before anything was sent
	}
	began := time.Now()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 && req.Body != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(req.Context())
			r.Body = body
		}
		start := time.Now()
		slow := time.AfterFunc(t.slowAfter, func() {
			t.notice(fmt.Sprintf("waiting for %s to answer (%s so far, --timeout %s)…", req.URL.Host, t.slowAfter, t.timeout))
		})
		resp, err := t.attempt(r)
		slow.Stop()
		took := time.Since(start).Round(time.Millisecond)
		if err != nil {
			t.logf("%s %s: %v after %s (attempt %d/%d)", req.Method, Redact(req.URL), err, took, attempt, t.attempts)
		} else {
			t.logf("%s %s: %d after %s (attempt %d/%d)", req.Method, Redact(req.URL), resp.StatusCode, took, attempt, t.attempts)
		}
		wait, retry := t.shouldRetry(req, resp, err, attempt)
		if !retry {
			return resp, err
		}
		t.logf("retrying in %s", wait.Round(time.Millisecond))
		if wait >= time.Second || time.Since(began)+wait >= t.slowAfter {
			// A long wait is said; a quick retry is not worth a line
			// (one failure, one line: -v shows every attempt).
			t.notice(retryNotice(req.URL.Host, resp, err, wait, attempt+1, t.attempts))
		}
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-interruption(req.Context()):
			return nil, interrupted(req.Context())
		case <-time.After(wait):
		}
	}
}

// attempt sends the request once and reads the whole answer (at most maxBody
// bytes) within the per-attempt timeout, so that an answer dripping in past
// the timeout is a timeout, retried like any other, and not a torn body.
func (t *retryTransport) attempt(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	defer cancel()
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		if ctx.Err() != nil && req.Context().Err() == nil {
			err = timeoutError{fmt.Sprintf("the answer did not arrive within --timeout %s", HumanDuration(t.timeout))}
		}
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// timeoutError is a net.Error that says it is a timeout.
type timeoutError struct{ msg string }

func (e timeoutError) Error() string   { return e.msg }
func (e timeoutError) Timeout() bool   { return true }
func (e timeoutError) Temporary() bool { return true }

// shouldRetry decides whether an attempt is worth repeating, and after how
// long: network errors, 429 and 5xx, never an OAuth 4xx answer.
func (t *retryTransport) shouldRetry(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if attempt >= t.attempts || req.Context().Err() != nil || interrupted(req.Context()) != nil || (req.Body != nil && req.GetBody == nil) {
		return 0, false
	}
	backoff := time.Duration(200<<(attempt-1)) * time.Millisecond
	backoff += rand.N(backoff / 2) // jitter, so parallel callers spread out
	if err != nil {
		return backoff, true
	}
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
		return 0, false
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		d, ok := parseRetryAfter(ra)
		if !ok || d > maxRetryAfter {
			return 0, false
		}
		return d, true
	}
	return backoff, true
}

// retryNotice says why a request is repeated and when. The transport's
// error is not shown: -v has it, and a proxy's may name more than a host.
func retryNotice(host string, resp *http.Response, err error, wait time.Duration, next, attempts int) string {
	why := "could not reach " + host
	switch {
	case err != nil && isTimeout(err):
		why = host + " did not answer in time"
	case err == nil && resp.Header.Get("Retry-After") != "":
		why = fmt.Sprintf("%s answered %d and asked to wait (Retry-After)", host, resp.StatusCode)
	case err == nil:
		why = fmt.Sprintf("%s answered %d", host, resp.StatusCode)
	}
	return fmt.Sprintf("%s; retrying in %s (attempt %d/%d)", why, wait.Round(100*time.Millisecond), next, attempts)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &t) && t.Timeout())
}

func parseRetryAfter(v string) (time.Duration, bool) {
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(time.Until(at), 0), true
	}
	return 0, false
}

// Redact renders a URL for logs and errors: query values and user info are
// replaced, since they may carry codes, states or tokens.
func Redact(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		c.RawQuery = q.Encode()
	}
	c.Fragment = ""
	return c.String()
}
