package e2e

// `fourinsight-token api` and `fourinsight-token proxy` against the real
// provider and the 4insight-like test API (internal/testapi), which checks
// every token's signature through the provider's JWKS.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testapi"
	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// StartTestAPI starts the test API for the provider's tokens and points the
// user's API base at it.
func StartTestAPI(t *testing.T, u *User, p *testop.Provider) *testapi.API {
	t.Helper()
	api, err := testapi.Start(context.Background(), testapi.Options{Issuer: p.Issuer()})
	if err != nil {
		t.Fatalf("starting the test API: %v", err)
	}
	t.Cleanup(api.Close)
	u.Setenv("FOURINSIGHT_API_BASE=" + api.URL() + "/")
	return api
}

// apiUser is a service account with the test API as its API base.
func apiUser(t *testing.T) (*User, *testop.Provider, *testapi.API) {
	t.Helper()
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	return u, p, StartTestAPI(t, u, p)
}

func TestAPIGet(t *testing.T) {
	u, p, api := apiUser(t)
	out := mustOK(t, u.Run("-s", "svc", "api", "/v1.1/Campaigns/c001"))
	if out != `{"id":"c001","name":"Campaign"}` {
		t.Fatalf("stdout %q", out)
	}
	// The token came from the session, as get gives it, and the next call
	// is served from the cache.
	var echo struct{ Headers map[string][]string }
	if err := json.Unmarshal([]byte(mustOK(t, u.Run("-s", "svc", "api", "v1.1/Echo"))), &echo); err != nil {
		t.Fatal(err)
	}
	if ua := echo.Headers["User-Agent"]; len(ua) != 1 || !regexp.MustCompile(`^fourinsight-token/[A-Za-z0-9.+-]+$`).MatchString(ua[0]) {
		t.Fatalf("user agent %v", ua)
	}
	if toks := api.Tokens(); len(toks) != 1 || toks[0] != cachedToken(u, "svc") || p.Count("client_credentials") != 1 {
		t.Fatalf("API saw %d tokens, provider made %d grants; want the cached token and 1 grant", len(toks), p.Count("client_credentials"))
	}
	// A body makes it a POST; -i shows the status line and headers on stderr.
	r := u.Run("-s", "svc", "api", "-i", "/v1.1/Campaigns", "--data", `{"name":"new"}`)
	if mustOK(t, r) != `{"name":"new"}` || !strings.Contains(r.Stderr, "HTTP/1.1 201 Created\n") || api.Count("POST") != 1 {
		t.Fatalf("POST: %q\n%s", r.Stdout, r.Stderr)
	}
	os.WriteFile(u.Home+"/body.json", []byte(`{"from":"file"}`), 0o600)
	if out := mustOK(t, u.Run("-s", "svc", "api", "POST", "/v1.1/Campaigns", "--data", "@body.json")); out != `{"from":"file"}` {
		t.Fatalf("--data @file: %q", out)
	}
	if out := mustOK(t, u.RunInput(`{"from":"stdin"}`, "-s", "svc", "api", "/v1.1/Campaigns", "--data", "-")); out != `{"from":"stdin"}` {
		t.Fatalf("--data -: %q", out)
	}
}

func TestAPIPaginate(t *testing.T) {
	u, _, api := apiUser(t)
	var doc struct{ Value []struct{ ID string } }
	if err := json.Unmarshal([]byte(mustOK(t, u.Run("-s", "svc", "api", "--paginate", "/v1.1/Campaigns"))), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Value) != 50 || doc.Value[49].ID != "c050" || api.Count("GET") != 3 {
		t.Fatalf("%d items in %d requests, want 50 in 3 pages", len(doc.Value), api.Count("GET"))
	}
	lines := strings.Split(mustOK(t, u.Run("-s", "svc", "api", "--paginate", "--jsonl", "/v1.1/Campaigns?$top=7")), "\n")
	if len(lines) != 50 || !json.Valid([]byte(lines[0])) || lines[49] != `{"id":"c050","name":"Campaign 50"}` {
		t.Fatalf("%d lines: %q … %q", len(lines), lines[0], lines[len(lines)-1])
	}
}

// An error page in the middle of paging.
func TestAPIPaginateErrorPage(t *testing.T) {
	u, _, api := apiUser(t)
	api.FailURI("%24skip=10", 500) // the second page, with a status no retry helps
	r := u.Run("-s", "svc", "api", "--paginate", "--jsonl", "/v1.1/Items?n=30&pagesize=10")
	lines := strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n")
	if r.Code != 6 || len(lines) != 10 || !json.Valid([]byte(lines[9])) {
		t.Fatalf("exit %d, %d lines; want 6 and the first page's 10 valid lines\n%s", r.Code, len(lines), r.Stderr)
	}
	if msg := userLines(r.Stderr); len(msg) != 1 || !strings.Contains(msg[0], "500 Internal Server Error on page 2, after 10 items") {
		t.Fatalf("stderr: %q", msg)
	}
}

// --jsonl keeps memory flat however large the collection: 300 000 items
// (about 35 MB) go through a process whose peak RSS stays far below that.
func TestAPIJSONLConstantMemory(t *testing.T) {
	u, _, _ := apiUser(t)
	cmd := u.Command("-s", "svc", "api", "--paginate", "--jsonl", "/v1.1/Items?n=300000&pagesize=20000")
	r := u.FinishTool(cmd)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if n := strings.Count(r.Stdout, "\n"); n != 300000 || len(r.Stdout) < 30<<20 {
		t.Fatalf("%d lines, %d bytes", n, len(r.Stdout))
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
	t.Logf("%d MB of items, peak RSS %d MiB", len(r.Stdout)>>20, rss>>10)
	if rss > 30<<10 {
		t.Fatalf("peak RSS %d MiB for %d MiB of items: the pages were held in memory", rss>>10, len(r.Stdout)>>20)
	}
}

// A 401 on a token the cache still holds renews it once (refresh for a
// user session, a new grant for a service account) and retries once; a
// second 401 is the API's answer, never a loop.
func TestAPIRenewsOnceOn401(t *testing.T) {
	t.Run("service account", func(t *testing.T) {
		u, p, api := apiUser(t)
		mustOK(t, u.Run("-s", "svc"))
		old := cachedToken(u, "svc")
		api.FailNext(1, 401, "")
		mustOK(t, u.Run("-s", "svc", "api", "/v1.1/Campaigns/c001"))
		if p.Count("client_credentials") != 2 || cachedToken(u, "svc") == old {
			t.Fatalf("grants %d; the cache should hold a new token", p.Count("client_credentials"))
		}
		api.FailNext(2, 401, "")
		r := u.Run("-s", "svc", "api", "/v1.1/Campaigns/c001")
		if r.Code != 6 || p.Count("client_credentials") != 3 || api.Count("requests") != 4 {
			t.Fatalf("exit %d, grants %d, requests %d; want 6, 3, 4", r.Code, p.Count("client_credentials"), api.Count("requests"))
		}
		if !strings.Contains(r.Stdout, `"injected":true`) || !strings.Contains(problemWithBody(t, r), "401 Unauthorized") {
			t.Fatalf("stdout %q, stderr %s", r.Stdout, r.Stderr)
		}
	})
	t.Run("user session refreshes", func(t *testing.T) {
		p := StartProvider(t, testop.Options{})
		u := NewUser(t)
		u.PasteProfile(p)
		api := StartTestAPI(t, u, p)
		mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
		api.FailNext(1, 401, "")
		mustOK(t, u.Run("-s", "ws0", "api", "/v1.1/Campaigns/c001"))
		if p.Count("refresh_token") != 1 || p.Count("authorization_code") != 1 {
			t.Fatalf("refreshes %d, sign-ins %d; want 1, 1", p.Count("refresh_token"), p.Count("authorization_code"))
		}
	})
}

// userLines are the stderr lines that are not -v debug output.
func userLines(stderr string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if l != "" && !strings.HasPrefix(l, "fourinsight-token: debug:") {
			lines = append(lines, l)
		}
	}
	return lines
}

// problemWithBody is problem for runs that print the API's body on stdout.
func problemWithBody(t *testing.T, r Result) string {
	t.Helper()
	lines := userLines(r.Stderr)
	if len(lines) != 1 {
		t.Fatalf("want one line on stderr for the user, got %d:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	return lines[0]
}

// Retries happen where they are safe: a GET through 503s with
// Retry-After, a POST never after a 502 (the API may have done it).
func TestAPIRetries(t *testing.T) {
	u, _, api := apiUser(t)
	mustOK(t, u.Run("-s", "svc"))
	api.FailNext(2, 503, "0")
	mustOK(t, u.Run("-s", "svc", "api", "/v1.1/Campaigns/c001"))
	if api.Count("requests") != 3 {
		t.Fatalf("%d requests, want 3", api.Count("requests"))
	}
	api.FailNext(1, 502, "")
	r := u.Run("-s", "svc", "api", "POST", "/v1.1/Campaigns", "--data", `{"a":1}`)
	if r.Code != 6 || api.Count("requests") != 4 || api.Count("POST") != 0 {
		t.Fatalf("exit %d after %d requests; want 6 after one POST", r.Code, api.Count("requests")-3)
	}
	if !strings.Contains(r.Stdout, "Bad Gateway") || !strings.Contains(problemWithBody(t, r), "POST "+api.URL()+"/v1.1/Campaigns: the API answered 502 Bad Gateway") {
		t.Fatalf("stdout %q stderr %s", r.Stdout, r.Stderr)
	}
	api.FailNext(1, 429, "0")
	mustOK(t, u.Run("-s", "svc", "api", "POST", "/v1.1/Campaigns", "--data", `{"a":1}`))
	if api.Count("POST") != 1 || api.Count("requests") != 6 {
		t.Fatalf("POST after 429: %d posts, %d requests", api.Count("POST"), api.Count("requests"))
	}
}

// An API error status is exit 6 with the body on stdout and one line on stderr.
func TestAPIErrorStatusExit6(t *testing.T) {
	u, _, api := apiUser(t)
	api.FailNext(1, 404, "")
	r := u.Run("-s", "svc", "api", "/v1.1/Campaigns/nope?$select=secret")
	if r.Code != 6 || !strings.Contains(r.Stdout, `"error":"Not Found"`) {
		t.Fatalf("exit %d, stdout %q", r.Code, r.Stdout)
	}
	if msg := problemWithBody(t, r); !strings.Contains(msg, "GET "+api.URL()+"/v1.1/Campaigns/nope?$select=…: the API answered 404 Not Found") {
		t.Fatalf("stderr: %s", msg)
	}
}

// The token goes only to the API: another host is refused (exit 2) before
// any token is got, and the 4insight profile refuses internal endpoints as
// the Python client does.
func TestAPIRefusals(t *testing.T) {
	u, p, api := apiUser(t)
	for _, tt := range []struct{ name, target, want string }{
		{"another host", "https://evil.example.com/v1.1/Campaigns", "https://evil.example.com is not the API"},
		{"plain http elsewhere", "http://10.0.0.1/v1.1/Campaigns", "is not the API"},
	} {
		r := u.Run("-s", "svc", "api", tt.target)
		if r.Code != 2 || !strings.Contains(problem(t, r), tt.want) {
			t.Errorf("%s: exit %d: %s", tt.name, r.Code, r.Stderr)
		}
	}
	// The built-in 4insight profile (no provider settings from the outside).
	builtin := NewUser(t)
	r := builtin.Run("api", "--api-base", api.URL()+"/", "/v1.1/Internal/Users")
	if r.Code != 2 || !strings.Contains(problem(t, r), "internal endpoint of the 4insight API") {
		t.Fatalf("internal: exit %d: %s", r.Code, r.Stderr)
	}
	if api.Count("requests") != 0 || p.Count("token") != 0 {
		t.Fatalf("refused calls reached the API (%d) or the provider (%d)", api.Count("requests"), p.Count("token"))
	}
	// A plain-http API base off loopback is a configuration error.
	if r := u.Run("api", "--api-base", "http://api.example.com/", "/x"); r.Code != 2 {
		t.Fatalf("http API base: exit %d", r.Code)
	}
	// No sign-in in the middle of an API call without a terminal: exit 3.
	nobody := NewUser(t)
	nobody.PasteProfile(p)
	StartTestAPI(t, nobody, p)
	if r := nobody.Run("-s", "ws0", "api", "/v1.1/Campaigns"); r.Code != 3 {
		t.Fatalf("no session: exit %d: %s", r.Code, r.Stderr)
	}
}

// Proxy is a running `fourinsight-token proxy`.
type Proxy struct {
	*Watched
	URL string
}

var proxyListening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+/)`)

// StartProxy runs the proxy for the user until the test ends.
func StartProxy(t *testing.T, u *User, args ...string) *Proxy {
	t.Helper()
	w := u.StartWatched(nil, append([]string{"proxy"}, args...)...)
	m := w.WaitFor(proxyListening, 20*time.Second)
	px := &Proxy{Watched: w, URL: m[1]}
	t.Cleanup(func() { px.Stop(t) })
	return px
}

// Stop ends the proxy with SIGTERM; it must exit 0.
func (px *Proxy) Stop(t *testing.T) Result {
	t.Helper()
	if px.Cmd.ProcessState != nil {
		return Result{}
	}
	px.Cmd.Process.Signal(syscall.SIGTERM)
	r := px.u.FinishTool(px.Cmd)
	if r.Code != 0 {
		t.Errorf("proxy exit %d after SIGTERM:\n%s", r.Code, r.Stderr)
	}
	return r
}

// curl runs curl with args and returns the HTTP status and body.
func curl(t *testing.T, u *User, args ...string) (int, string) {
	t.Helper()
	r := u.RunTool("", "curl", append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...)
	body, code, _ := cutLast(r.Stdout, "\n")
	status, err := strconv.Atoi(code)
	if err != nil {
		t.Fatalf("curl %v: exit %d %s", args, r.Code, r.Stderr)
	}
	return status, body
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+len(sep):], true
}

// curl through the proxy: no token handling in the client, one grant for
// many requests, one line per request on stderr and never a token.
func TestProxyCurl(t *testing.T) {
	needTool(t, "curl")
	u, p, api := apiUser(t)
	px := StartProxy(t, u, "-s", "svc", "--print-url")
	for i := range 20 {
		status, body := curl(t, u, fmt.Sprintf("%sv1.1/Campaigns/c%03d?$select=name", px.URL, i+1))
		if status != 200 || !strings.Contains(body, fmt.Sprintf(`"id":"c%03d"`, i+1)) {
			t.Fatalf("request %d: %d %s", i+1, status, body)
		}
	}
	// An Authorization header of the client's own is replaced.
	status, body := curl(t, u, "-H", "Authorization: Bearer not-the-session-token", px.URL+"v1.1/Echo")
	if status != 200 || api.Count("refused") != 0 {
		t.Fatalf("%d %s (refused %d)", status, body, api.Count("refused"))
	}
	if p.Count("client_credentials") != 1 || len(api.Tokens()) != 1 || api.Tokens()[0] != cachedToken(u, "svc") {
		t.Fatalf("grants %d, distinct tokens %d; want 1 and the cached one", p.Count("client_credentials"), len(api.Tokens()))
	}
	r := px.Stop(t)
	if r.Stdout != px.URL+"\n" {
		t.Fatalf("--print-url printed %q, want %s", r.Stdout, px.URL)
	}
	if n := strings.Count(r.Stderr, "GET /v1.1/Campaigns/c"); n != 20 || !strings.Contains(r.Stderr, "GET /v1.1/Campaigns/c001?$select=… 200 ") {
		t.Fatalf("%d request lines:\n%s", n, r.Stderr)
	}
}

// A 401 from the API renews the token once and retries the request.
func TestProxyRenewsOn401(t *testing.T) {
	needTool(t, "curl")
	u, p, api := apiUser(t)
	px := StartProxy(t, u, "-s", "svc")
	if status, _ := curl(t, u, px.URL+"v1.1/Campaigns/c001"); status != 200 {
		t.Fatalf("first request: %d", status)
	}
	api.FailNext(1, 401, "")
	if status, body := curl(t, u, px.URL+"v1.1/Campaigns/c002"); status != 200 || !strings.Contains(body, "c002") {
		t.Fatalf("after a 401: %d %s", status, body)
	}
	if status, _ := curl(t, u, "-X", "POST", "-H", "Content-Type: application/json", "-d", `{"n":1}`, px.URL+"v1.1/Campaigns"); status != 201 {
		t.Fatalf("POST: %d", status)
	}
	if p.Count("client_credentials") != 2 || len(api.Tokens()) != 2 {
		t.Fatalf("grants %d, tokens %d; want 2 and 2", p.Count("client_credentials"), len(api.Tokens()))
	}
}

// Only the user's own programs may use the proxy: not a web page (Origin,
// cross-site fetch, DNS rebinding), and not another local user.
func TestProxyRefusesOthers(t *testing.T) {
	needTool(t, "curl")
	u, _, api := apiUser(t)
	px := StartProxy(t, u, "-s", "svc")
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"cross-origin", []string{"-H", "Origin: https://evil.example.com"}},
		{"cross-site fetch", []string{"-H", "Sec-Fetch-Site: cross-site"}},
		{"DNS rebinding", []string{"-H", "Host: evil.example.com:" + strings.Split(strings.TrimSuffix(px.URL, "/"), ":")[2]}},
	} {
		status, body := curl(t, u, append(tt.args, "-D", "-", px.URL+"v1.1/Campaigns")...)
		if status != 403 || strings.Contains(strings.ToLower(body), "access-control-allow") {
			t.Errorf("%s: %d %s", tt.name, status, body)
		}
	}
	if os.Getuid() == 0 {
		if _, err := exec.LookPath("setpriv"); err == nil {
			r := u.RunTool("", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", px.URL+"v1.1/Campaigns")
			if r.Stdout != "403" {
				t.Errorf("another user (uid 65534): %q %s", r.Stdout, r.Stderr)
			}
		}
	} else {
		t.Log("not root: the other-user check is not run")
	}
	if api.Count("requests") != 0 {
		t.Fatalf("%d refused requests reached the API", api.Count("requests"))
	}
	r := px.Stop(t)
	if strings.Count(r.Stderr, "refused") < 3 {
		t.Fatalf("refusals not logged:\n%s", r.Stderr)
	}
	// Non-loopback addresses are refused at the start.
	if r := u.Run("proxy", "-s", "svc", "--listen", "0.0.0.0:0"); r.Code != 2 || !strings.Contains(problem(t, r), "loopback only") {
		t.Fatalf("--listen 0.0.0.0:0: exit %d %s", r.Code, r.Stderr)
	}
}

// A large download relays through the proxy in flat memory, from an http
// API and from an https one (TLS records are read ahead and coalesced).
func TestProxyStreamsLargeBody(t *testing.T) {
	needTool(t, "curl")
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[useTLS], func(t *testing.T) {
			p := StartProvider(t, testop.Options{})
			u := NewUser(t)
			u.ServiceAccount(p)
			api, err := testapi.Start(context.Background(), testapi.Options{Issuer: p.Issuer(), TLS: useTLS})
			if err != nil {
				t.Fatalf("starting the test API: %v", err)
			}
			t.Cleanup(api.Close)
			u.Setenv("FOURINSIGHT_API_BASE=" + api.URL() + "/")
			if useTLS {
				ca := filepath.Join(u.Home, "api-ca.pem")
				if err := os.WriteFile(ca, api.CertPEM(), 0o600); err != nil {
					t.Fatal(err)
				}
				u.Setenv("FOURINSIGHT_CA_FILE=" + ca)
			}
			px := StartProxy(t, u, "-s", "svc")
			const size = 512 << 20
			status, body := curl(t, u, "-o", "/dev/null", "-w", "%{size_download}\n%{http_code}", fmt.Sprintf("%sv1.1/Blob?size=%d", px.URL, size))
			if status != 200 || body != strconv.Itoa(size) {
				t.Fatalf("%d, %s bytes", status, body)
			}
			hwm := peakRSS(t, px.Cmd.Process.Pid)
			t.Logf("relayed %d MiB; proxy peak RSS %d MiB", size>>20, hwm>>10)
			if hwm > 40<<10 {
				t.Fatalf("proxy peak RSS %d MiB relaying %d MiB", hwm>>10, size>>20)
			}
		})
	}
}

// peakRSS is a running process's VmHWM in KiB.
func peakRSS(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skip("no /proc")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// docRan records that a marked doc block ran, for TestDocsEveryMarkedExampleRuns.
func docRan(file, name string) string {
	docsRun.Lock()
	docsRun.names[file+"#"+name] = true
	docsRun.Unlock()
	return name
}

// The examples of docs/integrations/api.md, run as written against the
// test API.
func TestDocsAPI(t *testing.T) {
	needTool(t, "jq")
	u, _, api := apiUser(t)
	u.Setenv("FOURINSIGHT_SESSION=") // the examples name -s ws0 themselves
	u.OnPath()
	run := func(name string) string {
		return okRun(t, name, u.Shell(docBlock(t, "api.md", docRan("api.md", name))))
	}
	if out := run("api-get"); !strings.Contains(out, `"id":"c001"`) {
		t.Fatalf("api-get printed %q", out)
	}
	os.WriteFile(u.Home+"/campaign.json", []byte(`{"name":"From the docs"}`), 0o600)
	if out := run("api-post"); out != `{"name":"From the docs"}` {
		t.Fatalf("api-post printed %q", out)
	}
	if out := run("api-paginate"); strings.Count(out, "\n") != 50 || !strings.HasPrefix(out, "c001\n") {
		t.Fatalf("api-paginate printed %q", out)
	}
	run("api-jsonl")
	data, _ := os.ReadFile(u.Home + "/campaigns.jsonl")
	if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) != 50 || !json.Valid([]byte(lines[0])) {
		t.Fatalf("campaigns.jsonl has %d lines", len(lines))
	}
	if api.Count("refused") != 0 {
		t.Fatalf("the API refused %d requests", api.Count("refused"))
	}
}

// The proxy of docs/integrations/ide-rest-clients.md: started as the docs
// say (on a free port instead of 8400), used by curl and by the example
// .http file as the IDE clients read it.
func TestDocsProxy(t *testing.T) {
	needTool(t, "curl")
	u, p, api := apiUser(t)
	u.OnPath()
	port := freePort(t)
	local := func(s string) string { return strings.ReplaceAll(s, "127.0.0.1:8400", "127.0.0.1:"+port) }
	start := strings.Fields(local(docBlock(t, "ide-rest-clients.md", docRan("ide-rest-clients.md", "proxy-start"))))
	if start[0] != "fourinsight-token" {
		t.Fatalf("proxy-start runs %q", start[0])
	}
	var args []string // StartProxy names the command itself
	for _, a := range start[1:] {
		if a != "proxy" {
			args = append(args, a)
		}
	}
	StartProxy(t, u, args...)
	out := okRun(t, "proxy-curl", u.Shell(local(docBlock(t, "ide-rest-clients.md", docRan("ide-rest-clients.md", "proxy-curl")))))
	if !strings.Contains(out, `"@odata.nextLink"`) {
		t.Fatalf("proxy-curl printed %q", out)
	}
	httpFile, err := os.ReadFile(exampleFile(t, "proxy/api.http"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(docBlockAny(t, "ide-rest-clients.md", "```http\n@api = http://127.0.0.1:8400/v1.1"), "@api") {
		t.Fatal("ide-rest-clients.md does not show the proxy's .http file")
	}
	sendAll(t, parseHTTPFile(t, local(string(httpFile)), nil, nil))
	if api.Count("refused") != 0 || api.Count("accepted") != 3 || p.Count("client_credentials") != 1 {
		t.Fatalf("refused %d, accepted %d, grants %d; want 0, 3, 1", api.Count("refused"), api.Count("accepted"), p.Count("client_credentials"))
	}
}

// docBlockAny returns the text of docs/integrations/FILE if it contains s.
func docBlockAny(t *testing.T, file, s string) string {
	t.Helper()
	data, _ := os.ReadFile("../docs/integrations/" + file)
	if !strings.Contains(string(data), s) {
		return ""
	}
	return s
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// Many requests through the proxy cost one refresh per token lifetime, not
// one provider call per request.
func TestProxyRefreshesOncePerExpiry(t *testing.T) {
	needTool(t, "curl")
	p := StartProvider(t, testop.Options{AccessTokenLifetime: 3 * time.Second})
	u := NewUser(t)
	u.PasteProfile(p)
	StartTestAPI(t, u, p)
	u.Setenv("FOURINSIGHT_MIN_VALID=1s")
	mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
	px := StartProxy(t, u, "-s", "ws0")
	deadline := time.Now().Add(5 * time.Second)
	n := 0
	for time.Now().Before(deadline) {
		if status, _ := curl(t, u, px.URL+"v1.1/Campaigns/c001"); status != 200 {
			t.Fatalf("request %d: %d", n+1, status)
		}
		n++
		time.Sleep(100 * time.Millisecond)
	}
	// 5 s of requests with tokens good for 2 s each (3 s less --min-valid 1 s).
	if r := p.Count("refresh_token"); r < 1 || r > 3 {
		t.Fatalf("%d requests made %d refreshes, want 2 or so", n, r)
	}
}
