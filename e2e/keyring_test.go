package e2e

// --store keyring, end to end: the built fourinsight-token runs the built
// fourinsight-token-keyring (found beside it, as after go install) against a
// real Secret Service (gnome-keyring on a private D-Bus session bus), the
// encrypted-file backend, and a D-Bus that never answers.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

var (
	helperOnce sync.Once
	helperPath string
	helperErr  error
)

// keyringHelper builds fourinsight-token-keyring beside the binary, where
// fourinsight-token looks for it first.
func keyringHelper(t testing.TB) string {
	t.Helper()
	helperOnce.Do(func() {
		helperPath = filepath.Join(filepath.Dir(binary), "fourinsight-token-keyring")
		build := exec.Command("go", "build", "-o", helperPath, "../cmd/fourinsight-token-keyring")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			helperErr = fmt.Errorf("building fourinsight-token-keyring: %v\n%s", err, out)
		}
	})
	if helperErr != nil {
		t.Fatal(helperErr)
	}
	return helperPath
}

// needTools is needTool for each of tools.
func needTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		needTool(t, tool)
	}
}

// busConfig is a session bus with no service activation: nothing but what
// the test starts can own a name.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// keyringPassword unlocks the test's login keyring.
const keyringPassword = "keyring-test-password"

func init() { secrets.Secret(keyringPassword) }

// SecretService starts a private D-Bus session bus and gnome-keyring's
// Secret Service on it, with the login keyring created and unlocked, and
// points the user at it. Both end with the test.
func (u *User) SecretService() {
	t := u.t
	t.Helper()
	needTools(t, "dbus-daemon", "dbus-send", "gnome-keyring-daemon")
	keyringHelper(t)
	// A short directory: a Unix socket path has at most 107 bytes.
	dir, err := os.MkdirTemp("", "fikr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "bus")
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, sock)), 0o600); err != nil {
		t.Fatal(err)
	}
	bus := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork")
	busLog := new(strings.Builder)
	bus.Stderr = &lockedWriter{w: busLog}
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Process.Kill(); bus.Wait() })
	addr := "unix:path=" + sock
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dbus-daemon did not start: %s", busLog)
		}
		time.Sleep(20 * time.Millisecond)
	}

	runDir := filepath.Join(dir, "run")
	if err := os.Mkdir(runDir, 0o700); err != nil {
		t.Fatal(err)
	}
	u.Setenv("DBUS_SESSION_BUS_ADDRESS="+addr, "XDG_RUNTIME_DIR="+runDir, "XDG_DATA_HOME="+filepath.Join(u.Home, ".local", "share"))
	gk := exec.Command("gnome-keyring-daemon", "--unlock", "--components=secrets", "--foreground")
	gk.Env = u.Env
	gk.Stdin = strings.NewReader(keyringPassword)
	gkLog := new(strings.Builder)
	gk.Stdout, gk.Stderr = &lockedWriter{w: gkLog}, &lockedWriter{w: gkLog}
	if err := gk.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gk.Process.Kill(); gk.Wait() })
	for {
		out, _ := exec.Command("dbus-send", "--bus="+addr, "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets").Output()
		if strings.Contains(string(out), "boolean true") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gnome-keyring-daemon did not take org.freedesktop.secrets: %s", gkLog)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Keyring talks to the helper directly, as fourinsight-token does: one JSON
// request per line. Every entry it reads is recorded as secrets.
func (u *User) Keyring(reqs ...map[string]any) []map[string]any {
	u.t.Helper()
	var in strings.Builder
	for _, r := range reqs {
		r["v"] = 1
		if _, ok := r["file_dir"]; !ok {
			r["file_dir"] = filepath.Join(u.CacheDir, "keyring")
		}
		if _, ok := r["backend"]; !ok {
			r["backend"] = envOf(u.Env, "FOURINSIGHT_KEYRING_BACKEND")
		}
		line, _ := json.Marshal(r)
		in.Write(line)
		in.WriteByte('\n')
	}
	cmd := exec.Command(keyringHelper(u.t))
	cmd.Env = u.Env
	if envOf(u.Env, "DBUS_SESSION_BUS_ADDRESS") == "" {
		// as fourinsight-token does: no dbus-launch where no bus runs
		cmd.Env = append(without(u.Env, "DBUS_SESSION_BUS_ADDRESS"), "DBUS_SESSION_BUS_ADDRESS=disabled:")
	}
	cmd.Stdin = strings.NewReader(in.String())
	stderr := new(strings.Builder)
	cmd.Stderr = stderr
	out, err := cmd.Output()
	if err != nil {
		u.t.Fatalf("keyring helper: %v: %s", err, stderr)
	}
	var resps []map[string]any
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			u.t.Fatalf("keyring helper answered %q: %v", sc.Text(), err)
		}
		if data, ok := m["data"].(string); ok {
			noteEntrySecrets(data)
		}
		resps = append(resps, m)
	}
	return resps
}

// KeyringEntry reads a session's entry from the keyring ("" = default);
// nil when there is none.
func (u *User) KeyringEntry(session string) map[string]any {
	u.t.Helper()
	r := u.Keyring(map[string]any{"op": "get", "key": itemName(session)})[0]
	if r["ok"] != true {
		if r["code"] == "not_found" {
			return nil
		}
		u.t.Fatalf("keyring get: %v", r)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r["data"].(string)), &m); err != nil {
		u.t.Fatal(err)
	}
	return m
}

// ExpireKeyringEntry makes the session's access token in the keyring
// expired, as time would.
func (u *User) ExpireKeyringEntry(session string) {
	u.t.Helper()
	m := u.KeyringEntry(session)
	if m == nil {
		u.t.Fatalf("no keyring entry for session %q", session)
	}
	m["expires_at"] = float64(time.Now().Add(-time.Minute).Unix())
	data, _ := json.Marshal(m)
	if r := u.Keyring(map[string]any{"op": "set", "key": itemName(session), "data": string(data)})[0]; r["ok"] != true {
		u.t.Fatalf("keyring set: %v", r)
	}
}

func envOf(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

func itemName(session string) string {
	if session == "" {
		return "token"
	}
	return "token." + session
}

func noteEntrySecrets(data string) {
	var m map[string]any
	if json.Unmarshal([]byte(data), &m) != nil {
		return
	}
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if s, ok := m[k].(string); ok {
			secrets.Secret(s)
		}
	}
}

// noTokenFiles fails if the cache directory holds any session file: the
// keyring store must keep nothing in plain files.
func noTokenFiles(t *testing.T, u *User) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(u.CacheDir, "token*"))
	for _, f := range files {
		if !strings.HasSuffix(f, ".lock") {
			t.Fatalf("the keyring store left a plain cache file: %s", f)
		}
	}
}

// The Secret Service for real: paste sign-in, cached get, refresh, status,
// logout, all with --store keyring, and nothing in plain files.
func TestKeyringSecretServiceLoginGetRefreshLogout(t *testing.T) {
	p := StartProvider(t, testop.Options{AccessTokenLifetime: 2 * time.Minute})
	u := NewUser(t)
	u.SecretService()
	u.PasteProfile(p)
	u.Setenv("FOURINSIGHT_STORE=keyring")

	login := u.RunInput(PastePackage(t, p), "login", "-s", "ws0")
	mustOK(t, login)
	if !strings.Contains(login.Stderr, "keyring: set token.ws0 via secret-service: ok") {
		t.Fatalf("login did not save to the Secret Service:\n%s", login.Stderr)
	}
	entry := u.KeyringEntry("ws0")
	if entry == nil || entry["refresh_token"] == nil || entry["token_url"] != p.TokenURL() {
		t.Fatalf("keyring entry after login = %v", entry != nil)
	}
	noTokenFiles(t, u)
	if _, err := os.Stat(filepath.Join(u.CacheDir, ".token.ws0.in-keyring")); err != nil {
		t.Fatalf("no marker for the keyring session: %v", err)
	}

	tok := mustOK(t, u.Run("-s", "ws0"))
	if tok != entry["access_token"] {
		t.Fatal("the cached get did not print the keyring's token")
	}
	if n := p.Count("token"); n != 1 {
		t.Fatalf("the cached get reached the provider: %d token requests", n)
	}

	fresh := mustOK(t, u.Run("-s", "ws0", "--min-valid", "5m"))
	if fresh == tok {
		t.Fatal("--min-valid 5m served a token with 2 minutes left")
	}
	if n := p.Count("refresh_token"); n != 1 {
		t.Fatalf("provider saw %d refreshes, want 1", n)
	}
	if got := mustOK(t, u.Run("-s", "ws0")); got != fresh {
		t.Fatal("the refreshed token was not saved to the keyring")
	}
	if u.KeyringEntry("ws0")["access_token"] != fresh {
		t.Fatal("the keyring does not hold the refreshed token")
	}

	// A second session, then status and logout --all go through the keyring.
	u.Keyring(map[string]any{"op": "set", "key": "token", "data": `{"access_token":"default-session-token-0001","expires_at":1}`})
	var sessions []map[string]any
	st := mustOK(t, u.Run("status", "--json"))
	if err := json.Unmarshal([]byte(st), &sessions); err != nil || len(sessions) != 2 {
		t.Fatalf("status --json: %v\n%s", err, st)
	}
	if sessions[0]["session"] != "" || sessions[1]["session"] != "ws0" || sessions[1]["refresh_token"] != true {
		t.Fatalf("status --json = %v", sessions)
	}
	if strings.Contains(st, fresh) {
		t.Fatal("status printed a token")
	}
	mustOK(t, u.Run("logout", "-s", "ws0"))
	if u.KeyringEntry("ws0") != nil {
		t.Fatal("logout left the keyring entry")
	}
	if _, err := os.Stat(filepath.Join(u.CacheDir, ".token.ws0.in-keyring")); !os.IsNotExist(err) {
		t.Fatalf("logout left the marker: %v", err)
	}
	out := u.Run("logout", "--all")
	mustOK(t, out)
	if u.KeyringEntry("") != nil {
		t.Fatal("logout --all left the default session in the keyring")
	}
	if r := u.Keyring(map[string]any{"op": "list"})[0]; r["keys"] != nil {
		t.Fatalf("the keyring still lists %v", r["keys"])
	}
	r := u.Run("-s", "ws0")
	if r.Code != 3 || !strings.Contains(problem(t, r), "fourinsight-token login -s ws0") {
		t.Fatalf("after logout: exit %d, %s", r.Code, r.Stderr)
	}

	// A collection that does not exist is never created (that needs a
	// desktop prompt): the first keyring call says so, before any sign-in.
	u.Setenv("FOURINSIGHT_KEYRING_COLLECTION=fourinsight")
	r = u.RunInput(PastePackage(t, p), "login", "-s", "ws1")
	if r.Code != 2 || !strings.Contains(problem(t, r), `the Secret Service has no collection "fourinsight"`) {
		t.Fatalf("missing collection: exit %d, %s", r.Code, r.Stderr)
	}
	if n := p.Count("authorization_code"); n != 1 {
		t.Fatalf("provider saw %d code exchanges, want only the first login's", n)
	}
}

// Twenty processes, one expired token in the Secret Service: exactly one
// refresh, and all print the same token (the locks are the file store's).
func TestKeyringTwentyProcessesOneRefresh(t *testing.T) {
	p := StartProvider(t, testop.Options{AccessTokenLifetime: 2 * time.Minute, RevokeFamilyOnReuse: true})
	u := NewUser(t)
	u.SecretService()
	u.PasteProfile(p)
	u.Setenv("FOURINSIGHT_STORE=keyring")
	mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
	u.ExpireKeyringEntry("ws0")

	const n = 20
	tokens := u.RunAtOnce(t, n, "-s", "ws0")
	if len(tokens) != 1 {
		t.Fatalf("%d processes printed %d different tokens", n, len(tokens))
	}
	if got := p.Count("refresh_token"); got != 1 {
		t.Fatalf("provider saw %d refreshes, want exactly 1", got)
	}
	for tok := range tokens {
		if u.KeyringEntry("ws0")["access_token"] != tok {
			t.Fatal("the keyring does not hold the token the processes printed")
		}
	}
	noTokenFiles(t, u)
}

// The encrypted-file backend: a round trip with FOURINSIGHT_KEYRING_PASSWORD,
// files that do not show the token, a wrong password and a missing one.
func TestKeyringEncryptedFileBackend(t *testing.T) {
	keyringHelper(t)
	p := StartProvider(t, testop.Options{AccessTokenLifetime: 2 * time.Minute})
	u := NewUser(t)
	u.PasteProfile(p)
	u.Setenv("FOURINSIGHT_STORE=keyring", "FOURINSIGHT_KEYRING_BACKEND=file", "FOURINSIGHT_KEYRING_PASSWORD=correct horse battery staple")
	secrets.Secret("correct horse battery staple")

	mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", "ws0"))
	tok := mustOK(t, u.Run("-s", "ws0"))
	if n := p.Count("token"); n != 1 {
		t.Fatalf("the cached get reached the provider: %d token requests", n)
	}
	noTokenFiles(t, u)
	file := filepath.Join(u.CacheDir, "keyring", "token.ws0")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the encrypted item: %v", err)
	}
	refresh := u.KeyringEntry("ws0")["refresh_token"].(string)
	for _, secret := range []string{tok, refresh, `"access_token"`} {
		if strings.Contains(string(data), secret) {
			t.Fatalf("the encrypted keyring file shows %.12s…", secret)
		}
	}
	if parts := strings.Split(string(data), "."); len(parts) != 5 {
		t.Fatalf("the keyring file is not a JWE (%d parts)", len(parts))
	}
	if info, _ := os.Stat(file); info.Mode().Perm() != 0o600 {
		t.Fatalf("the keyring file has mode %v", info.Mode().Perm())
	}

	u.Setenv("FOURINSIGHT_KEYRING_PASSWORD=wrong password")
	r := u.Run("-s", "ws0")
	if r.Code != 2 || !strings.Contains(problem(t, r), "the password does not open the encrypted keyring file") {
		t.Fatalf("wrong password: exit %d, %s", r.Code, r.Stderr)
	}
	// A wrong password never writes an item the right one cannot read.
	r = u.RunInput(PastePackage(t, p), "login", "-s", "other")
	if r.Code != 2 || !strings.Contains(problem(t, r), "the password does not open") {
		t.Fatalf("login with a wrong password: exit %d, %s", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(u.CacheDir, "keyring", "token.other")); !os.IsNotExist(err) {
		t.Fatalf("a wrong password wrote an item: %v", err)
	}

	u.Env = without(u.Env, "FOURINSIGHT_KEYRING_PASSWORD")
	r = u.Run("-s", "ws0")
	if r.Code != 3 || !strings.Contains(problem(t, r), "set FOURINSIGHT_KEYRING_PASSWORD") {
		t.Fatalf("no password, no terminal: exit %d, %s", r.Code, r.Stderr)
	}

	u.Setenv("FOURINSIGHT_KEYRING_PASSWORD=correct horse battery staple")
	if got := mustOK(t, u.Run("-s", "ws0")); got != tok {
		t.Fatal("the right password no longer serves the cached token")
	}
}

// A D-Bus that accepts connections and never answers: the keyring call is
// cut off in bounded time, exit 5 with one line saying what to do.
func TestKeyringHungDBus(t *testing.T) {
	keyringHelper(t)
	dir, err := os.MkdirTemp("", "fikr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "bus")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never read, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})

	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	u.Setenv("FOURINSIGHT_STORE=keyring", "DBUS_SESSION_BUS_ADDRESS=unix:path="+sock, "FOURINSIGHT_KEYRING_TIMEOUT=1s")
	for _, args := range [][]string{{"-s", "svc"}, {"status"}} {
		start := time.Now()
		r := u.Run(args...)
		took := time.Since(start)
		if r.Code != 5 {
			t.Fatalf("%v: exit %d, want 5: %s", args, r.Code, r.Stderr)
		}
		msg := problem(t, r)
		if !strings.Contains(msg, "did not answer within 1s") || !strings.Contains(msg, "--keyring-backend") {
			t.Fatalf("%v: unclear message: %s", args, msg)
		}
		if took > 10*time.Second {
			t.Fatalf("%v took %s with a 1s keyring timeout", args, took)
		}
	}
	if n := p.Count("client_credentials"); n != 0 {
		t.Fatalf("a hung keyring still reached the provider %d times", n)
	}
	noTokenFiles(t, u)
}

// A session in one store is not silently signed in again in the other:
// each store says where the session is and what to run.
func TestKeyringStoreSwitchSaysWhatToDo(t *testing.T) {
	keyringHelper(t)
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	u.Setenv("FOURINSIGHT_KEYRING_BACKEND=file", "FOURINSIGHT_KEYRING_PASSWORD=switch-test-password")

	mustOK(t, u.Run("-s", "filed")) // file store
	r := u.Run("--store", "keyring", "-s", "filed")
	if r.Code != 2 || !strings.Contains(problem(t, r), "session filed is in the file store") ||
		!strings.Contains(problem(t, r), "fourinsight-token logout --store file -s filed") {
		t.Fatalf("keyring get of a file session: exit %d, %s", r.Code, r.Stderr)
	}

	mustOK(t, u.Run("--store", "keyring", "-s", "kept"))
	r = u.Run("-s", "kept") // file store
	if r.Code != 2 || !strings.Contains(problem(t, r), "session kept is kept in the keyring (file)") ||
		!strings.Contains(problem(t, r), "--store keyring") {
		t.Fatalf("file get of a keyring session: exit %d, %s", r.Code, r.Stderr)
	}
	if n := p.Count("client_credentials"); n != 2 {
		t.Fatalf("provider saw %d grants, want 2 (no sign-in for the wrong store)", n)
	}

	// Moving: log out of one store, sign in with the other.
	mustOK(t, u.Run("logout", "--store", "keyring", "-s", "kept"))
	mustOK(t, u.Run("-s", "kept"))
	if _, err := os.Stat(u.CachePath("kept")); err != nil {
		t.Fatalf("after moving to the file store: %v", err)
	}
	st := mustOK(t, u.Run("status", "--json", "--store", "keyring"))
	if strings.TrimSpace(st) != "[]" {
		t.Fatalf("keyring status after logout = %s", st)
	}
}

// Without the helper, --store keyring says how to install it; nothing
// falls back to plain files.
func TestKeyringHelperMissing(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	u.Setenv("FOURINSIGHT_STORE=keyring", "FOURINSIGHT_KEYRING_HELPER="+filepath.Join(u.Home, "no-such-helper"))
	r := u.Run("-s", "svc")
	if r.Code != 2 || !strings.Contains(problem(t, r), "cannot run the keyring helper") {
		t.Fatalf("exit %d, %s", r.Code, r.Stderr)
	}
	if n := p.Count("client_credentials"); n != 0 {
		t.Fatalf("provider saw %d grants", n)
	}
	noTokenFiles(t, u)
}

// On a terminal, the encrypted-file backend asks for its password on the
// terminal: a new one twice, then once per process; a mistyped one is
// exit 2 and a sign-in never starts.
func TestKeyringFilePasswordPrompt(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses util-linux script for a terminal")
	}
	needTools(t, "script")
	keyringHelper(t)
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	u.Setenv("FOURINSIGHT_STORE=keyring", "FOURINSIGHT_KEYRING_BACKEND=file")
	const typed = "typed-keyring-password"
	secrets.Secret(typed)

	// onTerminal runs fourinsight-token on a terminal (util-linux script),
	// typing each answer once the prompt before it is on the screen.
	onTerminal := func(answers []string, args ...string) (string, int) {
		t.Helper()
		line := binary
		for _, a := range args {
			line += " '" + a + "'"
		}
		cmd := exec.Command("script", "-q", "-e", "-c", line, "/dev/null")
		cmd.Env = u.Env
		cmd.Dir = u.Home
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out := &lockedWriter{w: new(strings.Builder)}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		screen := func() string { out.mu.Lock(); defer out.mu.Unlock(); return out.w.String() }
		prompts := 0
		for _, a := range answers {
			deadline := time.Now().Add(20 * time.Second)
			for strings.Count(strings.ToLower(screen()), "password") <= prompts && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			prompts++
			time.Sleep(100 * time.Millisecond) // the prompt is written just before echo goes off
			stdin.Write([]byte(a + "\n"))
		}
		err = cmd.Wait()
		stdin.Close()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		// The terminal shows the prompts and the token; never the password.
		// Token lines are secrets, the rest is checked for them like stderr.
		if strings.Contains(screen(), typed) {
			t.Fatal("the typed password was echoed")
		}
		var talk []string
		for _, l := range strings.Split(screen(), "\n") {
			if l = strings.TrimSpace(l); strings.Count(l, ".") == 2 && !strings.Contains(l, " ") {
				secrets.Secret(l)
			} else {
				talk = append(talk, l)
			}
		}
		secrets.stderr(t.Name()+" (terminal) "+strings.Join(args, " "), strings.Join(talk, "\n"))
		return screen(), code
	}

	out, code := onTerminal([]string{typed, typed}, "-s", "svc")
	if code != 0 || !strings.Contains(out, "New password for the encrypted keyring file") || !strings.Contains(out, "Repeat the new password") {
		t.Fatalf("first use: exit %d:\n%s", code, out)
	}
	tok := u.Run("--store", "keyring", "-s", "svc") // no terminal, no password: exit 3
	if tok.Code != 3 {
		t.Fatalf("without a terminal: exit %d: %s", tok.Code, tok.Stderr)
	}
	out, code = onTerminal([]string{typed}, "-s", "svc")
	if code != 0 || !strings.Contains(out, "Password for the encrypted keyring file") || strings.Contains(out, "Repeat") {
		t.Fatalf("second use: exit %d:\n%s", code, out)
	}
	out, code = onTerminal([]string{"not-the-password"}, "-s", "other")
	if code != 2 || !strings.Contains(out, "the password does not open the encrypted keyring file") {
		t.Fatalf("mistyped: exit %d:\n%s", code, out)
	}
	if n := p.Count("client_credentials"); n != 1 {
		t.Fatalf("provider saw %d grants, want 1 (cached after, none for a wrong password)", n)
	}
	u.Setenv("FOURINSIGHT_KEYRING_PASSWORD=" + typed)
	if e := u.KeyringEntry("svc"); e == nil || e["access_token"] == nil {
		t.Fatal("the entry made on the terminal does not open with the same password")
	}
}

// keyctl, chosen explicitly: entries in the kernel's user keyring survive
// the process, serve cached gets, and logout removes them. Session names are
// unique: the user keyring is shared by every process of the user.
func TestKeyringKeyctlBackend(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("keyctl is Linux only")
	}
	keyringHelper(t)
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	u.Setenv("FOURINSIGHT_STORE=keyring", "FOURINSIGHT_KEYRING_BACKEND=keyctl")
	if r := u.Keyring(map[string]any{"op": "list"})[0]; r["ok"] != true {
		t.Skipf("the kernel keyring cannot be used here: %v", r["error"]) // e.g. a container's seccomp profile
	}
	session := fmt.Sprintf("e2e-%d-%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() { u.Keyring(map[string]any{"op": "delete", "key": itemName(session)}) })

	tok := mustOK(t, u.Run("-s", session))
	if again := mustOK(t, u.Run("-s", session)); again != tok {
		t.Fatal("the second get did not serve the kernel keyring's token")
	}
	if n := p.Count("client_credentials"); n != 1 {
		t.Fatalf("provider saw %d grants, want 1", n)
	}
	if e := u.KeyringEntry(session); e == nil || e["access_token"] != tok {
		t.Fatal("the kernel keyring does not hold the token")
	}
	noTokenFiles(t, u)
	mustOK(t, u.Run("logout", "-s", session))
	if u.KeyringEntry(session) != nil {
		t.Fatal("logout left the kernel key")
	}
}

// A locked collection whose unlock prompt cannot be shown: one clear line,
// in bounded time, and no sign-in.
func TestKeyringLockedCollection(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.SecretService()
	u.ServiceAccount(p)
	u.Setenv("FOURINSIGHT_STORE=keyring")
	mustOK(t, u.Run("-s", "svc"))
	lock := exec.Command("dbus-send", "--bus="+envOf(u.Env, "DBUS_SESSION_BUS_ADDRESS"), "--print-reply", "--dest=org.freedesktop.secrets",
		"/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock", "array:objpath:/org/freedesktop/secrets/collection/login")
	if out, err := lock.CombinedOutput(); err != nil {
		t.Fatalf("locking the login collection: %v\n%s", err, out)
	}
	start := time.Now()
	r := u.Run("-s", "svc")
	// The test's bus has no prompter, so the unlock prompt fails at once:
	// exit 2. (Where a prompter would wait for a desktop, the call times
	// out instead: exit 5, as TestKeyringHungDBus shows.)
	if r.Code != 2 || !strings.Contains(problem(t, r), `collection "login" is locked`) {
		t.Fatalf("locked collection: exit %d: %s", r.Code, r.Stderr)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("took %s", took)
	}
	if n := p.Count("client_credentials"); n != 1 {
		t.Fatalf("provider saw %d grants, want 1", n)
	}
}
