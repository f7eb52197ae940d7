package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker"
	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/internal/apicall"
	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/store"
	"golang.org/x/term"
)

// api makes one authenticated call to the profile's API (or follows its
// pages) and writes the answer on stdout.
func (a *app) api(ctx context.Context) error {
	c := a.cli.API
	method, path, err := apiArgs(c.Args, c.Data != "")
	if err != nil {
		return err
	}
	if c.JSONL && !c.Paginate {
		return fmt.Errorf("%w: --jsonl goes with --paginate", errUsage)
	}
	client, target, err := a.apiClient()
	if err != nil {
		return err
	}
	u, err := target.Resolve(path)
	if err != nil {
		return err
	}
	req := apicall.Request{Method: method, URL: u.String(), Header: http.Header{"Accept": {"application/json"}}, ContentLength: -1}
	for _, h := range c.Header {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("%w: -H %q is not 'Name: value'", errUsage, h)
		}
		if strings.EqualFold(strings.TrimSpace(name), "Authorization") {
			return fmt.Errorf("%w: -H Authorization: the session's token is the authorization; use plain curl for another", errUsage)
		}
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if c.Data != "" {
		if req.Body, req.ContentLength, err = a.requestBody(c.Data); err != nil {
			return err
		}
		if req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	out := apicall.Output{W: a.stdout, Pretty: c.Pretty || terminal(a.stdout), JSONL: c.JSONL}
	if c.Include {
		out.Include = func(resp *http.Response) { printHead(a.stderr, resp) }
	}
	if c.Paginate && terminal(a.stderr) {
		out.Progress = func(pages, items int, n int64, done bool) {
			end := ""
			if done {
				end = "\n"
			}
			fmt.Fprintf(a.stderr, "\rfourinsight-token: %d pages, %d items, %.1f MB%s", pages, items, float64(n)/1e6, end)
		}
	}
	if c.Paginate {
		return client.Paginate(ctx, target, req, out)
	}
	return client.Call(ctx, req, out)
}

// apiArgs reads [METHOD] PATH|URL; the method defaults to GET, or POST
// when a body is given.
func apiArgs(args []string, body bool) (method, path string, err error) {
	method = http.MethodGet
	if body {
		method = http.MethodPost
	}
	switch len(args) {
	case 1:
		return method, args[0], nil
	case 2:
		m := strings.ToUpper(args[0])
		if m == "" || strings.IndexFunc(m, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
			return "", "", fmt.Errorf("%w: %q is not an HTTP method (use fourinsight-token api [METHOD] PATH)", errUsage, args[0])
		}
		return m, args[1], nil
	}
	return "", "", fmt.Errorf("%w: api takes [METHOD] PATH|URL", errUsage)
}

// requestBody opens --data for every attempt: @FILE afresh each time
// (never held in memory), stdin read once, or the text itself.
func (a *app) requestBody(data string) (func() (io.ReadCloser, error), int64, error) {
	if name, ok := strings.CutPrefix(data, "@"); ok {
		info, err := os.Stat(name)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: --data @%s: %v", errUsage, name, err)
		}
		return func() (io.ReadCloser, error) { return os.Open(name) }, info.Size(), nil
	}
	text := []byte(data)
	if data == "-" {
		var err error
		if text, err = io.ReadAll(a.stdin); err != nil {
			return nil, 0, fmt.Errorf("reading the request body from stdin: %w", err)
		}
	}
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(text))), nil }, int64(len(text)), nil
}

// printHead writes the status line and headers, as curl -i does.
func printHead(w io.Writer, resp *http.Response) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", resp.Proto, resp.Status)
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

// apiClient builds the client for the profile's API: where the token may
// go, and a client that gets it as get does.
func (a *app) apiClient() (*apicall.Client, apicall.Target, error) {
	b, key, err := a.setup()
	if err != nil {
		return nil, apicall.Target{}, err
	}
	p := b.Settings.Profile
	base, err := apicall.ParseBase(p.APIBase)
	if err != nil {
		return nil, apicall.Target{}, err
	}
	target := apicall.Target{Base: base, TrustHosts: p.APITrustHosts, RefuseInternal: p.Name == profile.DefaultProfile}
	// Resolve has refused a negative or zero --api-timeout.
	timeout := cliargs.DefaultAPITimeout
	if p.APITimeout != nil {
		timeout = time.Duration(*p.APITimeout)
	}
	transport, err := flows.NewTransport(p.CAFile)
	if err != nil {
		return nil, target, fmt.Errorf("%w: %v", errUsage, err)
	}
	transport.ResponseHeaderTimeout = timeout
	transport.MaxIdleConnsPerHost = 64
	b.Interact = a.interaction(false, true)
	return &apicall.Client{
		HTTP:      &http.Client{Transport: transport, CheckRedirect: sameOriginRedirects},
		Tokens:    &sessionTokens{b: b, key: key},
		UserAgent: "fourinsight-token/" + userAgentVersion(),
		Timeout:   timeout,
		Logf:      b.Logf,
	}, target, nil
}

// sameOriginRedirects follows redirects on the API's own scheme and host
// only: Go drops the Authorization header on a redirect elsewhere, but a
// redirect to another host is not the API answering.
func sameOriginRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("stopped after 10 redirects")
	}
	if !apicall.SameOrigin(req.URL, via[0].URL) {
		return http.ErrUseLastResponse
	}
	return nil
}

// sessionTokens hands out the session's token as get does, keeping it in
// memory while it stays valid for --min-valid, so that a proxy serving many
// requests goes to the cache (and the provider) once per token, not once
// per request. Callers wait for one another: one refresh serves them all.
type sessionTokens struct {
	b   *broker.Broker
	key string

	mu sync.Mutex
	e  *store.Entry
}

func (t *sessionTokens) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.e != nil && t.e.ValidFor(t.b.MinValid, time.Now()) {
		return t.e.AccessToken, nil
	}
	e, err := t.b.Cached(t.key)
	if e == nil && err == nil {
		e, err = t.b.Token(ctx, t.key, false)
	}
	if err != nil {
		return "", err
	}
	t.e = e
	return e.AccessToken, nil
}

func (t *sessionTokens) Renew(ctx context.Context, rejected string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.e != nil && t.e.AccessToken != rejected && t.e.ValidFor(t.b.MinValid, time.Now()) {
		return t.e.AccessToken, nil // renewed already, for another request
	}
	e, err := t.b.Renew(ctx, t.key, rejected)
	if err != nil {
		return "", err
	}
	t.e = e
	return e.AccessToken, nil
}

func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// userAgentVersion is the version for the User-Agent header: the release's,
// the module version go install stamped, or "dev" for a checkout without one.
func userAgentVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
