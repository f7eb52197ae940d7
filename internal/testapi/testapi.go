// Package testapi is a small 4insight-like REST API for tests and the demo:
// it accepts only bearer access tokens signed by the test provider
// (internal/testop), checked through the provider's JWKS with their issuer,
// audience and expiry, serves OData collections in pages linked by
// "@odata.nextLink", and can be told to fail (401, 413, 429, 502, 503, 504),
// answer slowly or send huge bodies. It counts what it sees, so tests assert
// on the requests a client really made.
//
// Routes (every one needs a valid token):
//
//	GET  /v1.1/Campaigns             50 campaigns, in pages of 20 ($top, $skip)
//	GET  /v1.1/Campaigns/{id}        one campaign
//	GET  /v1.1/Items?n=N&pagesize=P  N generated items in pages of P (nextLink carries both)
//	GET  /v1.1/Blob?size=BYTES       BYTES of generated data, streamed
//	GET  /v1.1/Slow?delay=DURATION   {"ok":true} after DURATION
//	ANY  /v1.1/Echo                  the method, path, query, headers (no Authorization) and body length it got
//	POST /v1.1/Campaigns             201 and the posted document
//
// Anything else under /v1.1/ answers {"path": …, "ok": true}.
package testapi

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// Options tune an API.
type Options struct {
	// Issuer is the provider whose tokens are accepted (testop's Issuer()).
	Issuer string
	// Addr is the listen address; default "127.0.0.1:0".
	Addr string
	// Audiences are the accepted "aud" values; default: every client of
	// internal/testop (its tokens name the client they were issued to).
	Audiences []string
	// TLS serves https with a self-signed certificate (see CertPEM), as
	// the real API does.
	TLS bool
}

// API is a running test API. Its methods are safe for concurrent use.
type API struct {
	url      string
	srv      *httptest.Server
	verifier *oidc.IDTokenVerifier
	auds     []string

	mu       sync.Mutex
	counts   map[string]int
	tokens   []string // distinct accepted tokens, in order
	failN    int
	failCode int
	failWait string // Retry-After of injected failures
	failURI  string // FailURI: requests whose URI contains it fail with failURIC
	failURIC int
}

// Start discovers the provider's keys and serves the API until Close.
func Start(ctx context.Context, opts Options) (*API, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if len(opts.Audiences) == 0 {
		opts.Audiences = []string{testop.ServiceClientID, testop.UserClientID, testop.NativeClientID, testop.DeviceClientID}
	}
	p, err := oidc.NewProvider(ctx, opts.Issuer)
	if err != nil {
		return nil, fmt.Errorf("testapi: provider discovery: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("testapi: %w", err)
	}
	a := &API{
		// Access tokens name the client as audience, not the API: the
		// audience is checked below against the accepted list instead.
		verifier: p.Verifier(&oidc.Config{SkipClientIDCheck: true}),
		auds:     opts.Audiences,
		counts:   map[string]int{},
	}
	a.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}}
	if opts.TLS {
		a.srv.StartTLS()
	} else {
		a.srv.Start()
	}
	a.url = a.srv.URL
	return a, nil
}

// CertPEM is the certificate of a TLS API, for --ca-file; nil without TLS.
func (a *API) CertPEM() []byte {
	if a.srv.TLS == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw})
}

// URL is http://127.0.0.1:PORT (https with TLS; no trailing slash); the
// API base is URL()+"/".
func (a *API) URL() string { return a.url }

// Close stops the server at once.
func (a *API) Close() { a.srv.Close() }

// Count reports what the API saw: "requests" (all), "accepted" (valid
// token), "refused" (401 for a missing or invalid token), "injected"
// (failures from FailNext), or a method ("GET", "POST", …) of accepted requests.
func (a *API) Count(kind string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.counts[kind]
}

// Tokens are the distinct access tokens the API accepted, in order.
func (a *API) Tokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.tokens)
}

// FailNext makes the next n requests fail with status before their token
// is looked at (401 then means "this token is no longer accepted"), with
// Retry-After: retryAfter when it is not empty.
func (a *API) FailNext(n, status int, retryAfter string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failN, a.failCode, a.failWait = n, status, retryAfter
}

// FailURI makes every request whose request URI contains match fail with
// status (e.g. match "%24skip=10" fails the second page of /v1.1/Items with
// pagesize=10); an empty match stops it.
func (a *API) FailURI(match string, status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failURI, a.failURIC = match, status
}

func (a *API) count(kinds ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range kinds {
		a.counts[k]++
	}
}

func (a *API) takeFailure(r *http.Request) (int, string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failURI != "" && strings.Contains(r.RequestURI, a.failURI) {
		a.counts["injected"]++
		return a.failURIC, "", true
	}
	if a.failN <= 0 {
		return 0, "", false
	}
	a.failN--
	a.counts["injected"]++
	return a.failCode, a.failWait, true
}

// ServeHTTP checks the token, then routes.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.count("requests")
	if status, wait, ok := a.takeFailure(r); ok {
		if wait != "" {
			w.Header().Set("Retry-After", wait)
		}
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
		writeJSON(w, status, map[string]any{"error": http.StatusText(status), "injected": true})
		return
	}
	if err := a.authorize(r); err != nil {
		a.count("refused")
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "Unauthorized", "reason": err.Error()})
		return
	}
	a.count("accepted", r.Method)
	a.route(w, r)
}

// authorize accepts a bearer JWT signed by the provider, for an accepted
// audience, not expired.
func (a *API) authorize(r *http.Request) error {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return errors.New("no bearer token")
	}
	raw = strings.TrimSpace(raw)
	tok, err := a.verifier.Verify(r.Context(), raw)
	if err != nil {
		return fmt.Errorf("invalid token: %v", err)
	}
	if !slices.ContainsFunc(tok.Audience, func(aud string) bool { return slices.Contains(a.auds, aud) }) {
		return fmt.Errorf("token audience %v is not this API", tok.Audience)
	}
	a.mu.Lock()
	if !slices.Contains(a.tokens, raw) {
		a.tokens = append(a.tokens, raw)
	}
	a.mu.Unlock()
	return nil
}

func (a *API) route(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v1.1")
	q := r.URL.Query()
	switch {
	case path == "/Campaigns" && r.Method == http.MethodPost:
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write(body)
	case path == "/Campaigns":
		top, skip := intParam(q, "$top", 20), intParam(q, "$skip", 0)
		a.page(w, r, 50, top, skip, func(i int) any {
			return map[string]any{"id": fmt.Sprintf("c%03d", i+1), "name": fmt.Sprintf("Campaign %d", i+1)}
		}, func(next int) url.Values {
			return url.Values{"$top": {strconv.Itoa(top)}, "$skip": {strconv.Itoa(next)}}
		})
	case strings.HasPrefix(path, "/Campaigns/"):
		writeJSON(w, http.StatusOK, map[string]any{"id": strings.TrimPrefix(path, "/Campaigns/"), "name": "Campaign"})
	case path == "/Items":
		n, size, skip := intParam(q, "n", 1000), intParam(q, "pagesize", 100), intParam(q, "$skip", 0)
		a.page(w, r, n, size, skip, func(i int) any {
			return map[string]any{"id": i + 1, "value": fmt.Sprintf("item %d", i+1), "pad": strings.Repeat("x", 64)}
		}, func(next int) url.Values {
			return url.Values{"n": {strconv.Itoa(n)}, "pagesize": {strconv.Itoa(size)}, "$skip": {strconv.Itoa(next)}}
		})
	case path == "/Blob":
		blob(w, int64(intParam(q, "size", 1<<20)))
	case path == "/Slow":
		d, _ := time.ParseDuration(q.Get("delay"))
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "delay": d.String()})
	case path == "/Echo":
		n, _ := io.Copy(io.Discard, r.Body)
		h := r.Header.Clone()
		h.Del("Authorization")
		writeJSON(w, http.StatusOK, map[string]any{
			"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "host": r.Host,
			"headers": h, "body_bytes": n,
		})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"path": r.URL.Path, "ok": true})
	}
}

// page writes items [skip, skip+size) of total as an OData page, streaming
// them, with a nextLink when more follow.
func (a *API) page(w http.ResponseWriter, r *http.Request, total, size, skip int, item func(int) any, next func(int) url.Values) {
	if size < 1 {
		size = 1
	}
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `{"@odata.context":%q,"value":[`, a.url+"/v1.1/$metadata"+r.URL.Path)
	end := min(skip+size, total)
	enc := json.NewEncoder(w)
	for i := skip; i < end; i++ {
		if i > skip {
			io.WriteString(w, ",")
		}
		enc.Encode(item(i))
	}
	io.WriteString(w, "]")
	if end < total {
		u := a.url + r.URL.Path + "?" + next(end).Encode()
		link, _ := json.Marshal(u)
		fmt.Fprintf(w, `,"@odata.nextLink":%s`, link)
	}
	io.WriteString(w, "}\n")
}

// blob streams size bytes of a repeating pattern without holding them.
func blob(w http.ResponseWriter, size int64) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	chunk := []byte(strings.Repeat("0123456789abcdef", 4096)) // 64 KiB
	for size > 0 {
		n := min(size, int64(len(chunk)))
		if _, err := w.Write(chunk[:n]); err != nil {
			return
		}
		size -= n
	}
}

func intParam(q url.Values, name string, def int) int {
	if v, err := strconv.Atoi(q.Get(name)); err == nil && v >= 0 {
		return v
	}
	return def
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
