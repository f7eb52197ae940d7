package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// exec runs the command without a shell, with the session's token in the
// variable --env names (replacing a stale one), and exits as it exits.
func TestExecRunsCommandWithToken(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	u.Setenv("FOURINSIGHT_ACCESS_TOKEN=stale-token-from-the-outer-shell")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // stdout; TOKEN stands for the cached token
		wantFile string // content of the file "out"; TOKEN as above
	}{
		{name: "default variable and exit status", args: []string{"exec", "--", "sh", "-c", `printf %s "$FOURINSIGHT_ACCESS_TOKEN" > out; exit 7`}, wantCode: 7, wantFile: "TOKEN"},
		{name: "--env", args: []string{"exec", "--env", "API_TOKEN", "--", "sh", "-c", `printf %s "$API_TOKEN" > out`}, wantFile: "TOKEN"},
		{name: "without --", args: []string{"exec", "sh", "-c", `printf %s "$FOURINSIGHT_ACCESS_TOKEN" > out; exit 1`}, wantCode: 1, wantFile: "TOKEN"},
		{name: "no shell: arguments verbatim", args: []string{"exec", "--", "printf", "%s|", "a b", "$HOME", "*", "-s", "--env"}, wantOut: "a b|$HOME|*|-s|--env|"},
		{name: "stdin passes through", args: []string{"exec", "--", "sh", "-c", `cat > out`}, wantFile: "hello from stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(filepath.Join(u.Home, "out"))
			r := u.RunInput("hello from stdin", append([]string{"-s", "svc"}, tt.args...)...)
			tok := cachedToken(u, "svc")
			if r.Code != tt.wantCode {
				t.Fatalf("exit %d, want %d: %s", r.Code, tt.wantCode, r.Stderr)
			}
			if want := strings.ReplaceAll(tt.wantOut, "TOKEN", tok); r.Stdout != want {
				t.Fatalf("stdout %q, want %q", r.Stdout, want)
			}
			if tt.wantFile != "" {
				got, err := os.ReadFile(filepath.Join(u.Home, "out"))
				if err != nil || string(got) != strings.ReplaceAll(tt.wantFile, "TOKEN", tok) {
					t.Fatalf("the command saw %d bytes (%v), want %q with the cached token", len(got), err, tt.wantFile)
				}
			}
			for _, l := range strings.Split(r.Stderr, "\n") {
				if l != "" && !strings.HasPrefix(l, "fourinsight-token: debug:") {
					t.Fatalf("exec printed on stderr: %q", l)
				}
			}
		})
	}
	if n := p.Count("client_credentials"); n != 1 {
		t.Fatalf("provider saw %d grants, want 1", n)
	}
	r := u.Run("exec", "--", "no-such-command-here")
	if r.Code != 127 || !strings.Contains(problem(t, r), "no-such-command-here: command not found") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
}

// The token is in the child's environment and in nobody's argv.
func TestExecTokenNotInArgv(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc")
	}
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	script := `cat /proc/$$/cmdline > child.argv; cat /proc/$PPID/cmdline > parent.argv; cat /proc/$$/environ > child.env`
	mustOK(t, u.Run("-s", "svc", "exec", "--", "sh", "-c", script))
	tok := cachedToken(u, "svc")
	for name, wantToken := range map[string]bool{"child.argv": false, "parent.argv": false, "child.env": true} {
		data, err := os.ReadFile(filepath.Join(u.Home, name))
		if err != nil || len(data) == 0 {
			t.Fatalf("%s: %v", name, err)
		}
		if has := strings.Contains(string(data), tok); has != wantToken {
			t.Errorf("%s holds the token: %v, want %v", name, has, wantToken)
		}
	}
	parent, _ := os.ReadFile(filepath.Join(u.Home, "parent.argv"))
	if !strings.Contains(string(parent), "exec") {
		t.Fatalf("parent.argv is not fourinsight-token exec: %q", parent)
	}
}

// SIGTERM, SIGINT and SIGHUP sent to fourinsight-token reach the child; the
// child's exit status (from its trap) is ours.
func TestExecForwardsSignals(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	mustOK(t, u.Run("-s", "svc")) // sign in once, outside the timing
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			ready, got := filepath.Join(dir, "ready"), filepath.Join(dir, "got")
			name := map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGINT: "INT", syscall.SIGHUP: "HUP"}[sig]
			script := `trap 'echo ` + name + ` > "$2"; exit 42' ` + name + `; : > "$1"; while :; do sleep 0.05; done`
			cmd := u.Command("-s", "svc", "exec", "--", "sh", "-c", script, "sh", ready, got)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				if _, err := os.Stat(ready); err == nil {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					u.Finish(cmd)
					t.Fatal("the child never started")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan Result, 1)
			go func() { done <- u.Finish(cmd) }()
			var r Result
			select {
			case r = <-done:
			case <-time.After(15 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // its session: us and the child
				<-done
				t.Fatalf("%s did not reach the child: still running after 15s", sig)
			}
			if r.Code != 42 {
				t.Fatalf("exit %d, want the child's 42: %s", r.Code, r.Stderr)
			}
			if data, err := os.ReadFile(got); err != nil || strings.TrimSpace(string(data)) != name {
				t.Fatalf("the child's trap did not run for %s: %q %v", name, data, err)
			}
		})
	}
}

// Without a session and without a terminal, exec exits 3 with one line and
// never runs the command.
func TestExecSignInNeeded(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.PasteProfile(p)
	r := u.Run("-s", "ws0", "exec", "--", "sh", "-c", "touch ran")
	if r.Code != 3 || !strings.Contains(problem(t, r), "fourinsight-token login -s ws0") {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(u.Home, "ran")); err == nil {
		t.Fatal("the command ran without a token")
	}
}
