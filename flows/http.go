// Package flows talks OAuth2 to the provider: discovery, the grants
// (client credentials, refresh, the pasted-code exchange and the interactive
// sign-ins) and revocation, over an HTTP client that retries what is worth
// retrying and never logs a secret.
package flows

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

// Logf receives debug lines (-v). It is never given a token, code or secret.
type Logf func(format string, args ...any)

// HTTPOptions shape the client used for every provider request.
type HTTPOptions struct {
	Timeout  time.Duration // per attempt; 0 means 30s
	Attempts int           // for network errors, 429 and 5xx; 0 means 3
	CAFile   string        // extra PEM roots, added to the system's
	Logf     Logf
}

// maxBody bounds every response read from a provider.
const maxBody = 1 << 20

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
	t := &retryTransport{next: base, timeout: o.Timeout, attempts: o.Attempts, logf: o.Logf}
	if t.timeout <= 0 {
		t.timeout = 30 * time.Second
	}
	if t.attempts <= 0 {
		t.attempts = 3
	}
	if t.logf == nil {
		t.logf = func(string, ...any) {}
	}
	return &http.Client{Transport: t}, nil
}

// NewTransport is the standard transport (HTTPS_PROXY and NO_PROXY
// honoured) trusting caFile's PEM certificates besides the system's.
func NewTransport(caFile string) (*http.Transport, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	if caFile == "" {
		return base, nil
	}
	pem, err := os.ReadFile(caFile)
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
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
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
		ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
		start := time.Now()
		resp, err := t.next.RoundTrip(r.WithContext(ctx))
		took := time.Since(start).Round(time.Millisecond)
		if err != nil {
			t.logf("%s %s: %v after %s (attempt %d/%d)", req.Method, Redact(req.URL), err, took, attempt, t.attempts)
		} else {
			t.logf("%s %s: %d after %s (attempt %d/%d)", req.Method, Redact(req.URL), resp.StatusCode, took, attempt, t.attempts)
		}
		wait, retry := t.shouldRetry(req, resp, err, attempt)
		if !retry {
			if err != nil {
				cancel()
				return nil, err
			}
			resp.Body = &limitedBody{r: io.LimitReader(resp.Body, maxBody), c: resp.Body, cancel: cancel}
			return resp, nil
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
			resp.Body.Close()
		}
		cancel()
		t.logf("retrying in %s", wait.Round(time.Millisecond))
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-time.After(wait):
		}
	}
}

// shouldRetry decides whether an attempt is worth repeating, and after how
// long: network errors, 429 and 5xx, never an OAuth 4xx answer.
func (t *retryTransport) shouldRetry(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if attempt >= t.attempts || req.Context().Err() != nil || (req.Body != nil && req.GetBody == nil) {
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

func parseRetryAfter(v string) (time.Duration, bool) {
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(time.Until(at), 0), true
	}
	return 0, false
}

// limitedBody reads through a size limit and releases the attempt's timeout
// when closed.
type limitedBody struct {
	r      io.Reader
	c      io.Closer
	cancel context.CancelFunc
}

func (b *limitedBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *limitedBody) Close() error {
	defer b.cancel()
	return b.c.Close()
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
