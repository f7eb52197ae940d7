package e2e

// Helpers for the tests that run real consumers (kubectl, git, make, curl,
// python) against the built binary.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testtool"
)

// needTool returns the path of a program the test needs (testtool.Need:
// skipped without it, failed in CI), and notes for the docs check that a
// test skipped for want of one.
func needTool(t testing.TB, name string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		docsRun.Lock()
		docsRun.toolMissing = true
		docsRun.Unlock()
	}
	return testtool.Need(t, name)
}

// OnPath puts the built fourinsight-token first on the user's PATH, as an
// install would, so that doc examples run as written.
func (u *User) OnPath() { u.prependPath(filepath.Dir(binary)) }

func (u *User) prependPath(dir string) {
	path := ""
	for _, kv := range u.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	u.Setenv("PATH=" + dir + string(os.PathListSeparator) + path)
}

var python struct {
	once sync.Once
	dir  string
}

// WithPython skips the test without python3, and puts the real
// interpreter's directory first on PATH: a version manager's shim (pyenv)
// costs seconds per start on a loaded machine.
func (u *User) WithPython(t *testing.T) {
	t.Helper()
	needTool(t, "python3")
	python.once.Do(func() {
		out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
		if err == nil {
			python.dir = filepath.Dir(strings.TrimSpace(string(out)))
		}
	})
	if python.dir != "" {
		u.prependPath(python.dir)
	}
}

// Tool prepares a run of another program (kubectl, git, make, a shell) in
// the user's environment, without a controlling terminal.
func (u *User) Tool(name string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	u.t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = u.Env
	cmd.Dir = u.Home
	cmd.Stdout, cmd.Stderr = new(bytes.Buffer), new(bytes.Buffer)
	setNoTTY(cmd)
	return cmd
}

// RunTool runs another program and records its stderr (which carries the
// stderr of every fourinsight-token it ran) for the secret check.
func (u *User) RunTool(stdin string, name string, args ...string) Result {
	u.t.Helper()
	cmd := u.Tool(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	return u.FinishTool(cmd)
}

// Shell runs a snippet with bash, as a user pastes it into a terminal.
func (u *User) Shell(script string) Result {
	u.t.Helper()
	return u.RunTool("", "bash", "-euo", "pipefail", "-c", script)
}

// API is a test resource server that accepts only the session's current
// access token: the one in the user's cache file at the time of the request,
// and only while it has not expired. It takes it as a bearer token or as the
// password of HTTP Basic (how git sends a helper's password).
type API struct {
	*httptest.Server
	u       *User
	session string

	mu       sync.Mutex
	accepted []string // tokens accepted, in order
	refused  int
	refuse   func(token string) bool
}

// Refuse makes the server refuse a token it would accept (a revoked token)
// while refuse returns true for it.
func (api *API) Refuse(refuse func(token string) bool) {
	api.mu.Lock()
	defer api.mu.Unlock()
	api.refuse = refuse
}

func (api *API) refuses(tok string) bool {
	api.mu.Lock()
	defer api.mu.Unlock()
	return api.refuse != nil && api.refuse(tok)
}

// StartAPI starts the API over TLS (tls) or plain HTTP on loopback; handler
// answers authorised requests (nil: a small JSON document).
func StartAPI(t *testing.T, u *User, session string, useTLS bool, handler http.Handler) *API {
	t.Helper()
	if handler == nil {
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "ok": true})
		})
	}
	api := &API{u: u, session: session}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := presented(r)
		if tok == "" || tok != api.current() || api.refuses(tok) {
			api.mu.Lock()
			api.refused++
			api.mu.Unlock()
			w.Header().Set("WWW-Authenticate", `Basic realm="fourinsight-test"`)
			w.Header().Add("WWW-Authenticate", `Bearer realm="fourinsight-test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}` + "\n"))
			return
		}
		api.mu.Lock()
		if n := len(api.accepted); n == 0 || api.accepted[n-1] != tok {
			api.accepted = append(api.accepted, tok)
		}
		api.mu.Unlock()
		handler.ServeHTTP(w, r)
	})
	if useTLS {
		api.Server = httptest.NewTLSServer(h)
	} else {
		api.Server = httptest.NewServer(h)
	}
	t.Cleanup(api.Close)
	return api
}

// presented is the token a request carries: Bearer, or Basic's password.
func presented(r *http.Request) string {
	if _, pw, ok := r.BasicAuth(); ok {
		return pw
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

// current is the session's unexpired access token in the cache, or "".
func (api *API) current() string {
	data, err := os.ReadFile(api.u.CachePath(api.session))
	if err != nil {
		return ""
	}
	var c struct {
		AccessToken string  `json:"access_token"`
		ExpiresAt   float64 `json:"expires_at"`
	}
	if json.Unmarshal(data, &c) != nil || c.ExpiresAt < float64(time.Now().Unix()) {
		return ""
	}
	return c.AccessToken
}

// Accepted are the distinct tokens the API accepted, in order.
func (api *API) Accepted() []string {
	api.mu.Lock()
	defer api.mu.Unlock()
	return append([]string(nil), api.accepted...)
}

// Refused counts the requests answered 401.
func (api *API) Refused() int {
	api.mu.Lock()
	defer api.mu.Unlock()
	return api.refused
}

// CAFile writes the TLS server's certificate as a PEM file.
func (api *API) CAFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, api.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// CAPEM is the TLS server's certificate in PEM.
func (api *API) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw})
}

// CAData is the certificate as a kubeconfig's certificate-authority-data.
func (api *API) CAData() string { return base64.StdEncoding.EncodeToString(api.CAPEM()) }

// Host is host:port of the server.
func (api *API) Host() string {
	return strings.TrimPrefix(strings.TrimPrefix(api.URL, "https://"), "http://")
}

// docBlock is the fenced code block that follows "<!-- e2e: NAME -->" in
// docs/integrations/FILE: the example the docs show is the one tests run.
func docBlock(t *testing.T, file, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", "integrations", file))
	if err != nil {
		t.Fatalf("reading the docs: %v", err)
	}
	marker := "<!-- e2e: " + name + " -->"
	_, rest, ok := strings.Cut(string(data), marker)
	if !ok {
		t.Fatalf("docs/integrations/%s has no %s", file, marker)
	}
	_, rest, ok = strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("no code block after %s in %s", marker, file)
	}
	_, rest, _ = strings.Cut(rest, "\n") // the info string
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("unterminated code block after %s in %s", marker, file)
	}
	return block
}

// exampleFile is the path of a file under docs/examples.
func exampleFile(t *testing.T, rel string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "docs", "examples", rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("example missing: %v", err)
	}
	return path
}
