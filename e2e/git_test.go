package e2e

import (
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// gitUser is a user with a paste sign-in for the session (so a refresh
// token is cached) and a git that reads only the user's own config and
// never prompts.
func gitUser(t *testing.T, session string) (*User, *testop.Provider) {
	t.Helper()
	needTool(t, "git")
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.PasteProfile(p)
	mustOK(t, u.RunInput(PastePackage(t, p), "login", "-s", session))
	u.Env = without(without(without(u.Env, "GIT_ASKPASS"), "SSH_ASKPASS"), "GIT_CONFIG_PARAMETERS")
	u.Setenv("GIT_CONFIG_GLOBAL="+filepath.Join(u.Home, ".gitconfig"), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	return u, p
}

// gitVersion is the installed git's (major, minor).
func gitVersion(t *testing.T) (int, int) {
	t.Helper()
	out, err := exec.Command("git", "version").Output()
	m := regexp.MustCompile(`(\d+)\.(\d+)`).FindStringSubmatch(string(out))
	if err != nil || m == nil {
		t.Fatalf("git version: %q %v", out, err)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return major, minor
}

func gitAtLeast(t *testing.T, major, minor int) bool {
	ma, mi := gitVersion(t)
	return ma > major || ma == major && mi >= minor
}

// attrs reads key=value lines.
func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

func cachedToken(u *User, session string) string {
	s, _ := u.Cache(session)["access_token"].(string)
	return s
}

func cachedExpiry(u *User, session string) string {
	f, _ := u.Cache(session)["expires_at"].(float64)
	return strconv.FormatInt(int64(f), 10)
}

// git credential fill, with the helper that setup git --global configured,
// answers the cached token (and its expiry, where git passes it on);
// git credential reject of that token makes the next fill answer a
// refreshed one; approve (store) and rejecting someone else's password
// change nothing.
func TestGitCredentialFillAndReject(t *testing.T) {
	u, p := gitUser(t, "repo")
	mustOK(t, u.RunTool("", binary, "setup", "git", "--host", "git.example.com", "-s", "repo", "--global"))
	const ask = "protocol=https\nhost=git.example.com\npath=org/repo.git\n\n"

	fill := func() map[string]string {
		t.Helper()
		r := u.RunTool(ask, "git", "credential", "fill")
		if r.Code != 0 {
			t.Fatalf("git credential fill: exit %d: %s", r.Code, r.Stderr)
		}
		return attrs(r.Stdout)
	}
	first := fill()
	if first["password"] == "" || first["password"] != cachedToken(u, "repo") || first["username"] != "fourinsight-token" {
		t.Fatalf("fill answered username %q and a password that is the cached token: %v", first["username"], first["password"] == cachedToken(u, "repo"))
	}
	if gitAtLeast(t, 2, 41) && first["password_expiry_utc"] != cachedExpiry(u, "repo") {
		t.Fatalf("password_expiry_utc %q, want the cached expiry %s", first["password_expiry_utc"], cachedExpiry(u, "repo"))
	}
	// The helper itself, as git runs it, with the username git sent.
	direct := u.RunTool("protocol=https\nhost=git.example.com\nusername=alice\n\n", binary, "-s", "repo", "git-credential", "get")
	if got := attrs(direct.Stdout); direct.Code != 0 || got["username"] != "alice" || got["password"] != first["password"] || got["password_expiry_utc"] != cachedExpiry(u, "repo") {
		t.Fatalf("helper get: exit %d, username %q, expiry %q (want %s): %s", direct.Code, got["username"], got["password_expiry_utc"], cachedExpiry(u, "repo"), direct.Stderr)
	}

	refreshes := p.Count("refresh_token")
	mustOK(t, u.RunTool(ask+"username=fourinsight-token\npassword=not-the-token-we-gave\n\n", "git", "credential", "reject"))
	mustOK(t, u.RunTool("protocol=https\nhost=git.example.com\nusername=fourinsight-token\npassword="+first["password"]+"\n\n", "git", "credential", "approve"))
	if again := fill(); again["password"] != first["password"] || p.Count("refresh_token") != refreshes {
		t.Fatalf("approve, or reject of another password, changed the token (refreshes %d -> %d)", refreshes, p.Count("refresh_token"))
	}

	r := u.RunTool("protocol=https\nhost=git.example.com\nusername=fourinsight-token\npassword="+first["password"]+"\n\n", "git", "credential", "reject")
	mustOK(t, r)
	second := fill()
	if second["password"] == "" || second["password"] == first["password"] {
		t.Fatalf("after reject, fill answered the rejected token again")
	}
	if second["password"] != cachedToken(u, "repo") {
		t.Fatalf("after reject, fill answered a token that is not the cached one")
	}
	if n := p.Count("refresh_token"); n != refreshes+1 {
		t.Fatalf("reject then fill made %d refreshes, want 1", n-refreshes)
	}
	if n := p.Count("authorization_code"); n != 1 {
		t.Fatalf("reject led to a new sign-in (%d codes), want a refresh only", n)
	}
}

// A git that announces capability[]=authtype (2.46+) gets a Bearer
// credential, marked ephemeral, instead of a password.
func TestGitCredentialAuthtype(t *testing.T) {
	u, _ := gitUser(t, "repo")
	r := u.RunTool("capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=git.example.com\nwwwauth[]=Bearer realm=\"x\"\n\n", binary, "-s", "repo", "git-credential", "get")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	want := "capability[]=authtype\nauthtype=Bearer\ncredential=" + cachedToken(u, "repo") + "\nephemeral=1\npassword_expiry_utc=" + cachedExpiry(u, "repo") + "\n"
	if r.Stdout != want {
		t.Fatalf("stdout is not exactly the authtype answer (%d bytes, want %d)", len(r.Stdout), len(want))
	}
	if !gitAtLeast(t, 2, 46) {
		t.Log("git is older than 2.46 (no capability[]=authtype): the authtype answer was checked against the helper only")
		return
	}
	mustOK(t, u.RunTool("", binary, "setup", "git", "--host", "git.example.com", "-s", "repo", "--global"))
	fill := u.RunTool("capability[]=authtype\nprotocol=https\nhost=git.example.com\n\n", "git", "credential", "fill")
	got := attrs(fill.Stdout)
	if fill.Code != 0 || got["authtype"] != "Bearer" || got["credential"] != cachedToken(u, "repo") {
		t.Fatalf("git credential fill with authtype: exit %d, authtype %q: %s", fill.Code, got["authtype"], fill.Stderr)
	}
}

// gitServer serves a bare repository with one commit through
// git http-backend, behind an API that accepts only the current token.
func gitServer(t *testing.T, u *User, session string) (*API, string) {
	t.Helper()
	gitPath := needTool(t, "git")
	root := t.TempDir()
	work := filepath.Join(root, "work")
	env := append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	for _, args := range [][]string{
		{"init", "-q", "--bare", filepath.Join(root, "repo.git")},
		{"init", "-q", work},
		{"-C", work, "commit", "-q", "--allow-empty", "-m", "first"},
		{"-C", work, "push", "-q", filepath.Join(root, "repo.git"), "HEAD:refs/heads/main"},
	} {
		cmd := exec.Command(gitPath, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	backend := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"},
	}
	api := StartAPI(t, u, session, true, backend)
	u.Setenv("GIT_SSL_CAINFO=" + api.CAFile(t))
	return api, api.URL + "/repo.git"
}

// A real git ls-remote over https against git http-backend: git gets a 401,
// asks our helper, and gets in with the token. When the server rejects
// that token (revoked), git fails and erases it through the helper; the
// next ls-remote refreshes and gets in.
func TestGitLsRemoteSmartHTTP(t *testing.T) {
	u, p := gitUser(t, "repo")
	api, repoURL := gitServer(t, u, "repo")
	mustOK(t, u.RunTool("", binary, "setup", "git", "--host", api.Host(), "-s", "repo", "--global"))

	r := u.RunTool("", "git", "ls-remote", repoURL)
	if r.Code != 0 || !strings.Contains(r.Stdout, "refs/heads/main") {
		t.Fatalf("git ls-remote: exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
	}
	first := cachedToken(u, "repo")
	if got := api.Accepted(); len(got) != 1 || got[0] != first {
		t.Fatalf("the server accepted %d tokens, want the cached one", len(got))
	}

	api.Refuse(func(tok string) bool { return tok == first })
	refreshes := p.Count("refresh_token")
	r = u.RunTool("", "git", "ls-remote", repoURL)
	if r.Code == 0 {
		t.Fatalf("git ls-remote succeeded with a refused token")
	}
	if cachedToken(u, "repo") != "" {
		t.Fatalf("git's erase after the 401 did not drop the refused token from the cache")
	}
	r = u.RunTool("", "git", "ls-remote", repoURL)
	if r.Code != 0 || !strings.Contains(r.Stdout, "refs/heads/main") {
		t.Fatalf("git ls-remote after the refresh: exit %d\nstderr: %s", r.Code, r.Stderr)
	}
	if n := p.Count("refresh_token"); n != refreshes+1 {
		t.Fatalf("%d refreshes, want 1", n-refreshes)
	}
	if got := api.Accepted(); len(got) != 2 || got[1] == first {
		t.Fatalf("the server accepted %d distinct tokens, want 2", len(got))
	}
}
