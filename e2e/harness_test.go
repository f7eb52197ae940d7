// Package e2e runs the built fourinsight-token binary as users and consumers
// do, against the real OpenID provider of internal/testop.
//
// Every run is verbose (FOURINSIGHT_VERBOSE=1), every stderr is kept, and
// every secret the suite sees (tokens printed or cached, refresh tokens,
// codes, client secrets) is recorded: after all tests, TestMain fails the
// suite if any secret ever appeared in any stderr.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// binary is the fourinsight-token built once for the whole suite, with
// fourinsight-token-cli beside it.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fourinsight-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "fourinsight-token")
	// The fast front and the full command line it hands everything else
	// to, side by side as an install puts them.
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "../cmd/fourinsight-token", "../cmd/fourinsight-token-cli")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building fourinsight-token: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	if leaks := secrets.leaks(); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: secrets appeared on stderr:\n%s\n", strings.Join(leaks, "\n"))
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// secretLog records every secret and every stderr, to check that no secret
// ever reached a log.
type secretLog struct {
	mu      sync.Mutex
	secrets map[string]bool
	stderrs []string
	where   []string
}

var secrets = &secretLog{secrets: map[string]bool{}}

// Secret records s as something that must never appear on stderr.
func (l *secretLog) Secret(s string) {
	s = strings.TrimSpace(s)
	if len(s) < 8 { // too short to be a secret; would match by chance
		return
	}
	l.mu.Lock()
	l.secrets[s] = true
	l.mu.Unlock()
}

func (l *secretLog) stderr(where, s string) {
	l.mu.Lock()
	l.stderrs = append(l.stderrs, s)
	l.where = append(l.where, where)
	l.mu.Unlock()
}

func (l *secretLog) leaks() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for s := range l.secrets {
		for i, e := range l.stderrs {
			if strings.Contains(e, s) {
				out = append(out, fmt.Sprintf("  %s: a secret of %d characters starting %q", l.where[i], len(s), s[:4]))
			}
		}
	}
	return out
}

func init() {
	for _, s := range []string{testop.ServiceClientSecret, testop.UserClientSecret, testop.TestPassword} {
		secrets.Secret(s)
	}
}

// User is one person's machine: a home directory, a cache directory and a
// clean environment (no CI, no FOURINSIGHT_* from the outside).
type User struct {
	t        testing.TB
	Home     string
	CacheDir string
	Env      []string
}

// NewUser makes a user with an empty cache.
func NewUser(t testing.TB) *User {
	home := t.TempDir()
	u := &User{t: t, Home: home, CacheDir: filepath.Join(home, ".fourinsight", "api")}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "CI", k == "HOME", k == "XDG_CONFIG_HOME", k == "BROWSER", k == "DISPLAY", k == "WAYLAND_DISPLAY",
			k == "SSH_CONNECTION", k == "SSH_TTY", k == "KUBERNETES_EXEC_INFO", strings.HasPrefix(k, "FOURINSIGHT_"):
			continue
		}
		u.Env = append(u.Env, kv)
	}
	u.Env = append(u.Env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "FOURINSIGHT_VERBOSE=1")
	return u
}

// Setenv adds or replaces variables for every later run, as "K=V" pairs.
func (u *User) Setenv(kvs ...string) {
	for _, kv := range kvs {
		k, _, _ := strings.Cut(kv, "=")
		u.Env = append(without(u.Env, k), kv)
	}
}

func without(env []string, key string) []string {
	var out []string
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return out
}

// Result is what one run of the binary did.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs fourinsight-token with args and no stdin.
func (u *User) Run(args ...string) Result { return u.RunInput("", args...) }

// RunInput runs fourinsight-token with stdin.
func (u *User) RunInput(stdin string, args ...string) Result {
	u.t.Helper()
	cmd := u.Command(args...)
	cmd.Stdin = strings.NewReader(stdin)
	return u.Finish(cmd)
}

// Command prepares a run without starting it, for tests that start many at
// once or wire stdin themselves. Finish collects its result.
func (u *User) Command(args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	u.t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = u.Env
	cmd.Dir = u.Home
	cmd.Stdout, cmd.Stderr = new(bytes.Buffer), new(bytes.Buffer)
	// No controlling terminal: as from an IDE, kubectl or a Makefile.
	setNoTTY(cmd)
	return cmd
}

// FinishTool waits for (or runs) any program's command and records its
// stderr, which is checked for secrets.
func (u *User) FinishTool(cmd *exec.Cmd) Result {
	u.t.Helper()
	var err error
	if cmd.Process == nil {
		err = cmd.Run()
	} else {
		err = cmd.Wait()
	}
	r := Result{Stdout: cmd.Stdout.(*bytes.Buffer).String(), Stderr: cmd.Stderr.(*bytes.Buffer).String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatalf("running %v: %v", cmd.Args, err)
	}
	u.noteCacheSecrets()
	secrets.stderr(u.t.Name()+" "+strings.Join(cmd.Args, " "), r.Stderr)
	return r
}

// Finish waits for a started (or runs an unstarted) command of ours and
// records its output: stdout lines are secrets, stderr is checked for them.
func (u *User) Finish(cmd *exec.Cmd) Result {
	u.t.Helper()
	r := u.FinishTool(cmd)
	for _, line := range strings.Split(r.Stdout, "\n") {
		secrets.Secret(line)
	}
	return r
}

// RunAtOnce starts n runs with the same arguments at the same moment, as a
// Makefile with -j or fifty terminals would, and counts the distinct tokens
// they printed. Any run that fails fails the test.
func (u *User) RunAtOnce(t *testing.T, n int, args ...string) map[string]int {
	t.Helper()
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmds[i] = u.Command(args...)
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	tokens := map[string]int{}
	for _, c := range cmds {
		tokens[mustOK(t, u.Finish(c))]++
	}
	return tokens
}

// noteCacheSecrets records every token the cache holds as a secret.
func (u *User) noteCacheSecrets() {
	files, _ := filepath.Glob(filepath.Join(u.CacheDir, "token*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var m map[string]any
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		for _, k := range []string{"access_token", "refresh_token", "id_token"} {
			if s, ok := m[k].(string); ok {
				secrets.Secret(s)
			}
		}
	}
}

// Cache reads a session's cache file as JSON ("" is the default session).
func (u *User) Cache(session string) map[string]any {
	u.t.Helper()
	data, err := os.ReadFile(u.CachePath(session))
	if err != nil {
		u.t.Fatalf("reading the cache: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		u.t.Fatalf("the cache file is not JSON: %v\n%s", err, data)
	}
	return m
}

// CachePath is the file of a session.
func (u *User) CachePath(session string) string {
	if session == "" {
		return filepath.Join(u.CacheDir, "token")
	}
	return filepath.Join(u.CacheDir, "token."+session)
}

// WriteCache writes a session's cache file as the Python client would.
func (u *User) WriteCache(session string, m map[string]any) {
	u.t.Helper()
	if err := os.MkdirAll(u.CacheDir, 0o700); err != nil {
		u.t.Fatal(err)
	}
	data, err := json.Marshal(m)
	if err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(u.CachePath(session), data, 0o600); err != nil {
		u.t.Fatal(err)
	}
}

// StartProvider starts the test OpenID provider for one test.
func StartProvider(t testing.TB, opts testop.Options) *testop.Provider {
	t.Helper()
	p, err := testop.Start(opts)
	if err != nil {
		t.Fatalf("starting the test provider: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// ServiceAccount points the user at the provider's service client.
func (u *User) ServiceAccount(p *testop.Provider) {
	u.Setenv("FOURINSIGHT_ISSUER="+p.Issuer(), "FOURINSIGHT_CLIENT_ID="+testop.ServiceClientID, "FOURINSIGHT_CLIENT_SECRET="+testop.ServiceClientSecret)
}

// PasteProfile writes a config profile "local" that works like the built-in
// 4insight profile (paste flow, public user client) against the provider,
// and selects it.
func (u *User) PasteProfile(p *testop.Provider) {
	u.t.Helper()
	cfg := map[string]any{
		"default_profile": "local",
		"profiles": map[string]any{
			"local": map[string]any{
				"signin_url":         p.PasteURL(),
				"client_id":          testop.UserClientID,
				"client_secret_file": u.writeFile("user-secret", testop.UserClientSecret),
				"flow":               "paste",
			},
		},
	}
	data, _ := json.MarshalIndent(cfg, "", "  ")
	path := filepath.Join(u.Home, ".config", "fourinsight-token", "config.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		u.t.Fatal(err)
	}
}

func (u *User) writeFile(name, content string) string {
	path := filepath.Join(u.Home, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		u.t.Fatal(err)
	}
	return path
}

// PastePackage signs the test user in on the emulated 4insight page and
// returns the package the page shows; its code is recorded as a secret.
func PastePackage(t testing.TB, p *testop.Provider) string {
	t.Helper()
	pkg, err := p.PastePackage()
	if err != nil {
		t.Fatalf("emulated sign-in page: %v", err)
	}
	var v struct{ Code string }
	json.Unmarshal([]byte(pkg), &v)
	secrets.Secret(v.Code)
	return pkg
}

// The leak check itself must be able to fail.
func TestSecretLogFindsLeaks(t *testing.T) {
	l := &secretLog{secrets: map[string]bool{}}
	l.Secret("eyJhbGciOiJSUzI1NiJ9.payload.signature")
	l.Secret("short") // too short to track
	l.stderr("clean run", "fourinsight-token: debug: POST https://idp/token: 200")
	if leaks := l.leaks(); len(leaks) != 0 {
		t.Fatalf("clean stderr reported as leaking: %v", leaks)
	}
	l.stderr("leaky run", "debug: got eyJhbGciOiJSUzI1NiJ9.payload.signature")
	if leaks := l.leaks(); len(leaks) != 1 || !strings.Contains(leaks[0], "leaky run") {
		t.Fatalf("leaks = %v, want the leaky run", leaks)
	}
}
