package cliargs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
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
	DefaultAPITimeout   = 100 * time.Second
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
	RetrySignInAfter                             time.Duration // 0: the broker's default
}

// Resolve resolves the global flags. stdin is read only for
// --client-secret-file -.
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
	cfg, err := profile.LoadConfig(cfgPath, explicit)
	if err != nil {
		return r, err
	}
	p, err := cfg.Profile(g.Profile)
	if err != nil {
		return r, err
	}
	flagged := profile.Profile{
		Issuer: g.Issuer, AuthURL: g.AuthURL, TokenURL: g.TokenURL, DeviceAuthURL: g.DeviceAuthURL,
		ClientID: g.ClientID, Flow: g.Flow, RedirectURL: g.RedirectURL, CacheDir: g.CacheDir, Store: g.Store,
		MinValid: profile.Duration(g.MinValid), Timeout: profile.Duration(g.Timeout),
		LoginTimeout: profile.Duration(g.LoginTimeout), LockTimeout: profile.Duration(g.LockTimeout), CAFile: g.CAFile,
		RetrySignInAfter: profile.Duration(g.RetrySignInAfter),
		APIBase:          g.APIBase, APITimeout: profile.Duration(g.APITimeout),
	}
	// Naming a provider on the built-in profile means another provider:
	// none of 4insight's URLs, clients or trusted hosts apply to it.
	if p.Name == profile.DefaultProfile && g.Profile == "" && cfg.DefaultProfile == "" &&
		(g.Issuer != "" || g.AuthURL != "" || g.TokenURL != "") {
		p = profile.Profile{Name: "custom"}
	}
	p = profile.Overlay(p, flagged)
	p.Scopes = append(p.Scopes, SplitAll(g.Scope)...)
	p.TrustHosts = append(p.TrustHosts, SplitAll(g.TrustHost)...)

	r.Settings = profile.Settings{Profile: p, ClientSecret: p.PublicClientSecret}
	secret, supplied, err := clientSecret(g, p, stdin)
	if err != nil {
		return r, err
	}
	if supplied {
		r.Settings.ClientSecret, r.Settings.SecretSupplied = secret, true
	}
	if err := r.Settings.Validate(); err != nil {
		return r, err
	}
	r.MinValid = orDefault(p.MinValid, DefaultMinValid)
	r.Timeout = orDefault(p.Timeout, DefaultTimeout)
	r.LoginTimeout = orDefault(p.LoginTimeout, DefaultLoginTimeout)
	r.LockTimeout = orDefault(p.LockTimeout, DefaultLockTimeout)
	r.RetrySignInAfter = time.Duration(p.RetrySignInAfter)
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

// clientSecret finds a secret the user supplied: --client-secret-file, then
// FOURINSIGHT_CLIENT_SECRET, then the profile's file or inline secret.
func clientSecret(g Globals, p profile.Profile, stdin io.Reader) (string, bool, error) {
	readFile := func(path string) (string, bool, error) {
		var data []byte
		var err error
		if path == "-" {
			data, err = io.ReadAll(io.LimitReader(stdin, 64<<10))
		} else {
			data, err = os.ReadFile(path)
		}
		if err != nil {
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

func orDefault(d profile.Duration, def time.Duration) time.Duration {
	if d > 0 {
		return time.Duration(d)
	}
	return def
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
