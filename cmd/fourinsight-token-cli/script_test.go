package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"github.com/fourinsight-token/fourinsight-token/internal/testtool"
	"github.com/gofrs/flock"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestScripts checks the command-line contract (docs and the spec's exit
// codes, stdout for the requested output only, one line on stderr for
// the user) with the scripts in testdata/script, run against the two
// binaries as an install puts them side by side: the fast front
// fourinsight-token, which hands everything it does not serve to
// fourinsight-token-cli by exec.
//
// Each script runs with an empty HOME, a clean environment (no CI, no
// FOURINSIGHT_*), and its own test provider (internal/testop), exported as
// $ISSUER with the service client in $SERVICE_CLIENT_ID and
// $SERVICE_CLIENT_SECRET; $DOWN_URL is a loopback address where nothing
// listens. Besides testscript's commands, scripts have:
//
//	exits N PROG [ARGS...]  run PROG, which must exit with status N
//	stderrlines N           stderr has N lines besides -v's debug lines
//	holdlock FILE           hold FILE's lock (as another fourinsight-token
//	                        would) until the script ends
func TestScripts(t *testing.T) {
	testtool.Need(t, "go")
	bin := buildBinaries(t)
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			if err := os.Mkdir(home, 0o700); err != nil {
				return err
			}
			env.Setenv("HOME", home)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))

			p, err := testop.Start(testop.Options{})
			if err != nil {
				return err
			}
			env.Defer(p.Close)
			env.Setenv("ISSUER", p.Issuer())
			env.Setenv("SERVICE_CLIENT_ID", testop.ServiceClientID)
			env.Setenv("SERVICE_CLIENT_SECRET", testop.ServiceClientSecret)

			down, err := closedAddress()
			if err != nil {
				return err
			}
			env.Setenv("DOWN_URL", "http://"+down)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":       cmdExits,
			"stderrlines": cmdStderrLines,
			"holdlock":    cmdHoldLock,
		},
	})
}

// buildBinaries builds fourinsight-token and fourinsight-token-cli into one
// directory, as an install puts them.
func buildBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "../fourinsight-token", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// closedAddress is a loopback address where nothing listens: a provider
// that is down.
func closedAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// cmdExits runs a program that must exit with the given status; its stdout
// and stderr are then what the stdout and stderr commands check.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %q is not an exit status", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		got = exit.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// debugPrefix starts the lines -v adds to stderr.
const debugPrefix = "fourinsight-token: debug:"

// cmdStderrLines checks how many lines the last command wrote to stderr for
// the user, leaving out -v's debug lines.
func cmdStderrLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: stderrlines N")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("stderrlines: %q is not a number", args[0])
	}
	var lines []string
	for _, l := range strings.Split(ts.ReadFile("stderr"), "\n") {
		if l != "" && !strings.HasPrefix(l, debugPrefix) {
			lines = append(lines, l)
		}
	}
	if len(lines) != want {
		ts.Fatalf("stderr has %d lines for the user, want %d: %q", len(lines), want, lines)
	}
}

// cmdHoldLock takes a lock file as another fourinsight-token working on the
// session would, and keeps it until the script ends.
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdlock FILE")
	}
	path := ts.MkAbs(args[0])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		ts.Fatalf("holdlock: %v", err)
	}
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil || !ok {
		ts.Fatalf("holdlock: cannot lock %s: %v", path, err)
	}
	ts.Defer(func() { l.Unlock(); l.Close() })
}
