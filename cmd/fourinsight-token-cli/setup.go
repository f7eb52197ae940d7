package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// Built-in defaults, used when neither flag, environment nor profile sets them.
const (
	defaultMinValid     = time.Minute
	defaultTimeout      = 30 * time.Second
	defaultLoginTimeout = 5 * time.Minute
	defaultLockTimeout  = 5 * time.Minute
)

// setup resolves flags, environment and config profile (in that order of
// precedence) into a broker for the session. It does no network work.
func (a *app) setup() (*broker.Broker, string, error) {
	g := a.cli.Globals
	key := g.Session
	if err := store.CheckKey(key); err != nil {
		return nil, "", err
	}
	cfgPath, explicit := g.Config, g.Config != ""
	if !explicit {
		cfgPath = broker.DefaultConfigPath()
	}
	cfg, err := broker.LoadConfig(cfgPath, explicit)
	if err != nil {
		return nil, "", err
	}
	p, err := cfg.Profile(g.Profile)
	if err != nil {
		return nil, "", err
	}
	flagged := broker.Profile{
		Issuer: g.Issuer, AuthURL: g.AuthURL, TokenURL: g.TokenURL, DeviceAuthURL: g.DeviceAuthURL,
		ClientID: g.ClientID, Flow: g.Flow, RedirectURL: g.RedirectURL, CacheDir: g.CacheDir, Store: g.Store,
		MinValid: broker.Duration(g.MinValid), Timeout: broker.Duration(g.Timeout),
		LoginTimeout: broker.Duration(g.LoginTimeout), LockTimeout: broker.Duration(g.LockTimeout), CAFile: g.CAFile,
		RetrySignInAfter: broker.Duration(g.RetrySignInAfter),
	}
	// Naming a provider on the built-in profile means another provider:
	// none of 4insight's URLs, clients or trusted hosts apply to it.
	if p.Name == broker.DefaultProfile && g.Profile == "" && cfg.DefaultProfile == "" &&
		(g.Issuer != "" || g.AuthURL != "" || g.TokenURL != "") {
		p = broker.Profile{Name: "custom"}
	}
	p = broker.Overlay(p, flagged)
	p.Scopes = append(p.Scopes, splitAll(g.Scope)...)
	p.TrustHosts = append(p.TrustHosts, splitAll(g.TrustHost)...)

	settings := broker.Settings{Profile: p, ClientSecret: p.PublicClientSecret}
	secret, supplied, err := a.clientSecret(p)
	if err != nil {
		return nil, "", err
	}
	if supplied {
		settings.ClientSecret, settings.SecretSupplied = secret, true
	}
	if err := settings.Validate(); err != nil {
		return nil, "", err
	}

	b := &broker.Broker{
		Settings:     settings,
		MinValid:     orDefault(p.MinValid, defaultMinValid),
		LockTimeout:  orDefault(p.LockTimeout, defaultLockTimeout),
		LoginTimeout: orDefault(p.LoginTimeout, defaultLoginTimeout),
		HTTP:         flows.HTTPOptions{Timeout: orDefault(p.Timeout, defaultTimeout), CAFile: p.CAFile},
		Stderr:       a.stderr,
	}
	b.RetrySignInAfter = orDefault(p.RetrySignInAfter, broker.DefaultRetrySignInAfter)
	if g.Verbose {
		b.Logf = func(format string, args ...any) {
			fmt.Fprintf(a.stderr, "fourinsight-token: debug: "+format+"\n", args...)
		}
	}
	if g.NoStore {
		return b, key, nil
	}
	dir := p.CacheDir
	if dir == "" {
		if dir, err = store.DefaultDir(); err != nil {
			return nil, "", err
		}
	}
	file := store.File{Dir: dir, Notice: func(msg string) { fmt.Fprintln(a.stderr, msg) }}
	b.Locks = file
	switch p.Store {
	case "", "file":
		b.Store = file
	case "keyring":
		if b.Store, err = a.keyringStore(dir, b.Logf); err != nil {
			return nil, "", err
		}
	default:
		return nil, "", fmt.Errorf("%w: unknown store %q (use file or keyring)", broker.ErrConfig, p.Store)
	}
	return b, key, nil
}

// clientSecret finds a secret the user supplied: --client-secret-file, then
// FOURINSIGHT_CLIENT_SECRET, then the profile's file or inline secret.
func (a *app) clientSecret(p broker.Profile) (string, bool, error) {
	readFile := func(path string) (string, bool, error) {
		var data []byte
		var err error
		if path == "-" {
			data, err = io.ReadAll(io.LimitReader(a.stdin, 64<<10))
		} else {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			return "", false, fmt.Errorf("%w: cannot read the client secret file: %v", broker.ErrConfig, err)
		}
		s := strings.TrimSpace(string(data))
		if s == "" {
			return "", false, fmt.Errorf("%w: the client secret file %s is empty", broker.ErrConfig, path)
		}
		return s, true, nil
	}
	if f := a.cli.ClientSecretFile; f != "" {
		return readFile(f)
	}
	if s := os.Getenv("FOURINSIGHT_CLIENT_SECRET"); s != "" {
		return s, true, nil
	}
	if p.ClientSecretFile != "" {
		return readFile(p.ClientSecretFile)
	}
	if p.ClientSecret != "" {
		return p.ClientSecret, true, nil
	}
	return "", false, nil
}

// interaction says what a sign-in may do here: whether it may start at all,
// who can answer a prompt, and how to open a browser.
func (a *app) interaction(login, allowed bool) broker.Interaction {
	g := a.cli.Globals
	in := broker.Interaction{
		Allowed:   allowed && !g.NonInteractive && !ciMode(),
		Login:     login,
		Out:       a.stderr,
		NoBrowser: g.NoBrowser,
		// nil where no browser can be opened: no $BROWSER and no desktop
		// session, or an SSH login.
		OpenBrowser: flows.BrowserOpener(),
	}
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

func orDefault(d broker.Duration, def time.Duration) time.Duration {
	if d > 0 {
		return time.Duration(d)
	}
	return def
}

// splitAll splits space-separated values, so that flags and the
// space-separated environment variables read alike.
func splitAll(vs []string) []string {
	var out []string
	for _, v := range vs {
		out = append(out, strings.Fields(v)...)
	}
	return out
}
