package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"

	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// defaultTokenEnv is the variable exec, -o env and -o dotenv use.
const defaultTokenEnv = "FOURINSIGHT_ACCESS_TOKEN"

// isEnvName reports whether s is a portable environment variable name:
// ^[A-Za-z_][A-Za-z0-9_]*$, checked by hand because a package-level regexp
// is compiled at the start of every process, the cached get's included.
func isEnvName(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// childExit is the exit status of the command exec ran, returned as ours.
type childExit int

func (c childExit) Error() string { return fmt.Sprintf("the command exited with status %d", int(c)) }

// asChildExit reports the status of a command exec ran (or could not run,
// which exec has already reported on stderr).
func asChildExit(err error) (int, bool) {
	var c childExit
	if errors.As(err, &c) {
		return int(c), true
	}
	return 0, false
}

// exec runs CMD with a token valid for --min-valid in $NAME. No shell is
// involved and the token is never in the child's argv. Signals that stop
// us (SIGINT, SIGTERM, SIGHUP, SIGQUIT) are passed on to the child; its
// exit status is ours (128+N when a signal N ended it, as shells report).
// A command that cannot be found exits 127, one that cannot be run 126, as
// with env(1).
func (a *app) exec(ctx context.Context) error {
	c := a.cli.Exec
	name := c.Env
	if name == "" {
		name = defaultTokenEnv
	}
	if !isEnvName(name) {
		return fmt.Errorf("%w: --env %q is not an environment variable name (letters, digits, _; not starting with a digit)", errUsage, name)
	}
	args := c.Command
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: name the command to run: fourinsight-token exec -- CMD [ARGS…]", errUsage)
	}
	// Find the command before any sign-in, so a typo costs nothing.
	path, err := exec.LookPath(args[0])
	if errors.Is(err, exec.ErrNotFound) {
		fmt.Fprintf(a.stderr, "fourinsight-token: %s: command not found; check the name and PATH\n", args[0])
		return childExit(127)
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "fourinsight-token: cannot run %s: %s\n", args[0], printable.Line(err.Error()))
		return childExit(126)
	}

	e, key, err := a.token(ctx, false, true)
	if err != nil {
		return err
	}

	cmd := &exec.Cmd{Path: path, Args: args, Stdin: a.stdin, Stdout: a.stdout, Stderr: a.stderr}
	cmd.Env = append(envWithout(os.Environ(), name), name+"="+e.AccessToken)
	a.debugf("exec: running %s with the token of session %s in $%s", path, store.SessionName(key), name)

	sigs := catchSignals()
	defer sigs.stop()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(a.stderr, "fourinsight-token: cannot run %s: %s\n", args[0], printable.Line(err.Error()))
		if errors.Is(err, fs.ErrNotExist) {
			return childExit(127)
		}
		return childExit(126)
	}
	sigs.forward(cmd.Process)
	err = cmd.Wait()
	if cmd.ProcessState == nil {
		return fmt.Errorf("waiting for %s: %w", args[0], err)
	}
	code := exitStatus(cmd.ProcessState)
	a.debugf("exec: %s exited with status %d", args[0], code)
	return childExit(code)
}

// envWithout drops every entry for key (compared as the OS compares names).
func envWithout(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k := kv
		if i := indexEnvSep(kv); i >= 0 {
			k = kv[:i]
		}
		if !sameEnvKey(k, key) {
			out = append(out, kv)
		}
	}
	return out
}

// indexEnvSep finds the "=" after the name; on Windows a name may start
// with "=" (the per-drive working directories, "=C:=C:\x").
func indexEnvSep(kv string) int {
	for i := 1; i < len(kv); i++ {
		if kv[i] == '=' {
			return i
		}
	}
	return -1
}
