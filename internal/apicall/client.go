package apicall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrStatus: the API answered with an error status (exit 6).
var ErrStatus = errors.New("the API answered with an error status")

// ErrNoAnswer: the API could not be reached or did not answer in time
// (exit 5).
var ErrNoAnswer = errors.New("no answer from the API")

// StatusError is an API error status; errors.Is(err, ErrStatus) holds.
type StatusError struct {
	Method, URL string // URL redacted
	Status      string
	Code        int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: the API answered %s", e.Method, e.URL, e.Status)
}

func (e *StatusError) Is(target error) bool { return target == ErrStatus }

// Tokens hands out the session's access token and replaces one the API
// rejected (the broker's Token and Renew).
type Tokens interface {
	Token(ctx context.Context) (string, error)
	Renew(ctx context.Context, rejected string) (string, error)
}

// Request is one call. Body opens the body afresh for every attempt (nil:
// no body), so a retry sends it again without holding a file in memory.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   func() (io.ReadCloser, error)
	// ContentLength of Body; -1 when unknown.
	ContentLength int64
}

// Client sends requests with the session's token.
type Client struct {
	HTTP   *http.Client
	Tokens Tokens
	// UserAgent is sent with every request ("fourinsight-token/VERSION").
	UserAgent string
	// Timeout bounds waiting for an answer and each pause in reading one
	// (the Python client's timeout=100); 0 means none.
	Timeout time.Duration
	// Retries after the first attempt (default 3), waiting Backoff (default
	// 0.5s), then twice as long each time, or what Retry-After says, up to
	// MaxRetryAfter (default 30s; a longer Retry-After ends the retries).
	Retries       int
	Backoff       time.Duration
	MaxRetryAfter time.Duration
	Logf          func(format string, args ...any)
}

// retryStatus are the statuses the Python client retries.
var retryStatus = map[int]bool{413: true, 429: true, 502: true, 503: true, 504: true}

// Retryable says whether a status may be retried for method: any of the
// five for idempotent methods; for others (POST, PATCH) only 429 and 503,
// where the server says it did not process the request.
func Retryable(method string, status int) bool {
	if !retryStatus[status] {
		return false
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

func idempotent(method string) bool { return Retryable(method, http.StatusBadGateway) }

// Do sends the request with the session's token: retried where safe, and
// once more with a renewed token after a 401. The caller reads and closes
// the response body; an error status is returned as a response, not an
// error.
func (c *Client) Do(ctx context.Context, r Request) (*http.Response, error) {
	retries, backoff := c.Retries, c.Backoff
	if retries == 0 {
		retries = 3
	}
	if backoff == 0 {
		backoff = 500 * time.Millisecond
	}
	token, err := c.Tokens.Token(ctx)
	if err != nil {
		return nil, err
	}
	renewed := false
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, r, token)
		if err != nil {
			if attempt < retries && idempotent(r.Method) && ctx.Err() == nil {
				c.logf("api: %v; retrying", err) // err names the redacted URL
				if err := sleep(ctx, backoff<<attempt); err != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized && !renewed {
			drain(resp)
			renewed = true
			c.logf("api: %s %s: 401; renewing the token once", r.Method, redactRaw(r.URL))
			if token, err = c.Tokens.Renew(ctx, token); err != nil {
				return nil, err
			}
			attempt-- // a renewal is not one of the retries
			continue
		}
		if attempt >= retries || !Retryable(r.Method, resp.StatusCode) {
			return resp, nil
		}
		wait := backoff << attempt
		if ra, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
			if ra > c.maxRetryAfter() {
				c.logf("api: %s %s: %s, Retry-After %s is longer than we wait", r.Method, redactRaw(r.URL), resp.Status, ra)
				return resp, nil
			}
			wait = ra
		}
		drain(resp)
		c.logf("api: %s %s: %s; retrying in %s", r.Method, redactRaw(r.URL), resp.Status, wait)
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (c *Client) maxRetryAfter() time.Duration {
	if c.MaxRetryAfter > 0 {
		return c.MaxRetryAfter
	}
	return 30 * time.Second
}

// send makes one attempt. Its body read is bounded by Timeout between
// reads, not in total, so a long download runs as long as data flows.
func (c *Client) send(ctx context.Context, r Request, token string) (*http.Response, error) {
	ctx, cancel := context.WithCancel(ctx)
	var body io.ReadCloser = http.NoBody
	if r.Body != nil {
		var err error
		if body, err = r.Body(); err != nil {
			cancel()
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		cancel()
		body.Close()
		return nil, err
	}
	req.ContentLength = r.ContentLength
	if r.Body == nil {
		req.ContentLength = 0
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	idle := newIdleTimer(c.Timeout, cancel)
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		idle.stop()
		cancel()
		if idle.fired() {
			err = fmt.Errorf("no answer within --api-timeout %s", c.Timeout)
		}
		return nil, fmt.Errorf("%w: %s %s: %v (check the network and --api-base)", ErrNoAnswer, r.Method, redactRaw(r.URL), err)
	}
	c.logf("api: %s %s: %s (%s)", r.Method, redactRaw(r.URL), resp.Status, time.Since(start).Round(time.Millisecond))
	idle.reset()
	resp.Body = &idleBody{ReadCloser: resp.Body, idle: idle, timeout: c.Timeout}
	return resp, nil
}

func (c *Client) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}

// idleTimer cancels an attempt when nothing arrived for its timeout.
type idleTimer struct {
	mu      sync.Mutex
	t       *time.Timer
	d       time.Duration
	cancel  context.CancelFunc
	expired bool
}

func newIdleTimer(d time.Duration, cancel context.CancelFunc) *idleTimer {
	it := &idleTimer{d: d, cancel: cancel}
	if d > 0 {
		it.t = time.AfterFunc(d, func() {
			it.mu.Lock()
			it.expired = true
			it.mu.Unlock()
			cancel()
		})
	}
	return it
}

func (it *idleTimer) reset() {
	if it.t != nil {
		it.t.Reset(it.d)
	}
}

func (it *idleTimer) stop() {
	if it.t != nil {
		it.t.Stop()
	}
}

func (it *idleTimer) fired() bool {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.expired
}

type idleBody struct {
	io.ReadCloser
	idle    *idleTimer
	timeout time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.idle.reset()
	}
	if err != nil && err != io.EOF && b.idle.fired() {
		err = fmt.Errorf("the API sent nothing for --api-timeout %s", b.timeout)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.idle.stop()
	err := b.ReadCloser.Close()
	b.idle.cancel()
	return err
}

// drain reads a little of a response that will not be used, so the
// connection can be reused, and closes it.
func drain(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	d += time.Duration(rand.Int64N(int64(d)/10 + 1)) // jitter, so parallel callers spread out
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func redactRaw(raw string) string {
	path, q, ok := strings.Cut(raw, "?")
	if !ok {
		return raw
	}
	return path + "?" + RedactQuery(q)
}
