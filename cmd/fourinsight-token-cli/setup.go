package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fourinsight-token/fourinsight-token/broker"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// setup resolves flags, environment and config profile (in that order of
// precedence) into a broker for the session. It does no network work.
func (a *app) setup() (*broker.Broker, string, error) {
	g := a.cli.Globals
	r, err := cliargs.Resolve(g, a.stdin)
	if err != nil {
		return nil, "", err
	}
	// Long waits (a slow provider, a retry) are said on stderr, -v or not.
	notice := func(msg string) { fmt.Fprintln(a.stderr, "fourinsight-token: "+msg) }
	b := &broker.Broker{
		Settings:         r.Settings,
		MinValid:         r.MinValid,
		DefaultLifetime:  r.DefaultLifetime,
		LockTimeout:      r.LockTimeout,
		LoginTimeout:     r.LoginTimeout,
		RetrySignInAfter: r.RetrySignInAfter,
		HTTP:             flows.HTTPOptions{Timeout: r.Timeout, CAFile: r.Settings.Profile.CAFile, Notice: notice},
		Stderr:           a.stderr,
		Replace:          g.Force,
		RefreshAhead:     r.RefreshAhead,
		StartBackground:  a.startBackground(),
	}
	if g.Verbose {
		b.Logf = func(format string, args ...any) {
			fmt.Fprintf(a.stderr, "fourinsight-token: debug: "+format+"\n", args...)
		}
	}
	if g.NoStore {
		return b, r.Key, nil
	}
	file := store.File{Dir: r.Dir, Notice: func(msg string) { fmt.Fprintln(a.stderr, msg) }}
	b.Locks = file
	b.Memory = file
	b.Store = file
	if r.Settings.Profile.Store == "keyring" {
		if b.Store, err = a.keyringStore(r.Dir, b.Logf); err != nil {
			return nil, "", err
		}
	}
	return b, r.Key, nil
}

// interaction says what a sign-in may do here: whether it may start at all,
// who can answer a prompt, and how to open a browser.
func (a *app) interaction(login, allowed bool) broker.Interaction {
	g := a.cli.Globals
	in := broker.Interaction{
		Login:     login,
		Out:       a.stderr,
		NoBrowser: g.NoBrowser,
		// nil where no browser can be opened: no $BROWSER and no desktop
		// session, or an SSH login.
		OpenBrowser: flows.BrowserOpener(),
	}
	in.NotAllowedBecause = a.notInteractive(allowed)
	in.Allowed = in.NotAllowedBecause == ""
	if login && !isTerminal(a.stdin) {
		// login reads the paste package from stdin when it is piped in.
		r := bufio.NewReader(a.stdin)
		in.Prompt = func(ctx context.Context, q string) (string, error) {
			fmt.Fprint(a.stderr, q)
			defer fmt.Fprintln(a.stderr)
			return readLine(ctx, r)
		}
		in.Terminal = true
	} else if tty := openTTY(); tty != nil {
		r := bufio.NewReader(tty)
		in.Prompt = func(ctx context.Context, q string) (string, error) {
			fmt.Fprint(tty, q)
			return readLine(ctx, r)
		}
		in.Terminal = true
	}
	return in
}

// notInteractive says why no sign-in may start in this run, and the way
// out; "" when one may. consumerAllows is false when the consumer said it
// cannot interact (kubectl's interactive: false).
func (a *app) notInteractive(consumerAllows bool) string {
	login := "fourinsight-token login"
	if s := a.cli.Session; s != "" {
		login += " -s " + s
	}
	switch {
	case !consumerAllows:
		return "kubectl runs this credential plugin non-interactively (spec.interactive: false), so nobody can answer a sign-in; sign in first in a terminal: " + login
	case a.cli.NonInteractive:
		return "--non-interactive (or FOURINSIGHT_NON_INTERACTIVE) is set; sign in where a person can answer, without it: " + login
	case ciMode():
		return fmt.Sprintf("CI=%s is set, which makes every run non-interactive; in CI use a service account (FOURINSIGHT_CLIENT_ID and FOURINSIGHT_CLIENT_SECRET or --client-secret-file, --flow client); on your own machine unset CI and run: %s", os.Getenv("CI"), login)
	}
	return ""
}

// readLine reads one answer, giving up when ctx is done.
func readLine(ctx context.Context, r *bufio.Reader) (string, error) {
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := r.ReadString('\n')
		if errors.Is(err, io.EOF) && s != "" {
			err = nil
		}
		ch <- result{s, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case res := <-ch:
		if errors.Is(res.err, io.EOF) {
			return "", fmt.Errorf("%w: nothing was pasted (end of input)", flows.ErrBadPackage)
		}
		return res.s, res.err
	}
}

// ciMode: CI=true implies --non-interactive.
func ciMode() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}
