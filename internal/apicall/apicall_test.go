package apicall

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTokens hands out "token-N"; Renew makes the next one.
type fakeTokens struct {
	mu      sync.Mutex
	n       int
	renewed []string
	err     error
}

func (f *fakeTokens) Token(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("token-%d", f.n), nil
}

func (f *fakeTokens) Renew(_ context.Context, rejected string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renewed = append(f.renewed, rejected)
	if f.err != nil {
		return "", f.err
	}
	f.n++
	return fmt.Sprintf("token-%d", f.n), nil
}

func newClient(tokens Tokens) *Client {
	return &Client{HTTP: http.DefaultClient, Tokens: tokens, Backoff: time.Millisecond, UserAgent: "fourinsight-token/test", Timeout: 5 * time.Second}
}

// statuses answers the listed statuses in turn, then 200, counting requests.
func statuses(t *testing.T, retryAfter string, codes ...int) (*httptest.Server, *int) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		i := n
		n++
		mu.Unlock()
		if i < len(codes) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(codes[i])
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetriesOnlyWhereSafe(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		codes      []int
		retryAfter string
		requests   int
		status     int
	}{
		{"GET retries 503 and succeeds", "GET", []int{503, 503}, "", 3, 200},
		{"GET retries each of the five", "GET", []int{413, 429, 502}, "", 4, 200},
		{"GET gives up after three retries", "GET", []int{504, 504, 504, 504, 504}, "", 4, 504},
		{"GET does not retry 500", "GET", []int{500}, "", 1, 500},
		{"PUT retries 502", "PUT", []int{502}, "", 2, 200},
		{"DELETE retries 504", "DELETE", []int{504}, "", 2, 200},
		{"POST is not retried on 502", "POST", []int{502}, "", 1, 502},
		{"POST is not retried on 504", "POST", []int{504}, "", 1, 504},
		{"POST is not retried on 413", "POST", []int{413}, "", 1, 413},
		{"POST is retried on 429", "POST", []int{429}, "0", 2, 200},
		{"PATCH is retried on 503", "PATCH", []int{503}, "", 2, 200},
		{"Retry-After within bounds is honoured", "GET", []int{503}, "1", 2, 200},
		{"a Retry-After too long ends the retries", "GET", []int{503}, "3600", 1, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := statuses(t, tt.retryAfter, tt.codes...)
			c := newClient(&fakeTokens{})
			c.MaxRetryAfter = 2 * time.Second
			body := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(`{"a":1}`)), nil }
			resp, err := c.Do(context.Background(), Request{Method: tt.method, URL: srv.URL + "/x", Body: body, ContentLength: 7})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if *n != tt.requests || resp.StatusCode != tt.status {
				t.Fatalf("%d requests ending %d, want %d ending %d", *n, resp.StatusCode, tt.requests, tt.status)
			}
		})
	}
}

// A 401 renews the token once and retries once with the new token; a
// second 401 is the answer, never a loop.
func TestUnauthorizedRenewsOnce(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		if r.URL.Path == "/always" || r.Header.Get("Authorization") == "Bearer token-0" {
			w.WriteHeader(401)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()

	tokens := &fakeTokens{}
	resp, err := newClient(tokens).Do(context.Background(), Request{Method: "GET", URL: srv.URL + "/x"})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	if strings.Join(seen, ",") != "Bearer token-0,Bearer token-1" || len(tokens.renewed) != 1 || tokens.renewed[0] != "token-0" {
		t.Fatalf("sent %v, renewed %v", seen, tokens.renewed)
	}

	seen = nil
	tokens = &fakeTokens{}
	resp, err = newClient(tokens).Do(context.Background(), Request{Method: "GET", URL: srv.URL + "/always"})
	if err != nil || resp.StatusCode != 401 || len(seen) != 2 || len(tokens.renewed) != 1 {
		t.Fatalf("status %v, err %v, %d requests, %d renewals; want 401 after 2 requests and 1 renewal", resp.StatusCode, err, len(seen), len(tokens.renewed))
	}

	renewErr := errors.New("sign-in required")
	_, err = newClient(&fakeTokens{err: renewErr}).Do(context.Background(), Request{Method: "GET", URL: srv.URL + "/always"})
	if !errors.Is(err, renewErr) {
		t.Fatalf("a renewal that fails: %v", err)
	}
}

func TestResolve(t *testing.T) {
	base, _ := ParseBase("https://api.4insight.io/")
	sub, _ := ParseBase("https://example.com/api/")
	tests := []struct {
		target Target
		raw    string
		want   string // "" = refused
	}{
		{Target{Base: base}, "/v1.1/Campaigns", "https://api.4insight.io/v1.1/Campaigns"},
		{Target{Base: base}, "v1.1/Campaigns?$top=5", "https://api.4insight.io/v1.1/Campaigns?$top=5"},
		{Target{Base: base}, "/v1.1/Campaigns?$filter=name eq 'x'", "https://api.4insight.io/v1.1/Campaigns?$filter=name%20eq%20'x'"},
		{Target{Base: sub}, "/v1/x", "https://example.com/api/v1/x"},
		{Target{Base: base}, "https://api.4insight.io/v1.1/Campaigns", "https://api.4insight.io/v1.1/Campaigns"},
		{Target{Base: base}, "https://API.4insight.io:443/v1.1/x", "https://API.4insight.io:443/v1.1/x"},
		{Target{Base: base}, "http://api.4insight.io/v1.1/x", ""},
		{Target{Base: base}, "https://evil.example.com/v1.1/x", ""},
		{Target{Base: base}, "https://api.4insight.io.evil.com/x", ""},
		{Target{Base: base, TrustHosts: []string{"*.4subsea.net"}}, "https://data.4subsea.net/x", "https://data.4subsea.net/x"},
		{Target{Base: base, TrustHosts: []string{"*.4subsea.net"}}, "https://4subsea.net/x", ""},
		{Target{Base: base, TrustHosts: []string{"files.example.com"}}, "http://files.example.com/x", ""},
		{Target{Base: base, RefuseInternal: true}, "/v1.1/Internal/Users", ""},
		{Target{Base: base, RefuseInternal: true}, "https://api.4insight.io/internal/x", ""},
		{Target{Base: base}, "/v1.1/internal/x", "https://api.4insight.io/v1.1/internal/x"},
	}
	for _, tt := range tests {
		u, err := tt.target.Resolve(tt.raw)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%s: resolved to %s, want refused", tt.raw, u)
		case tt.want == "" && !errors.Is(err, ErrNotAllowed):
			t.Errorf("%s: %v, want ErrNotAllowed", tt.raw, err)
		case tt.want != "" && (err != nil || u.String() != tt.want):
			t.Errorf("%s: %v %v, want %s", tt.raw, u, err, tt.want)
		}
	}
	if _, err := ParseBase("http://api.example.com/"); err == nil {
		t.Error("a plain-http API base off loopback was accepted")
	}
}

// pages serves n items in pages of size; failAt answers that page 503
// without retry hope (500); link rewrites the next link.
func pages(t *testing.T, n, size, failAt int, link func(next string) string) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var skip int
		fmt.Sscan(r.URL.Query().Get("skip"), &skip)
		if failAt > 0 && skip/size+1 == failAt {
			w.WriteHeader(500)
			fmt.Fprint(w, `{"error":"boom"}`)
			return
		}
		var items []string
		for i := skip; i < min(skip+size, n); i++ {
			items = append(items, fmt.Sprintf(`{"id": %d}`, i))
		}
		next := ""
		if skip+size < n {
			l := fmt.Sprintf("%s/items?skip=%d", srv.URL, skip+size)
			if link != nil {
				l = link(l)
			}
			next = fmt.Sprintf(`, "@odata.nextLink": %q`, l)
		}
		fmt.Fprintf(w, `{"@odata.context": "x", "value": [%s]%s}`, strings.Join(items, ",\n  "), next)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func paginate(t *testing.T, srv *httptest.Server, out Output) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	out.W = &buf
	base, _ := url.Parse(srv.URL + "/")
	err := newClient(&fakeTokens{}).Paginate(context.Background(), Target{Base: base}, Request{Method: "GET", URL: srv.URL + "/items"}, out)
	return buf.String(), err
}

func TestPaginate(t *testing.T) {
	srv := pages(t, 5, 2, 0, nil)
	if out, err := paginate(t, srv, Output{}); err != nil || out != `{"value":[{"id":0},{"id":1},{"id":2},{"id":3},{"id":4}]}`+"\n" {
		t.Fatalf("merged: %q %v", out, err)
	}
	if out, err := paginate(t, srv, Output{JSONL: true}); err != nil || out != "{\"id\":0}\n{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n{\"id\":4}\n" {
		t.Fatalf("jsonl: %q %v", out, err)
	}
	out, err := paginate(t, srv, Output{Pretty: true})
	var doc struct{ Value []map[string]int }
	if err != nil || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Value) != 5 || !strings.Contains(out, "\n    {\n      \"id\": 0\n    },\n") {
		t.Fatalf("pretty: %q %v", out, err)
	}
	var progress []string
	paginate(t, srv, Output{JSONL: true, Progress: func(p, i int, _ int64, done bool) { progress = append(progress, fmt.Sprintf("%d/%d/%v", p, i, done)) }})
	if strings.Join(progress, " ") != "1/2/false 2/4/false 3/5/false 3/5/true" {
		t.Fatalf("progress %v", progress)
	}
}

// An error page stops paging: what was written stays valid JSON lines,
// and the error says which page.
func TestPaginateStopsAtErrorPage(t *testing.T) {
	out, err := paginate(t, pages(t, 10, 2, 3, nil), Output{JSONL: true})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 500 || !strings.Contains(err.Error(), "page 3, after 4 items") {
		t.Fatalf("err = %v", err)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 4 || !json.Valid([]byte(lines[3])) {
		t.Fatalf("output %q", out)
	}
	// An error on the first page is written as it came, as without --paginate.
	out, err = paginate(t, pages(t, 10, 2, 1, nil), Output{JSONL: true})
	if !errors.Is(err, ErrStatus) || out != `{"error":"boom"}` {
		t.Fatalf("first page error: %q %v", out, err)
	}
}

func TestPaginateFollowsOnlyTheSameHost(t *testing.T) {
	_, err := paginate(t, pages(t, 5, 2, 0, func(string) string { return "https://evil.example.com/steal?skip=2" }), Output{JSONL: true})
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "evil.example.com") {
		t.Fatalf("err = %v", err)
	}
	// A relative link resolves against the page.
	out, err := paginate(t, pages(t, 3, 2, 0, func(l string) string { _, rel, _ := strings.Cut(l, "/items"); return "/items" + rel }), Output{JSONL: true})
	if err != nil || strings.Count(out, "\n") != 3 {
		t.Fatalf("relative link: %q %v", out, err)
	}
}

// hugePage generates one page of n items without ever holding it.
type hugePage struct {
	n, i int
	buf  []byte
	done bool
}

func (h *hugePage) Read(p []byte) (int, error) {
	for len(h.buf) == 0 {
		switch {
		case h.done:
			return 0, io.EOF
		case h.i == 0:
			h.buf = []byte(`{"value":[`)
		case h.i > h.n:
			h.buf, h.done = []byte(`]}`), true
		default:
			sep := ","
			if h.i == 1 {
				sep = ""
			}
			h.buf = fmt.Appendf(nil, `%s{"id":%d,"pad":"%s"}`, sep, h.i, strings.Repeat("x", 200))
		}
		h.i++
	}
	n := copy(p, h.buf)
	h.buf = h.buf[n:]
	return n, nil
}

// A page far larger than memory allows is decoded item by item.
func TestDecodePageConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	items := 0
	w := &itemWriter{out: Output{JSONL: true}, bw: bufio.NewWriter(io.Discard)}
	_, err := decodePage(&hugePage{n: 150_000}, func(raw json.RawMessage) error { items++; return w.item(raw) }) // ~33 MB
	if err != nil || items != 150_000 {
		t.Fatalf("%d items, %v", items, err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapSys) - int64(before.HeapSys); grown > 16<<20 {
		t.Fatalf("the heap grew by %d MiB decoding a 33 MB page", grown>>20)
	}
}
