package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testtool"
)

// isolate keeps a test's runs away from the real user's config, cache and
// FOURINSIGHT_* settings, and returns a cache directory.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "FOURINSIGHT_") || k == "KUBERNETES_EXEC_INFO" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	dir := filepath.Join(home, "cache")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeEntry writes a session as the Python client would: valid for an hour.
func writeEntry(t *testing.T, dir, file, token string, expires time.Time) {
	t.Helper()
	data, _ := json.Marshal(map[string]any{
		"access_token": token, "refresh_token": "refresh-" + token, "token_type": "Bearer",
		"expires_in": 3600, "expires_at": float64(expires.Unix()),
	})
	if err := os.WriteFile(filepath.Join(dir, file), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func runCLI(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestGitCredential(t *testing.T) {
	dir := isolate(t)
	exp := time.Now().Add(time.Hour)
	const tok = "cached-access-token-0123456789"
	epoch := strconv.FormatInt(exp.Unix(), 10)
	tests := []struct {
		name     string
		op       string
		stdin    string
		wantCode int
		wantOut  string
	}{
		{name: "get", op: "get", stdin: "protocol=https\nhost=git.example.com\n\n",
			wantOut: "username=fourinsight-token\npassword=" + tok + "\npassword_expiry_utc=" + epoch + "\n"},
		{name: "get keeps git's username", op: "get", stdin: "protocol=https\nhost=git.example.com\nusername=alice\npath=a/b.git\n",
			wantOut: "username=alice\npassword=" + tok + "\npassword_expiry_utc=" + epoch + "\n"},
		{name: "get with authtype", op: "get", stdin: "capability[]=authtype\nprotocol=https\nhost=h\nunknown-key=1\n\n",
			wantOut: "capability[]=authtype\nauthtype=Bearer\ncredential=" + tok + "\nephemeral=1\npassword_expiry_utc=" + epoch + "\n"},
		{name: "get CRLF", op: "get", stdin: "protocol=https\r\nhost=h\r\n\r\n",
			wantOut: "username=fourinsight-token\npassword=" + tok + "\npassword_expiry_utc=" + epoch + "\n"},
		{name: "get url=", op: "get", stdin: "url=https://h/x.git\n\n",
			wantOut: "username=fourinsight-token\npassword=" + tok + "\npassword_expiry_utc=" + epoch + "\n"},
		{name: "http on loopback", op: "get", stdin: "protocol=http\nhost=127.0.0.1:8080\n\n",
			wantOut: "username=fourinsight-token\npassword=" + tok + "\npassword_expiry_utc=" + epoch + "\n"},
		{name: "never over plain http", op: "get", stdin: "protocol=http\nhost=git.example.com\n\n"},
		{name: "not a certificate passphrase", op: "get", stdin: "protocol=cert\nhost=\npath=/home/u/cert.p12\n\n"},
		{name: "no host", op: "get", stdin: "protocol=https\n\n"},
		{name: "store does nothing", op: "store", stdin: "protocol=https\nhost=h\nusername=u\npassword=" + tok + "\n\n"},
		{name: "unknown operation ignored", op: "frobnicate", stdin: "protocol=https\nhost=h\n\n"},
		{name: "malformed input", op: "get", stdin: "protocol https\n\n", wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeEntry(t, dir, "token.repo", tok, exp)
			code, out, errOut := runCLI(tt.stdin, "--cache-dir", dir, "-s", "repo", "git-credential", tt.op)
			if code != tt.wantCode || out != tt.wantOut {
				t.Fatalf("exit %d, stdout %q; want %d, %q\nstderr: %s", code, out, tt.wantCode, tt.wantOut, errOut)
			}
			if strings.Contains(errOut, tok) {
				t.Fatal("the token reached stderr")
			}
		})
	}
}

func TestGitCredentialErase(t *testing.T) {
	dir := isolate(t)
	const tok = "cached-access-token-0123456789"
	cached := func() map[string]any {
		data, err := os.ReadFile(filepath.Join(dir, "token.repo"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(data, &m)
		return m
	}
	tests := []struct {
		name     string
		stdin    string
		wantDrop bool
	}{
		{"someone else's password", "protocol=https\nhost=h\nusername=u\npassword=other-token\n\n", false},
		{"no password", "protocol=https\nhost=h\n\n", false},
		{"our password", "protocol=https\nhost=h\nusername=u\npassword=" + tok + "\n\n", true},
		{"our credential", "capability[]=authtype\nprotocol=https\nhost=h\nauthtype=Bearer\ncredential=" + tok + "\n\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeEntry(t, dir, "token.repo", tok, time.Now().Add(time.Hour))
			code, out, errOut := runCLI(tt.stdin, "--cache-dir", dir, "-s", "repo", "git-credential", "erase")
			if code != 0 || out != "" {
				t.Fatalf("exit %d, stdout %q: %s", code, out, errOut)
			}
			c := cached()
			if dropped := c["access_token"] == nil || c["access_token"] == ""; dropped != tt.wantDrop {
				t.Fatalf("dropped %v, want %v", dropped, tt.wantDrop)
			}
			if c["refresh_token"] != "refresh-"+tok {
				t.Fatal("erase lost the refresh token")
			}
		})
	}
	// After the drop, a get without a terminal must sign in or refresh; with
	// --non-interactive and the built-in profile it cannot reach anybody, so
	// it must not hand out the dropped token.
	code, out, _ := runCLI("protocol=https\nhost=h\n\n", "--cache-dir", dir, "-s", "repo", "--non-interactive", "--token-url", "http://127.0.0.1:1/token", "--timeout", "1s", "git-credential", "get")
	if code == 0 || strings.Contains(out, tok) {
		t.Fatalf("get after erase: exit %d, handed out the dropped token: %v", code, strings.Contains(out, tok))
	}
}

func TestExecStatus(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sh")
	}
	dir := isolate(t)
	writeEntry(t, dir, "token", "exec-access-token-0123456789", time.Now().Add(time.Hour))
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"zero", []string{"--", "true"}, 0, ""},
		{"status", []string{"--", "sh", "-c", "exit 5"}, 5, ""},
		{"killed by a signal", []string{"--", "sh", "-c", "kill -TERM $$"}, 128 + 15, ""},
		{"env", []string{"--env", "TOK", "--", "sh", "-c", `printf %s "$TOK"`}, 0, "exec-access-token-0123456789"},
		{"not found", []string{"--", "no-such-command-fourinsight"}, 127, ""},
		{"not executable", []string{"--", "/dev/null"}, 126, ""},
		{"bad --env", []string{"--env", "A-B", "--", "true"}, 2, ""},
		{"no command", []string{"--"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI("", append([]string{"--cache-dir", dir, "exec"}, tt.args...)...)
			if code != tt.wantCode || out != tt.wantOut {
				t.Fatalf("exit %d, stdout %q; want %d, %q\nstderr: %s", code, out, tt.wantCode, tt.wantOut, errOut)
			}
		})
	}
}

func TestEnvWithout(t *testing.T) {
	env := []string{"A=1", "FOURINSIGHT_ACCESS_TOKEN=old", "B=x=y", "FOURINSIGHT_ACCESS_TOKEN_2=keep", "=C:=C:\\"}
	got := envWithout(env, "FOURINSIGHT_ACCESS_TOKEN")
	want := []string{"A=1", "B=x=y", "FOURINSIGHT_ACCESS_TOKEN_2=keep", "=C:=C:\\"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestGitHelperValue(t *testing.T) {
	tests := []struct {
		self string
		args []string
		want string
	}{
		{"/usr/local/bin/fourinsight-token", []string{"git-credential"}, "!/usr/local/bin/fourinsight-token git-credential"},
		{"/opt/my tools/fourinsight-token", []string{"--session", "ws0", "git-credential"}, "!'/opt/my tools/fourinsight-token' --session ws0 git-credential"},
		{"/x/fourinsight-token", []string{"--scope", "a b", "--trust-host", "*.example.com", "git-credential"}, "!/x/fourinsight-token --scope 'a b' --trust-host '*.example.com' git-credential"},
		{"/x/it's", []string{"git-credential"}, `!'/x/it'\''s' git-credential`},
	}
	for _, tt := range tests {
		if runtime.GOOS == "windows" {
			t.Skip("paths are unix")
		}
		if got := gitHelperValue(tt.self, tt.args); got != tt.want {
			t.Errorf("gitHelperValue(%q, %q) = %q, want %q", tt.self, tt.args, got, tt.want)
		}
	}
}

func TestGitConfigQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{`!/x/fourinsight-token git-credential`, `"!/x/fourinsight-token git-credential"`},
		{`!'/a b/f' x;y#z`, `"!'/a b/f' x;y#z"`},
		{`a\b"c`, `"a\\b\"c"`},
	}
	for _, tt := range tests {
		if got := gitConfigQuote(tt.in); got != tt.want {
			t.Errorf("gitConfigQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestGitHost(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"git.example.com", "git.example.com", true},
		{"git.example.com:8443", "git.example.com:8443", true},
		{"https://git.example.com/", "git.example.com", true},
		{"[::1]:8443", "[::1]:8443", true},
		{"http://git.example.com", "", false},
		{"git.example.com/org", "", false},
		{"user@git.example.com", "", false},
		{"", "", false},
		{"a b", "", false},
	}
	for _, tt := range tests {
		got, err := gitHost(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("gitHost(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestSetupKubectlPrints(t *testing.T) {
	isolate(t)
	self, err := selfCommand()
	if err != nil {
		t.Fatal(err)
	}
	q, _ := json.Marshal(self)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"default session", []string{"setup", "kubectl"}, `- name: "fourinsight"
  user:
    exec:
      apiVersion: "client.authentication.k8s.io/v1"
      command: ` + string(q) + `
      args:
      - "-o"
      - "exec-credential"
      interactiveMode: IfAvailable
      provideClusterInfo: false
`},
		{"session, profile and v1beta1", []string{"--profile", "prod", "setup", "kubectl", "-s", "ws0", "--api-version", "v1beta1", "--user", "me"}, `- name: "me"
  user:
    exec:
      apiVersion: "client.authentication.k8s.io/v1beta1"
      command: ` + string(q) + `
      args:
      - "-o"
      - "exec-credential"
      - "--session"
      - "ws0"
      - "--profile"
      - "prod"
      interactiveMode: IfAvailable
      provideClusterInfo: false
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI("", tt.args...)
			if code != 0 || out != tt.want {
				t.Fatalf("exit %d\n%s\nwant\n%s\nstderr: %s", code, out, tt.want, errOut)
			}
		})
	}
	if code, _, _ := runCLI("", "setup", "kubectl", "-s", "bad key"); code != 2 {
		t.Fatalf("bad session key: exit %d, want 2", code)
	}
}

// setup kubectl --write merges the user with kubectl config set-credentials;
// running it again leaves one user with the same exec stanza.
func TestSetupKubectlWrite(t *testing.T) {
	testtool.Need(t, "kubectl")
	isolate(t)
	kc := filepath.Join(t.TempDir(), "config")
	for range 2 {
		if code, _, errOut := runCLI("", "setup", "kubectl", "-s", "ws0", "--write", "--kubeconfig", kc); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	}
	out, err := exec.Command("kubectl", "config", "view", "--kubeconfig", kc, "-o", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Users []struct {
			Name string
			User struct {
				Exec struct {
					APIVersion      string `json:"apiVersion"`
					Command         string
					Args            []string
					InteractiveMode string `json:"interactiveMode"`
				}
			}
		}
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI("", "--scope", "a,b", "setup", "kubectl", "--write", "--kubeconfig", kc); code != 2 || !strings.Contains(errOut, "without --write") {
		t.Fatalf("an argument with a comma: exit %d: %s", code, errOut)
	}
	if len(cfg.Users) != 1 {
		t.Fatalf("%d users, want 1: %s", len(cfg.Users), out)
	}
	u := cfg.Users[0]
	self, _ := selfCommand()
	if u.Name != "fourinsight-ws0" || u.User.Exec.Command != self || u.User.Exec.APIVersion != "client.authentication.k8s.io/v1" ||
		u.User.Exec.InteractiveMode != "IfAvailable" || strings.Join(u.User.Exec.Args, " ") != "-o exec-credential --session ws0" {
		t.Fatalf("kubeconfig user: %+v", u)
	}
}

// setup git --global sets the helper list of https://HOST to "" and our
// helper, the same after running it twice.
func TestSetupGitGlobal(t *testing.T) {
	testtool.Need(t, "git")
	isolate(t)
	gc := filepath.Join(t.TempDir(), "gitconfig")
	t.Setenv("GIT_CONFIG_GLOBAL", gc)
	for range 2 {
		if code, _, errOut := runCLI("", "setup", "git", "--host", "git.example.com", "-s", "ws0", "--global"); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	}
	out, err := exec.Command("git", "config", "--global", "--get-all", "credential.https://git.example.com.helper").Output()
	if err != nil {
		t.Fatal(err)
	}
	self, _ := selfCommand()
	want := "\n" + gitHelperValue(self, []string{"--session", "ws0", "git-credential"}) + "\n"
	if string(out) != want {
		t.Fatalf("helpers %q, want %q", out, want)
	}
	// The printed form says the same in config-file syntax.
	code, printed, _ := runCLI("", "setup", "git", "--host", "git.example.com", "-s", "ws0")
	if code != 0 || !strings.Contains(printed, "[credential \"https://git.example.com\"]\n\thelper =\n\thelper = "+gitConfigQuote(strings.TrimSpace(want))+"\n") {
		t.Fatalf("printed:\n%s", printed)
	}
	if code, _, _ := runCLI("", "setup", "git", "--host", "git.example.com", "--global", "--write"); code != 2 {
		t.Fatalf("--global with --write: exit %d, want 2", code)
	}
}
