package cliargs

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/internal/safefile"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// ErrUsage: the command line itself is wrong (exit 2).
var ErrUsage = errors.New("usage error")

// Built-in defaults, used when neither flag, environment nor profile sets them.
const (
	DefaultMinValid     = time.Minute
	DefaultTimeout      = 30 * time.Second
	DefaultLoginTimeout = 5 * time.Minute
	DefaultLockTimeout  = 5 * time.Minute
	// DefaultRetrySignInAfter: how long an abandoned, denied or timed-out
	// interactive sign-in keeps callers without a terminal from starting
	// another.
	DefaultRetrySignInAfter = 10 * time.Minute
	// DefaultLifetime is how long a token is taken to live when the
	// provider says neither expires_in nor a JWT exp claim.
	DefaultLifetime = 10 * time.Minute
	// DefaultAPITimeout: how long api and proxy wait for the API (the
	// Python client's timeout).
	DefaultAPITimeout = 100 * time.Second
)

// Resolved is what flags, environment and the config profile say for one
// call, in that order of precedence. Resolving reads the config file (and a
// client secret file) but does no network work.
type Resolved struct {
	Key      string
	Settings profile.Settings
	// Dir is the cache directory; empty with --no-store.
	Dir string

	MinValid, Timeout, LoginTimeout, LockTimeout time.Duration
	DefaultLifetime                              time.Duration
	RetrySignInAfter                             time.Duration // 0: no quiet period after a failed sign-in
	// RefreshAhead is the refresh-ahead window: store.AutoRefreshAhead
	// unless set, 0 when turned off.
	RefreshAhead time.Duration
	APITimeout   time.Duration // api and proxy
}

// Resolve resolves the global flags. stdin is read only for
// --client-secret-file -. A nil stdin is the fast front's: it hands every
// failure to the full command line, so it must not read what cannot be read
// twice (stdin, a pipe such as --client-secret-file <(pass show svc)); such
// a config or secret file is ErrPipe instead.
func Resolve(g Globals, stdin io.Reader) (Resolved, error) {
	var r Resolved
	r.Key = g.Session
	if err := store.CheckKey(r.Key); err != nil {
		return r, err
	}
	cfgPath, explicit := g.Config, g.Config != ""
	if !explicit {
		cfgPath = profile.DefaultConfigPath()
	}
	// A stat first, not an open: opening a FIFO's read end, even without
	// reading, lets its writer go on, and the data is lost when the front
	// closes it (TestFilesHandedOverAreBounded). When the stat finds no
	// file (most users have none), there is nothing to open.
	var cfg profile.Config
	missing := false
	if stdin == nil {
		var regular bool
		if missing, regular = statConfig(cfgPath); !missing && !regular {
			return r, ErrPipe
		}
	}
	if !missing || explicit {
		var err error
		if cfg, err = profile.LoadConfig(cfgPath, explicit); err != nil {
			return r, err
		}
	}
	p, err := cfg.Profile(g.Profile)
	if err != nil {
		return r, err
	}
	flagged := profile.Profile{
		Issuer: g.Issuer, AuthURL: g.AuthURL, TokenURL: g.TokenURL, DeviceAuthURL: g.DeviceAuthURL, SignInURL: g.SignInURL,
		ClientID: g.ClientID, Flow: g.Flow, RedirectURL: g.RedirectURL, CacheDir: g.CacheDir, Store: g.Store,
		MinValid: (*profile.Duration)(g.MinValid), Timeout: (*profile.Duration)(g.Timeout),
		LoginTimeout: (*profile.Duration)(g.LoginTimeout), LockTimeout: (*profile.Duration)(g.LockTimeout),
		DefaultLifetime: (*profile.Duration)(g.DefaultLifetime), CAFile: g.CAFile,
		RetrySignInAfter: (*profile.Duration)(g.RetrySignInAfter),
		RefreshAhead:     (*profile.Duration)(g.RefreshAhead),
		APIBase:          g.APIBase, APITimeout: (*profile.Duration)(g.APITimeout),
	}
	// Naming a provider on the built-in profile means another provider:
	// none of 4insight's URLs, clients or trusted hosts apply to it. A
	// sign-in page alone (--signin-url) does not: it is another page of
	// 4insight's (a staging or regional one) for the same client, so the
	// profile stays; the page's host becomes trusted as a pasted endpoint,
	// like every host of the profile's own URLs.
	if p.Name == profile.DefaultProfile && g.Profile == "" && cfg.DefaultProfile == "" &&
		(g.Issuer != "" || g.AuthURL != "" || g.TokenURL != "") {
		p = profile.Profile{Name: profile.CustomProfile}
	}
	p = profile.Overlay(p, flagged)
	p.Scopes = append(p.Scopes, SplitAll(g.Scope)...)
	p.TrustHosts = append(p.TrustHosts, SplitAll(g.TrustHost)...)

	r.Settings = profile.Settings{Profile: p, ClientSecret: p.PublicClientSecret, Chosen: profile.Choice{
		Profile: cmp.Or(g.Profile, cfg.DefaultProfile), ByConfig: g.Profile == "" && cfg.DefaultProfile != "",
		Issuer: g.Issuer, AuthURL: g.AuthURL, TokenURL: g.TokenURL, DeviceAuthURL: g.DeviceAuthURL, SignInURL: g.SignInURL,
		ClientID: g.ClientID, Flow: g.Flow,
	}}
	secret, supplied, err := clientSecret(g, p, stdin)
	if err != nil {
		return r, err
	}
	if supplied {
		r.Settings.ClientSecret, r.Settings.SecretSupplied = secret, true
		r.Settings.SecretGiven = g.ClientSecretFile != "" || SecretEnv(ClientSecretEnv) != ""
	}
	if err := r.Settings.Validate(); err != nil {
		return r, err
	}
	for _, d := range []struct {
		dst     *time.Duration
		set     *profile.Duration
		def     time.Duration
		name    string
		zeroIsA string // what 0 means, or "" when it makes no sense
	}{
		{&r.MinValid, p.MinValid, DefaultMinValid, "min-valid", "serve until expiry"},
		{&r.Timeout, p.Timeout, DefaultTimeout, "timeout", ""},
		{&r.LoginTimeout, p.LoginTimeout, DefaultLoginTimeout, "login-timeout", ""},
		{&r.LockTimeout, p.LockTimeout, DefaultLockTimeout, "lock-timeout", "try once"},
		{&r.DefaultLifetime, p.DefaultLifetime, DefaultLifetime, "default-lifetime", ""},
		{&r.RetrySignInAfter, p.RetrySignInAfter, DefaultRetrySignInAfter, "retry-signin-after", "no quiet period"},
		{&r.RefreshAhead, p.RefreshAhead, store.AutoRefreshAhead, "refresh-ahead", "never refresh ahead"},
		{&r.APITimeout, p.APITimeout, DefaultAPITimeout, "api-timeout", ""},
	} {
		*d.dst = d.def
		if d.set == nil {
			continue
		}
		switch v := time.Duration(*d.set); {
		case v < 0:
			return r, fmt.Errorf("%w: --%s %s is negative; give a duration such as 30s or 5m", ErrUsage, d.name, v)
		case v == 0 && d.zeroIsA == "":
			return r, fmt.Errorf("%w: --%s must be longer than 0s", ErrUsage, d.name)
		default:
			*d.dst = v
		}
	}
	if g.Output == "exec-credential" && r.MinValid < time.Second {
		// Its expirationTimestamp has whole seconds: never one in the past.
		r.MinValid = time.Second
	}
	if g.NoStore {
		return r, nil
	}
	switch p.Store {
	case "", "file", "keyring":
	default:
		return r, fmt.Errorf("%w: unknown store %q (use file or keyring)", profile.ErrConfig, p.Store)
	}
	if r.Dir = p.CacheDir; r.Dir == "" {
		if r.Dir, err = store.DefaultDir(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// ErrPipe: Resolve was not to read stdin or a pipe (see Resolve).
var ErrPipe = errors.New("a pipe is read by the full command line only")

// statConfig reports whether path names nothing, or a regular file:
// anything else is left to the full command line, which says what is wrong.
// It stats, not opens: opening a named FIFO would let its writer start,
// and closing it unread would break its pipe.
func statConfig(path string) (missing, regular bool) {
	info, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist), err == nil && info.Mode().IsRegular()
}

// regularOrMissing reports whether path names a regular file or nothing.
func regularOrMissing(path string) bool {
	missing, regular := statConfig(path)
	return missing || regular
}

// maxSecretSize bounds what is read of a client secret file (or stdin).
const maxSecretSize = 64 << 10

// clientSecret finds a secret the user supplied: --client-secret-file, then
// FOURINSIGHT_CLIENT_SECRET, then the profile's file or inline secret. A
// secret file may be a pipe (--client-secret-file <(pass show svc)); it is
// read without blocking on a pipe nobody writes to, and never past
// maxSecretSize.
func clientSecret(g Globals, p profile.Profile, stdin io.Reader) (string, bool, error) {
	readFile := func(path string) (string, bool, error) {
		var data []byte
		var err error
		if stdin == nil && (path == "-" || !regularOrMissing(path)) {
			return "", false, ErrPipe
		}
		if path == "-" {
			if data, err = safefile.ReadAll(stdin, maxSecretSize); err != nil {
				return "", false, fmt.Errorf("%w: the client secret on stdin: %v", profile.ErrConfig, err)
			}
		} else if data, err = safefile.Read(path, safefile.Options{Max: maxSecretSize, Pipe: true}); err != nil {
			return "", false, fmt.Errorf("%w: cannot read the client secret file: %v", profile.ErrConfig, err)
		}
		s := strings.TrimSpace(string(data))
		if s == "" {
			return "", false, fmt.Errorf("%w: the client secret file %s is empty", profile.ErrConfig, path)
		}
		return s, true, nil
	}
	if f := g.ClientSecretFile; f != "" {
		return readFile(f)
	}
	if s := SecretEnv(ClientSecretEnv); s != "" {
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

// SplitAll splits space-separated values, so that flags and the
// space-separated environment variables read alike.
func SplitAll(vs []string) []string {
	var out []string
	for _, v := range vs {
		out = append(out, strings.Fields(v)...)
	}
	return out
}
