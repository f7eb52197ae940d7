//go:build unix

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"github.com/gofrs/flock"
)

// fifo makes a named pipe in the user's home. With content, a writer
// waits for a reader and delivers it, as `pass show svc` does behind
// <(pass show svc); without, nobody ever writes.
func (u *User) fifo(name string, content string) string {
	u.t.Helper()
	path := filepath.Join(u.Home, name)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		u.t.Skip("no FIFOs here:", err)
	}
	if content != "" {
		go func() {
			w, err := os.OpenFile(path, os.O_WRONLY, 0) // waits for the reader
			if err == nil {
				w.WriteString(content)
				w.Close()
			}
		}()
		u.t.Cleanup(func() { // a writer still waiting is let go
			if r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
				r.Close()
			}
		})
	}
	return path
}

// Every file a user hands the tool is read without blocking and with a cap:
// what cannot be a config or secret file is one line and exit 2 at once,
// never a hang or an out-of-memory crash; a pipe that delivers still works.
func TestFilesHandedOverAreBounded(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	tests := []struct {
		name    string
		args    func(u *User) []string
		problem string // "" : served
	}{
		{"config in a FIFO nobody writes to", func(u *User) []string {
			return []string{"--config", u.fifo("config.json", "")}
		}, "is empty"},
		{"config /dev/zero", func(u *User) []string {
			return []string{"--config", "/dev/zero"}
		}, "/dev/zero is a character device, not a regular file or a pipe"},
		{"config writable by others", func(u *User) []string {
			path := u.writeFile("config.json", `{"profiles":{}}`)
			os.Chmod(path, 0o666)
			return []string{"--config", path}
		}, "is writable by other users (mode 0666), and it decides where secrets are sent; run: chmod go-w"},
		{"client secret file /dev/zero", func(u *User) []string {
			return []string{"--client-secret-file", "/dev/zero"}
		}, "/dev/zero is a character device, not a regular file or a pipe"},
		{"client secret in a FIFO nobody writes to", func(u *User) []string {
			return []string{"--client-secret-file", u.fifo("secret", "")}
		}, "is empty"},
		{"client secret from <(pass show svc)", func(u *User) []string {
			return []string{"--client-secret-file", u.fifo("secret", testop.ServiceClientSecret+"\n")}
		}, ""},
		{"config from <(make-config)", func(u *User) []string {
			return []string{"--config", u.fifo("config.json", `{"profiles":{"svc":{"client_id":"`+testop.ServiceClientID+`"}}}`), "--profile", "svc"}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := NewUser(t)
			u.ServiceAccount(p)
			start := time.Now()
			r := u.Run(append([]string{"-s", "svc"}, tt.args(u)...)...)
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %s", took)
			}
			if tt.problem == "" {
				if tok := mustOK(t, r); tok == "" {
					t.Fatal("no token")
				}
				return
			}
			if line := problem(t, r); r.Code != 2 || !strings.Contains(line, tt.problem) {
				t.Fatalf("exit %d, %q; want exit 2 saying %q", r.Code, line, tt.problem)
			}
		})
	}
}

// A lock file that is a symbolic link is refused, and nothing is created or
// changed where it points.
func TestSymlinkedLockFileRefused(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	for _, existing := range []bool{false, true} {
		name := "to nothing"
		if existing {
			name = "to a file"
		}
		t.Run(name, func(t *testing.T) {
			u := NewUser(t)
			u.ServiceAccount(p)
			os.MkdirAll(u.CacheDir, 0o700)
			target := filepath.Join(u.Home, "elsewhere")
			if existing {
				os.WriteFile(target, []byte("keep me"), 0o644)
			}
			os.Symlink(target, u.CachePath("svc")+".lock")
			r := u.Run("-s", "svc")
			if line := problem(t, r); r.Code != 2 || !strings.Contains(line, "token.svc.lock is a symbolic link") {
				t.Fatalf("exit %d: %s", r.Code, line)
			}
			data, err := os.ReadFile(target)
			switch {
			case !existing && !os.IsNotExist(err):
				t.Fatalf("a file was created where the link points: %v", err)
			case existing && string(data) != "keep me":
				t.Fatalf("the link's target changed: %q, %v", data, err)
			}
			if p.Count("token") != 0 {
				t.Error("the provider was asked for a token")
			}
		})
	}
}

// lockedBuffer is a stderr that the test can read while the process writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// SIGTERM (a CI job cancelled, systemd stopping a service) ends a process
// waiting for a session's lock at once, not when --lock-timeout runs out,
// and it says it was interrupted, not that it timed out.
func TestSIGTERMEndsALockWait(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	os.MkdirAll(u.CacheDir, 0o700)
	held := flock.New(u.CachePath("svc") + ".lock")
	if err := held.Lock(); err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()

	cmd := u.Command("-s", "svc", "--lock-timeout", "5m")
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), "is busy; waiting"); {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("never waited for the lock:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	took := time.Since(start)
	r := Result{Stdout: cmd.Stdout.(*bytes.Buffer).String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	}
	secrets.stderr(t.Name(), r.Stderr)
	if took > 5*time.Second {
		t.Errorf("took %s to end after SIGTERM", took)
	}
	line := problem(t, r)
	if r.Code != 128+int(syscall.SIGTERM) || !strings.Contains(line, "stopped by SIGTERM") ||
		!strings.Contains(line, "interrupted while waiting for another fourinsight-token working on session svc") {
		t.Fatalf("exit %d, %q; want 143 and a line that says it was interrupted while waiting", r.Code, line)
	}
	if p.Count("token") != 0 {
		t.Error("the provider was asked for a token")
	}
}

// A process killed between writing a temporary file and renaming it (kill
// -9, a power cut) leaves a file holding tokens. The next write of that
// session, its logout, and logout --all remove them.
func TestLeftoverTempFilesRemoved(t *testing.T) {
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	os.MkdirAll(u.CacheDir, 0o700)
	plant := func(name string, old bool) string {
		path := filepath.Join(u.CacheDir, name)
		os.WriteFile(path, []byte(`{"access_token":"half-written`), 0o600)
		if old {
			then := time.Now().Add(-time.Minute)
			os.Chtimes(path, then, then)
		}
		return path
	}
	left := func(t *testing.T, paths ...string) {
		t.Helper()
		for _, path := range paths {
			if _, err := os.Lstat(path); !os.IsNotExist(err) {
				t.Errorf("%s is still there", filepath.Base(path))
			}
		}
	}

	t.Run("the next sign-in", func(t *testing.T) {
		own, older := plant(".token.svc.tmp-123", false), plant(".tmp-456", true)
		mustOK(t, u.Run("-s", "svc"))
		left(t, own, older)
	})
	t.Run("the next refresh", func(t *testing.T) {
		own := plant(".token.svc.tmp-124", false)
		mustOK(t, u.Run("-s", "svc", "--force"))
		left(t, own)
	})
	t.Run("logout", func(t *testing.T) {
		own := plant(".token.svc.tmp-125", false)
		mustOK(t, u.Run("logout", "-s", "svc"))
		left(t, own)
	})
	t.Run("logout --all", func(t *testing.T) {
		mustOK(t, u.Run("-s", "ws0"))
		plant(".token.ws0.tmp-126", false)
		plant(".token.gone.tmp-127", true) // a session with no entry
		plant(".tmp-128", true)            // an earlier version's
		mustOK(t, u.Run("logout", "--all"))
		if all, _ := filepath.Glob(filepath.Join(u.CacheDir, ".*tmp-*")); len(all) != 0 {
			t.Fatalf("left behind: %v", all)
		}
	})
}
