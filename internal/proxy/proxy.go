// Package proxy is an authenticating reverse proxy on loopback: it relays
// requests to the API base with the session's bearer token, so that tools
// which cannot run a command per request (IDE REST clients, Postman,
// spreadsheets) call http://127.0.0.1:PORT/… with no token handling.
//
// Whoever can reach it can call the API as the user, so it serves only the
// user's own programs: it listens on loopback only; on Linux it refuses
// connections from sockets of other users; it answers only requests whose
// Host is its own address (no DNS rebinding); and it refuses requests from
// web pages (an Origin header, or Sec-Fetch-Site: cross-site) unless their
// origin is explicitly allowed. It sends no CORS headers otherwise.
package proxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/printable"
)

// Tokens hands out the session's token and replaces one the API rejected.
type Tokens interface {
	Token(ctx context.Context) (string, error)
	Renew(ctx context.Context, rejected string) (string, error)
}

// Proxy relays requests to Upstream with a bearer token from Tokens.
type Proxy struct {
	Upstream  *url.URL
	Tokens    Tokens
	Transport http.RoundTripper // to the API; nil: http.DefaultTransport
	// AllowOrigins are web origins (scheme://host[:port]) whose pages may
	// call through the proxy; they get CORS headers. Empty: none.
	AllowOrigins []string
	// RefuseInternal refuses paths containing "internal", as the Python
	// client does for 4insight.
	RefuseInternal bool
	// Log gets one line per request (method, path without query values,
	// status, duration) and every refusal; never a token.
	Log io.Writer
	// ShutdownTimeout bounds how long Serve lets requests in flight finish
	// once its context is done (default 10s).
	ShutdownTimeout time.Duration

	hosts  []string // Host values that name this proxy
	uid    int
	rpOnce sync.Once
	rp     *httputil.ReverseProxy
}

// maxReplay is the largest request body kept in memory so that the request
// can be sent again after a 401; larger bodies stream and are not retried.
const maxReplay = 256 << 10

// Listen listens on a loopback address only: 127.0.0.1, ::1 or localhost
// (which binds 127.0.0.1), never all interfaces or a name to look up.
func Listen(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--listen %q: %v (use 127.0.0.1:PORT)", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("--listen %q: the proxy listens on loopback only (127.0.0.1, [::1] or localhost), so that no other machine can use your token", addr)
	}
	return net.Listen("tcp", net.JoinHostPort(ip.String(), port))
}

// URL is the proxy's base URL for a listener from Listen.
func URL(ln net.Listener) string { return "http://" + ln.Addr().String() + "/" }

// Serve relays requests from ln until ctx is done, then shuts down: requests
// in flight may finish within ShutdownTimeout.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	p.uid = os.Getuid()
	addr := ln.Addr().(*net.TCPAddr)
	port := fmt.Sprint(addr.Port)
	p.hosts = []string{net.JoinHostPort(addr.IP.String(), port), net.JoinHostPort("localhost", port)}
	srv := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 30 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, peerKey{}, &peer{conn: c})
		},
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	bound := p.ShutdownTimeout
	if bound <= 0 {
		bound = 10 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		srv.Close()
		err = fmt.Errorf("requests still running after %s were cut off", bound)
	}
	<-done
	return err
}

type peerKey struct{}

// peer is a connection's client, looked up once per connection.
type peer struct {
	conn net.Conn
	once sync.Once
	uid  int
	err  error
}

func (pe *peer) owner() (int, error) {
	pe.once.Do(func() { pe.uid, pe.err = peerUID(pe.conn) })
	return pe.uid, pe.err
}

// ServeHTTP refuses what must not use the user's token, then relays.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	if reason := p.refusal(r); reason != "" {
		p.logf("%s %s refused: %s", r.Method, logPath(r.URL), reason)
		http.Error(rec, "fourinsight-token proxy: refused: "+reason, http.StatusForbidden)
		return
	}
	origin := r.Header.Get("Origin") // an allowed one, after refusal
	if origin != "" && r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h := rec.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
		if allow := r.Header.Get("Access-Control-Request-Headers"); allow != "" {
			h.Set("Access-Control-Allow-Headers", allow)
		}
		h.Add("Vary", "Origin")
		rec.WriteHeader(http.StatusNoContent)
		p.logf("%s %s %d %s (CORS preflight for %s)", r.Method, logPath(r.URL), rec.status, since(start), origin)
		return
	}
	if err := replayable(r); err != nil {
		p.logf("%s %s: reading the request body: %v", r.Method, logPath(r.URL), err)
		http.Error(rec, "fourinsight-token proxy: cannot read the request body", http.StatusBadRequest)
		return
	}
	p.rpOnce.Do(func() { p.rp = p.reverseProxy() })
	p.rp.ServeHTTP(rec, r)
	p.logf("%s %s %d %s", r.Method, logPath(r.URL), rec.status, since(start))
}

// refusal says why a request may not use the token, or "".
func (p *Proxy) refusal(r *http.Request) string {
	if pe, ok := r.Context().Value(peerKey{}).(*peer); ok && peerCheckSupported {
		uid, err := pe.owner()
		switch {
		case err != nil:
			return fmt.Sprintf("cannot tell which user connected (%v)", err)
		case uid != p.uid:
			return fmt.Sprintf("the connection comes from another user (uid %d); the proxy serves only uid %d", uid, p.uid)
		}
	}
	if !slices.ContainsFunc(p.hosts, func(h string) bool { return strings.EqualFold(h, r.Host) }) {
		return fmt.Sprintf("Host %q is not this proxy (%s); a web page may be using DNS rebinding", r.Host, p.hosts[0])
	}
	if o := r.Header.Get("Origin"); o != "" && !slices.Contains(p.AllowOrigins, o) {
		return fmt.Sprintf("a web page (Origin %s) may not use your token; allow it with --allow-origin %s", o, o)
	}
	if r.Header.Get("Origin") == "" && r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return "a cross-site request from a web page may not use your token"
	}
	if p.RefuseInternal && strings.Contains(strings.ToLower(r.URL.Path), "internal") {
		return "internal endpoints of the 4insight API are not for use by clients (the Python client refuses them too)"
	}
	return ""
}

func (p *Proxy) reverseProxy() *httputil.ReverseProxy {
	next := p.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(p.Upstream)
			pr.Out.Header.Del("Authorization") // only the session's token goes upstream
		},
		Transport:  &bearer{next: next, tokens: p.Tokens, logf: p.logf},
		BufferPool: copyBuffers,
		ModifyResponse: func(resp *http.Response) error {
			for k := range resp.Header { // CORS is the proxy's decision, not the API's
				if strings.HasPrefix(k, "Access-Control-") {
					resp.Header.Del(k)
				}
			}
			if origin := resp.Request.Header.Get("Origin"); origin != "" { // an allowed one
				resp.Header.Set("Access-Control-Allow-Origin", origin)
				resp.Header.Add("Vary", "Origin")
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.logf("%s %s: %v", r.Method, logPath(r.URL), printable.Line(err.Error()))
			http.Error(w, "fourinsight-token proxy: "+printable.Line(err.Error()), http.StatusBadGateway)
		},
	}
}

// copyBuffers are the relay's copy buffers: large ones, since a large body
// costs two system calls per buffer (read from the API, write to the client).
var copyBuffers = &bufferPool{pool: sync.Pool{New: func() any { return make([]byte, 256<<10) }}}

type bufferPool struct{ pool sync.Pool }

func (b *bufferPool) Get() []byte  { return b.pool.Get().([]byte) }
func (b *bufferPool) Put(v []byte) { b.pool.Put(v) }

// replayable keeps a small request body in memory, so that the request
// can be sent again with a renewed token after a 401.
func replayable(r *http.Request) error {
	if r.ContentLength <= 0 || r.ContentLength > maxReplay {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, r.ContentLength))
	r.Body.Close()
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return nil
}

// bearer adds the session's token; after a 401 it renews the token once and
// sends a replayable request once more.
type bearer struct {
	next   http.RoundTripper
	tokens Tokens
	logf   func(string, ...any)
}

func (b *bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	token, err := b.tokens.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("no token for the API: %w", err)
	}
	resp, err := b.send(req, token)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	canReplay := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if !canReplay {
		return resp, nil
	}
	fresh, err := b.tokens.Renew(ctx, token)
	if err != nil {
		b.logf("%s %s: the API refused the token and it could not be renewed: %v", req.Method, logPath(req.URL), printable.Line(err.Error()))
		return resp, nil // the API's 401, as it came
	}
	io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
	if req.GetBody != nil {
		again := *req
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
		req = &again
	}
	return b.send(req, fresh)
}

// send sends req with token; a large body of the answer is read in large
// pieces (see coalesce).
func (b *bearer) send(req *http.Request, token string) (*http.Response, error) {
	used := &usedConn{}
	out := req.Clone(used.trace(req.Context()))
	out.Header.Set("Authorization", "Bearer "+token)
	resp, err := b.next.RoundTrip(out)
	if err == nil {
		used.coalesce(resp)
	}
	return resp, err
}

// recorder remembers the status for the log line; Unwrap lets the reverse
// proxy flush through it.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (p *Proxy) logf(format string, args ...any) {
	if p.Log != nil {
		fmt.Fprintf(p.Log, "fourinsight-token proxy: "+format+"\n", args...)
	}
}

// logPath is the path with query names but not their values.
func logPath(u *url.URL) string {
	if u.RawQuery == "" {
		return u.EscapedPath()
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, part := range parts {
		if k, _, ok := strings.Cut(part, "="); ok {
			parts[i] = k + "=…"
		}
	}
	return u.EscapedPath() + "?" + strings.Join(parts, "&")
}

func since(t time.Time) string {
	d := time.Since(t)
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
