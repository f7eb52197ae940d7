package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker"
	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/store/keyring"
	"golang.org/x/term"
)

// keyringStore is the --store keyring store: entries in the OS keyring
// through the fourinsight-token-keyring helper, locks and markers in dir.
// Nothing here runs the helper; the first Load does.
func (a *app) keyringStore(dir string, logf flows.Logf) (*keyring.Store, error) {
	g := a.cli.Globals
	if err := keyring.CheckBackend(g.KeyringBackend); err != nil {
		return nil, fmt.Errorf("%w: %v", profile.ErrConfig, err)
	}
	k := &keyring.Store{Backend: g.KeyringBackend, Dir: dir, Logf: logf, EnvPassword: cliargs.SecretEnv(cliargs.KeyringPasswordEnv)}
	if v := os.Getenv("FOURINSIGHT_KEYRING_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%w: FOURINSIGHT_KEYRING_TIMEOUT=%q is not a duration such as 5s", profile.ErrConfig, v)
		}
		k.Timeout = d
	}
	interactive := !g.NonInteractive && !ciMode()
	k.Password = func(prompt string, confirm bool) (string, error) {
		if !interactive {
			return "", needInput("the encrypted keyring file needs its password and prompting is off (--non-interactive or CI); set FOURINSIGHT_KEYRING_PASSWORD")
		}
		tty := openTTY()
		if tty == nil {
			return "", needInput("the encrypted keyring file needs its password and there is no terminal to ask on; set FOURINSIGHT_KEYRING_PASSWORD")
		}
		defer tty.Close()
		var out io.Writer = tty
		if runtime.GOOS == "windows" {
			out = a.stderr // CONIN$ reads only
		}
		pw, err := readPassword(tty, out, prompt+": ")
		if err != nil || !confirm {
			return pw, err
		}
		again, err := readPassword(tty, out, "Repeat the new password: ")
		if err != nil {
			return "", err
		}
		if again != pw {
			return "", fmt.Errorf("%w: the two passwords differ; nothing was saved", keyring.ErrUnusable)
		}
		return pw, nil
	}
	return k, nil
}

func readPassword(tty *os.File, out io.Writer, prompt string) (string, error) {
	fmt.Fprint(out, prompt)
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(out)
	if err != nil {
		return "", fmt.Errorf("reading the keyring password: %w", err)
	}
	return string(b), nil
}

// needInput is a prompt that cannot be shown here: exit 3, like a sign-in
// that is not allowed, with its own words.
type needInput string

func (e needInput) Error() string        { return string(e) }
func (e needInput) Is(target error) bool { return target == broker.ErrSignInRequired }
