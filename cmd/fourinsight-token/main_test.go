package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The front answers a plain get from a good cache entry, and leaves every
// other call to the full command line without printing anything.
func TestServeCached(t *testing.T) {
	home, dir := newHome(t)
	in := func(d time.Duration) string { return strconv.FormatInt(time.Now().Add(d).Unix(), 10) }
	write := func(name, content string, mode os.FileMode) {
		os.WriteFile(filepath.Join(dir, name), []byte(content), mode)
		os.Chmod(filepath.Join(dir, name), mode)
	}
	write("token.py", `{"access_token":"py-token","expires_at":`+in(time.Hour)+`.25,"scope":["openid"],"token_url":"https://x.b2clogin.com/t"}`, 0o600)
	write("token.old", `{"access_token":"old-token","expires_at":`+in(30*time.Second)+`}`, 0o600)
	write("token.torn", `{"access_token":"to`, 0o600)
	write("token.other", `{"access_token":"other-token","expires_at":`+in(time.Hour)+`,"fourinsight_token":{"provider":"https://idp.example","client_id":"someone"}}`, 0o600)
	web := `"fourinsight_token":{"provider":"https://idp.example","client_id":"native","issuer":"https://idp.example","flow":"browser"}`
	write("token.web", `{"access_token":"web-token","refresh_token":"web-refresh","expires_at":`+in(time.Hour)+`,`+web+`}`, 0o600)
	write("token.rewritten", `{"access_token":"py-token","refresh_token":"python-signed-in-again","expires_at":`+in(time.Hour)+`,`+
		strings.Replace(web, `"flow"`, `"refresh_token_sha256":"0123456789abcdef","flow"`, 1)+`}`, 0o600)
	write("token.open", `{"access_token":"open-token","expires_at":`+in(time.Hour)+`}`, 0o666)

	tests := []struct {
		name   string
		args   []string
		served bool
		stdout string
	}{
		{name: "python entry", args: []string{"-s", "py"}, served: true, stdout: "py-token\n"},
		{name: "get spelled out, header", args: []string{"get", "--session=py", "-o", "header"}, served: true, stdout: "Authorization: Bearer py-token\n"},
		{name: "verbose is still served", args: []string{"-v", "-s", "py"}, served: true, stdout: "py-token\n"},
		{name: "less than --min-valid left", args: []string{"-s", "old"}},
		{name: "min-valid lowered", args: []string{"-s", "old", "--min-valid", "10s"}, served: true, stdout: "old-token\n"},
		{name: "force", args: []string{"-s", "py", "-f"}},
		{name: "output file", args: []string{"-s", "py", "--output-file", filepath.Join(home, ".env")}},
		{name: "no store", args: []string{"-s", "py", "--no-store"}},
		{name: "keyring store", args: []string{"-s", "py", "--store", "keyring"}},
		{name: "torn entry", args: []string{"-s", "torn"}},
		{name: "made for other settings, recording none of them", args: []string{"-s", "other"}},
		{name: "made with recorded settings, none chosen", args: []string{"-s", "web"}, served: true, stdout: "web-token\n"},
		{name: "made with recorded settings, the same chosen", args: []string{"-s", "web", "--issuer", "https://idp.example", "--client-id", "native"}, served: true, stdout: "web-token\n"},
		{name: "made with recorded settings, others chosen", args: []string{"-s", "web", "--client-id", "other"}},
		{name: "made with recorded settings, a profile chosen", args: []string{"-s", "web", "--profile", "4insight"}},
		{name: "rewritten by the Python client since", args: []string{"-s", "rewritten", "--profile", "4insight"}, served: true, stdout: "py-token\n"},
		{name: "unsafe permissions", args: []string{"-s", "open"}},
		{name: "no entry", args: []string{"-s", "none"}},
		{name: "bad session key", args: []string{"-s", "../x"}},
		{name: "another command", args: []string{"status"}},
		{name: "help", args: []string{"--help"}},
		{name: "unknown flag", args: []string{"--nope"}},
		{name: "secret on stdin", args: []string{"-s", "py", "--client-secret-file", "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code, served := serveCached(tt.args, &stdout, &stderr)
			if served != tt.served || code != 0 {
				t.Fatalf("served = %v (exit %d), want %v; stderr: %s", served, code, tt.served, stderr.String())
			}
			if stdout.String() != tt.stdout {
				t.Fatalf("stdout = %q, want %q", stdout.String(), tt.stdout)
			}
			if !served && stderr.Len() != 0 {
				t.Fatalf("a call left to the full command line printed %q", stderr.String())
			}
		})
	}
}

// git's "git-credential get" is answered by the front when the cache can
// serve, as the full command line answers it; otherwise the front reads
// nothing of git's request and leaves it all to the full command line.
func TestServeGitCredential(t *testing.T) {
	_, dir := newHome(t)
	exp := time.Now().Add(time.Hour).Unix()
	os.WriteFile(filepath.Join(dir, "token.py"), []byte(`{"access_token":"py-token","expires_at":`+strconv.FormatInt(exp, 10)+`}`), 0o600)
	os.WriteFile(filepath.Join(dir, "token.old"), []byte(`{"access_token":"old-token","expires_at":1}`), 0o600)
	const https = "protocol=https\nhost=git.example.com\n\n"
	tests := []struct {
		name   string
		args   []string
		stdin  string
		served bool
		code   int
		stdout string
	}{
		{name: "cached", args: []string{"-s", "py", "git-credential", "get"}, stdin: https, served: true,
			stdout: "username=fourinsight-token\npassword=py-token\npassword_expiry_utc=" + strconv.FormatInt(exp, 10) + "\n"},
		{name: "authtype", args: []string{"-s", "py", "git-credential", "get"}, stdin: "capability[]=authtype\n" + https, served: true,
			stdout: "capability[]=authtype\nauthtype=Bearer\ncredential=py-token\nephemeral=1\npassword_expiry_utc=" + strconv.FormatInt(exp, 10) + "\n"},
		{name: "not over https", args: []string{"-s", "py", "git-credential", "get"}, stdin: "protocol=http\nhost=git.example.com\n\n", served: true},
		{name: "bad input", args: []string{"-s", "py", "git-credential", "get"}, stdin: "no equals sign\n", served: true, code: 2},
		{name: "expired: the full command line refreshes", args: []string{"-s", "old", "git-credential", "get"}, stdin: https},
		{name: "erase is not for the front", args: []string{"-s", "py", "git-credential", "erase"}, stdin: https},
		{name: "a command word among the flags", args: []string{"get", "-s", "py", "git-credential", "get"}, stdin: https},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			stdin := strings.NewReader(tt.stdin)
			code, served := serve(tt.args, stdin, &stdout, &stderr)
			if served != tt.served || code != tt.code {
				t.Fatalf("served = %v (exit %d), want %v (exit %d); stderr: %s", served, code, tt.served, tt.code, stderr.String())
			}
			if stdout.String() != tt.stdout {
				t.Fatalf("stdout = %q, want %q", stdout.String(), tt.stdout)
			}
			if !served && stdin.Len() != len(tt.stdin) {
				t.Fatal("a call left to the full command line had its stdin read")
			}
			if tt.code == 2 && (!strings.HasPrefix(stderr.String(), "fourinsight-token: usage error: malformed git credential input") || strings.Contains(stderr.String(), "no equals sign")) {
				t.Fatalf("bad input: stderr %q", stderr.String())
			}
		})
	}
}

// newHome gives the test a user of its own: an empty HOME with an empty
// cache directory (returned as dir), and no FOURINSIGHT_ variables.
func newHome(t *testing.T) (home, dir string) {
	home = t.TempDir()
	dir = filepath.Join(home, ".fourinsight", "api")
	os.MkdirAll(dir, 0o700)
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "FOURINSIGHT_") {
			t.Setenv(k, "") // restored after the test
			os.Unsetenv(k)
		}
	}
	return home, dir
}

func TestFindCLI(t *testing.T) {
	t.Setenv("FOURINSIGHT_TOKEN_CLI", "/opt/x/fourinsight-token-cli")
	if p, err := findCLI(); err != nil || p != "/opt/x/fourinsight-token-cli" {
		t.Fatalf("findCLI = %q, %v", p, err)
	}
	t.Setenv("FOURINSIGHT_TOKEN_CLI", "")
	t.Setenv("PATH", t.TempDir())
	if _, err := findCLI(); err == nil || !strings.Contains(err.Error(), "go install") {
		t.Fatalf("without the full command line: %v", err)
	}
}

// The front links none of the libraries whose start-up cost it exists to
// avoid, nor the keyring client; the full command line has them all.
func TestFrontLinksNoNetworkOrCLILibraries(t *testing.T) {
	heavy := []string{"net", "net/http", "crypto/tls", "github.com/alecthomas/kong", "golang.org/x/oauth2", "github.com/coreos/go-oidc/v3/oidc", "github.com/99designs/keyring", "github.com/fourinsight-token/fourinsight-token/store/keyring"}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		cmd := exec.Command("go", "list", "-deps", "github.com/fourinsight-token/fourinsight-token/cmd/fourinsight-token")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		deps := strings.Fields(string(out))
		for _, h := range heavy {
			if h == "net" && goos == "windows" {
				continue // golang.org/x/sys/windows (file locks) imports it there
			}
			if slices.Contains(deps, h) {
				t.Errorf("GOOS=%s: the front links %s", goos, h)
			}
		}
	}
}
