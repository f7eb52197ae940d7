package e2e

// The keyring store must cost nothing to those who do not use it: a cached
// get with the file store opens no socket, connects nowhere, takes no lock
// and runs no other program (in particular not the keyring helper, whose
// keyring library dials D-Bus as it starts).

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

var syscallLine = regexp.MustCompile(`^\d+\s+(\w+)\(`)

func TestFileStoreCachedGetMakesNoSocketLockOrExec(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("strace is Linux only")
	}
	needTools(t, "strace")
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	// A keyring helper that leaves a mark if it is ever run, and a D-Bus
	// address that would hang anyone who dialled it.
	mark := filepath.Join(u.Home, "helper-ran")
	fake := filepath.Join(u.Home, "fake-keyring-helper")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\ntouch '"+mark+"'\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	u.Setenv("FOURINSIGHT_KEYRING_HELPER="+fake, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(u.Home, "no-bus"))
	tok := mustOK(t, u.Run("-s", "svc")) // signs in: fills the cache

	for _, args := range [][]string{{"-s", "svc"}, {"-s", "svc", "-o", "json"}, {"get", "-s", "svc", "-o", "header"}} {
		log := filepath.Join(t.TempDir(), "strace.log")
		cmd := exec.Command("strace", append([]string{"-f", "-qq", "-o", log, "-e", "trace=socket,connect,flock,execve", binary}, args...)...)
		cmd.Env = u.Env
		cmd.Dir = u.Home
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v under strace: %v", args, err)
		}
		if !strings.Contains(string(out), tok) {
			t.Fatalf("%v did not print the cached token", args)
		}
		secrets.Secret(strings.TrimSpace(string(out)))
		data, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		execs := 0
		for _, line := range strings.Split(string(data), "\n") {
			m := syscallLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			switch m[1] {
			case "execve":
				execs++ // the binary itself, once
				if execs > 1 || !strings.Contains(line, binary) {
					t.Errorf("%v: a cached get ran another program: %s", args, line)
				}
			default:
				t.Errorf("%v: a cached get made a %s call: %s", args, m[1], line)
			}
		}
		if execs != 1 {
			t.Fatalf("%v: strace saw %d execve calls, want the binary's own (log:\n%s)", args, execs, data)
		}
	}
	if n := p.Count("client_credentials"); n != 1 {
		t.Fatalf("provider saw %d grants, want 1", n)
	}

	// git asks on every operation over https: the front answers it, in one
	// process, from the cache.
	log := filepath.Join(t.TempDir(), "strace.log")
	cmd := exec.Command("strace", "-f", "-qq", "-o", log, "-e", "trace=socket,connect,flock,execve", binary, "-s", "svc", "git-credential", "get")
	cmd.Env, cmd.Dir = u.Env, u.Home
	cmd.Stdin = strings.NewReader("protocol=https\nhost=git.example.com\n\n")
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "password="+tok+"\n") {
		t.Fatalf("git-credential get under strace: %v, %d bytes", err, len(out))
	}
	data, _ := os.ReadFile(log)
	if n := strings.Count(string(data), "execve("); n != 1 {
		t.Fatalf("a cached git-credential get made %d execve calls, want the front's own:\n%s", n, data)
	}
	for _, call := range []string{"socket(", "connect(", "flock("} {
		if strings.Contains(string(data), call) {
			t.Fatalf("a cached git-credential get made a %s call", strings.TrimSuffix(call, "("))
		}
	}

	// Nor does the file store run the helper when the cache cannot serve.
	mustOK(t, u.Run("-s", "svc", "--force"))
	mustOK(t, u.Run("status"))
	mustOK(t, u.Run("logout", "--all"))
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Fatalf("the file store ran the keyring helper: %v", err)
	}
	// The same helper is run for --store keyring: the mark proves the test
	// would see it.
	if r := u.Run("--store", "keyring", "-s", "svc"); r.Code == 0 {
		t.Fatalf("a failing helper served a token: %s", r.Stderr)
	}
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("--store keyring did not run the helper named by FOURINSIGHT_KEYRING_HELPER: %v", err)
	}
}

// A miss reads the entry twice in all, across the front and the full command
// line it hands over to: once without the lock (the front), once under it.
func TestCacheMissReadsTheEntryTwice(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("strace is Linux only")
	}
	needTools(t, "strace")
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	mustOK(t, u.Run("-s", "svc"))
	expire(t, u, "svc")

	log := filepath.Join(t.TempDir(), "strace.log")
	cmd := exec.Command("strace", append([]string{"-f", "-qq", "-o", log, "-e", "trace=open,openat", binary}, "-s", "svc")...)
	cmd.Env = u.Env
	cmd.Dir = u.Home
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("a refreshing get under strace: %v", err)
	}
	secrets.Secret(strings.TrimSpace(string(out)))
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	entry := `"` + u.CachePath("svc") + `"`
	reads := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, entry) && !strings.Contains(line, "O_CREAT") {
			reads++
		}
	}
	if reads != 2 {
		t.Fatalf("a miss opened the entry %d times, want 2 (front, then under the lock):\n%s", reads, data)
	}
	if n := p.Count("client_credentials"); n != 2 {
		t.Fatalf("provider saw %d grants, want 2", n)
	}
}
