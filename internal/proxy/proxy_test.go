package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeTokens struct {
	mu      sync.Mutex
	n       int
	fetches int
	renews  int
}

func (f *fakeTokens) Token(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetches++
	return fmt.Sprintf("token-%d", f.n), nil
}

func (f *fakeTokens) Renew(_ context.Context, rejected string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renews++
	if rejected == fmt.Sprintf("token-%d", f.n) {
		f.n++
	}
	return fmt.Sprintf("token-%d", f.n), nil
}

// start runs the proxy in front of an upstream that rejects token-0 on
// paths under /reject and otherwise echoes what it received.
func start(t *testing.T, p *Proxy) (string, *fakeTokens) {
	t.Helper()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		if strings.HasPrefix(r.URL.Path, "/reject") && auth == "Bearer token-0" {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*") // the proxy must not pass this on
		fmt.Fprintf(w, "%s %s auth=%q body=%q x-hop=%q", r.Method, r.URL.RequestURI(), auth, body, r.Header.Get("X-Hop"))
	}))
	t.Cleanup(upstream.Close)
	tokens := &fakeTokens{}
	p.Upstream, _ = url.Parse(upstream.URL + "/")
	p.Tokens = tokens
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return URL(ln), tokens
}

func do(t *testing.T, method, url, body string, header ...string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

func TestProxyAddsTheSessionToken(t *testing.T) {
	u, tokens := start(t, &Proxy{})
	status, body, h := do(t, "GET", u+"v1.1/Campaigns?$top=5", "", "Authorization", "Bearer someone-elses", "Connection", "X-Hop", "X-Hop", "1")
	if status != 200 || body != `GET /v1.1/Campaigns?$top=5 auth="Bearer token-0" body="" x-hop=""` {
		t.Fatalf("%d %s", status, body)
	}
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("the API's CORS header was passed on")
	}
	for range 5 {
		do(t, "GET", u+"x", "")
	}
	if tokens.renews != 0 {
		t.Fatalf("%d renewals", tokens.renews)
	}
}

func TestProxyRefuses(t *testing.T) {
	u, _ := start(t, &Proxy{AllowOrigins: []string{"http://localhost:3000"}, RefuseInternal: true})
	tests := []struct {
		name   string
		path   string
		header []string
		status int
		cors   string
	}{
		{"own address", "x", nil, 200, ""},
		{"localhost and its port", "x", []string{"Host", strings.Replace(strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/"), "127.0.0.1", "localhost", 1)}, 200, ""},
		{"DNS rebinding", "x", []string{"Host", "evil.example.com"}, 403, ""},
		{"another port", "x", []string{"Host", "127.0.0.1:1"}, 403, ""},
		{"a web page", "x", []string{"Origin", "https://evil.example.com"}, 403, ""},
		{"null origin", "x", []string{"Origin", "null"}, 403, ""},
		{"cross-site without Origin", "x", []string{"Sec-Fetch-Site", "cross-site"}, 403, ""},
		{"an allowed origin", "x", []string{"Origin", "http://localhost:3000"}, 200, "http://localhost:3000"},
		{"internal endpoint", "v1.1/Internal/x", nil, 403, ""},
	}
	for _, tt := range tests {
		status, body, h := do(t, "GET", u+tt.path, "", tt.header...)
		if status != tt.status || h.Get("Access-Control-Allow-Origin") != tt.cors {
			t.Errorf("%s: %d %q (CORS %q), want %d (CORS %q)", tt.name, status, body, h.Get("Access-Control-Allow-Origin"), tt.status, tt.cors)
		}
		if status == 403 && strings.Contains(body, "token-") {
			t.Errorf("%s: the refusal reached the API", tt.name)
		}
	}
}

// A 401 renews the token once and sends a request again if its body can
// be replayed; a streamed body is not sent twice.
func TestProxyRenewsOn401(t *testing.T) {
	u, tokens := start(t, &Proxy{})
	if status, body, _ := do(t, "GET", u+"reject/a", ""); status != 200 || !strings.Contains(body, "token-1") {
		t.Fatalf("GET: %d %s", status, body)
	}
	tokens.n = 0
	if status, body, _ := do(t, "POST", u+"reject/b", `{"a":1}`); status != 200 || !strings.Contains(body, `body="{\"a\":1}"`) {
		t.Fatalf("POST with a small body: %d %s", status, body)
	}
	tokens.n = 0
	big := strings.Repeat("x", maxReplay+1)
	if status, _, _ := do(t, "PUT", u+"reject/c", big); status != 401 {
		t.Fatalf("PUT with a large body: %d, want the API's 401", status)
	}
	if tokens.renews != 2 {
		t.Fatalf("%d renewals, want 2", tokens.renews)
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "10.1.2.3:0", "example.com:0", "127.0.0.1"} {
		if ln, err := Listen(addr); err == nil {
			ln.Close()
			t.Errorf("Listen(%q) accepted a non-loopback address", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "LOCALHOST:0"} {
		ln, err := Listen(addr)
		if err != nil {
			t.Errorf("Listen(%q): %v", addr, err)
			continue
		}
		ln.Close()
	}
}

func TestPeerUID(t *testing.T) {
	if !peerCheckSupported {
		t.Skip("no peer check on " + runtime.GOOS)
	}
	for _, network := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", network)
		if err != nil {
			continue // no IPv6 here
		}
		go func() {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err == nil {
				defer c.Close()
				io.Copy(io.Discard, c)
			}
		}()
		conn, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		uid, err := peerUID(conn)
		conn.Close()
		ln.Close()
		if err != nil || uid != os.Getuid() {
			t.Fatalf("%s: peerUID = %d, %v; want %d", network, uid, err, os.Getuid())
		}
	}
}

// Shutting down lets a request in flight finish.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		fmt.Fprint(w, "finished")
	}))
	defer upstream.Close()
	up, _ := url.Parse(upstream.URL)
	p := &Proxy{Upstream: up, Tokens: &fakeTokens{}}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error)
	go func() { served <- p.Serve(ctx, ln) }()
	got := make(chan string)
	go func() {
		_, body, _ := do(t, "GET", URL(ln)+"slow", "")
		got <- body
	}()
	time.Sleep(100 * time.Millisecond) // the request is in flight
	cancel()
	time.Sleep(100 * time.Millisecond)
	close(release)
	if body := <-got; body != "finished" {
		t.Fatalf("the request in flight got %q", body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
