// Package broker decides how a token is got: from the cache when it can
// serve, otherwise under the session's lock by refresh, or by a sign-in.
package broker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/flows/urls"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"github.com/fourinsight-token/fourinsight-token/store"
	"golang.org/x/oauth2"
)

// Store keeps one entry per session key (store.File, or the keyring).
type Store interface {
	Load(key string) (*store.Entry, error)
	Save(key string, e *store.Entry) error
	Delete(key string) error
	Keys() ([]string, error)
}

// Locker serialises the work on one session across processes.
type Locker interface {
	Lock(ctx context.Context, key string, waiting func()) (unlock func(), err error)
	// TryLock takes the lock only if it is free at once (ok false when
	// another process holds it): a background refresh never waits.
	TryLock(key string) (unlock func(), ok bool, err error)
}

// Errors a caller maps to exit codes with errors.Is.
var (
	// ErrSignInRequired: only an interactive sign-in could help, and it is
	// not allowed here (exit 3).
	ErrSignInRequired = errors.New("sign-in required")
)

// Broker hands out tokens for sessions of one profile.
type Broker struct {
	Settings profile.Settings
	Store    Store  // nil: --no-store, sign in on every call
	Locks    Locker // may be nil only with a nil Store
	Memory   Memory // failed sign-ins and outages per session; nil keeps none
	Interact Interaction

	MinValid time.Duration // a served token stays valid at least this long
	// DefaultLifetime: how long a token lives when the provider does not
	// say (0: the package's DefaultLifetime).
	DefaultLifetime time.Duration
	LockTimeout     time.Duration
	LoginTimeout    time.Duration
	// RetrySignInAfter: how long a failed interactive sign-in keeps callers
	// without a terminal from starting another (0: not at all).
	RetrySignInAfter time.Duration
	HTTP             flows.HTTPOptions
	Stderr           io.Writer // notices and warnings; never secrets
	Logf             flows.Logf
	// Replace: -f was given, so a sign-in replaces a session made with
	// other settings instead of refusing it.
	Replace bool
	// Missed: the caller already read the entry and found that it cannot
	// serve (the fast front, which hands over to the full command line):
	// Token goes straight to the lock and reads it there, once.
	Missed bool
	// RefreshAhead is the refresh-ahead window (store.AutoRefreshAhead, a
	// fixed length, or 0: off) and StartBackground starts the detached
	// process that runs BackgroundRefresh for a session (nil: none).
	RefreshAhead    time.Duration
	StartBackground func(key string) error

	chosen  *profile.Settings // Settings as resolved for this call; Settings is what is in use
	adopted bool              // Settings are a session's recorded ones
	warned  map[string]bool   // sessions whose corrupt entry was reported

	httpOnce   sync.Once
	httpClient *http.Client
	httpErr    error
	endpoints  *flows.Endpoints
}

func (b *Broker) logf(format string, args ...any) {
	if b.Logf != nil {
		b.Logf(format, args...)
	}
}

func (b *Broker) warn(format string, args ...any) {
	if b.Stderr != nil {
		fmt.Fprintf(b.Stderr, "fourinsight-token: "+format+"\n", args...)
	}
}

// Cached returns the session's entry when it can serve as it is: valid for
// MinValid and made for these settings. It reads one file, takes no lock and
// makes no network call. A nil entry with a nil error means the cache cannot
// serve and Token must do the work.
func (b *Broker) Cached(key string) (*store.Entry, error) {
	if b.Store == nil || b.Missed {
		return nil, nil
	}
	e, err := b.load(key)
	if err != nil || e == nil {
		return nil, err
	}
	d, err := b.decide(key, e)
	if err != nil {
		return nil, err
	}
	left := time.Until(e.ExpiresAt).Round(time.Second)
	if !d.Serve {
		if e.AccessToken != "" {
			b.logf("cache: session %s has %s left, less than --min-valid %s", name(key), left, b.MinValid)
		}
		return nil, nil
	}
	b.logf("cache: session %s valid for %s more; serving it", name(key), left)
	if d.RenewAhead {
		b.renewAhead(key)
	}
	return e, nil
}

// Token returns a token for the session that stays valid for MinValid:
// from the cache if it can serve, else under the session's lock (read again,
// since another process may have done the work meanwhile) by refresh, and by
// a sign-in when there is no refresh token or the provider refused it.
// force skips the cache and the refresh: the Python client's auth_force.
//
// Callers queued on the lock share an outage: when the process that held it
// could not reach the provider, they fail at once with its answer instead of
// each running the whole retry cycle again.
func (b *Broker) Token(ctx context.Context, key string, force bool) (*store.Entry, error) {
	if b.Store == nil {
		return b.signIn(ctx, key, nil, "")
	}
	if !force {
		if e, err := b.Cached(key); e != nil || err != nil {
			return e, err
		}
	}

	queued := time.Now()
	e, unlock, err := b.reread(ctx, key)
	if err != nil {
		return nil, err
	}
	defer unlock()
	d, err := b.decide(key, e)
	if err != nil {
		if !b.Replace || !errors.Is(err, profile.ErrMismatch) {
			return nil, err
		}
		b.logf("cache: replacing session %s, made with other settings (-f)", name(key))
		e = nil
		d, _ = b.decide(key, nil) // no entry, no error
	}
	if !force && d.Serve {
		b.logf("cache: session %s was renewed by another process while we waited", name(key))
		return e, nil
	}
	if err := b.sharedOutage(key, queued); err != nil {
		return nil, err
	}
	refused := ""
	if !force && e != nil && e.RefreshToken != "" {
		fresh, err := b.refresh(ctx, key, e)
		if err == nil {
			return fresh, nil
		}
		if !flows.IsInvalidGrant(err) {
			b.rememberOutage(key, err)
			return nil, err
		}
		refused = fmt.Sprintf("the provider no longer accepts the refresh token of session %s", name(key))
		e.ForgetRefreshToken()
		b.saveOrWarn(key, e)
	}
	return b.signIn(ctx, key, e, refused)
}

// OutageWindow is how long callers share an outage that another process
// found: within it they fail at once with its answer instead of each running
// the whole retry cycle against a provider that is down.
const OutageWindow = 10 * time.Second

// sharedOutage fails a caller when the provider was found unreachable while
// it queued on the lock (since queued), or within OutageWindow before.
func (b *Broker) sharedOutage(key string, queued time.Time) error {
	m := b.memory()
	if m == nil {
		return nil
	}
	o := m.LastOutage(key)
	if o == nil || (o.At.Before(queued) && time.Since(o.At) > OutageWindow) || o.At.After(time.Now().Add(time.Minute)) {
		return nil
	}
	return fmt.Errorf("%w: %s (another fourinsight-token tried %s ago; try again in %s)",
		flows.ErrUnavailable, strings.TrimPrefix(o.Message, flows.ErrUnavailable.Error()+": "), roughly(time.Since(o.At)), roughly(OutageWindow-time.Since(o.At)))
}

// rememberOutage records an unreachable provider for the callers queued on
// the session's lock.
func (b *Broker) rememberOutage(key string, err error) {
	m := b.memory()
	if m == nil || !errors.Is(err, flows.ErrUnavailable) {
		return
	}
	if err := m.RememberOutage(key, store.Outage{At: time.Now().UTC(), Message: err.Error()}); err != nil {
		b.logf("outage: %v", err)
	}
}

// reread takes the session's lock and reads the entry again: whatever
// another process did while this one waited for the lock is in it. The
// caller releases the lock with unlock.
func (b *Broker) reread(ctx context.Context, key string) (e *store.Entry, unlock func(), err error) {
	if unlock, err = b.lock(ctx, key); err != nil {
		return nil, nil, err
	}
	if e, err = b.load(key); err != nil {
		unlock()
		return nil, nil, err
	}
	return e, unlock, nil
}

// lock takes the session's lock within LockTimeout, saying on stderr what it
// waits for when that takes more than a second.
func (b *Broker) lock(ctx context.Context, key string) (func(), error) {
	ctx, cancel := context.WithTimeout(ctx, b.LockTimeout)
	defer cancel()
	var timer *time.Timer
	waiting := func() {
		b.logf("lock: session %s is busy; waiting up to %s", name(key), b.LockTimeout)
		timer = time.AfterFunc(time.Second, func() {
			b.warn("waiting for another fourinsight-token working on session %s (a sign-in may be in progress)…", name(key))
		})
	}
	unlock, err := b.Locks.Lock(ctx, key, waiting)
	if timer != nil {
		timer.Stop()
	}
	if err != nil && cannotWrite(err) {
		// A read-only or foreign cache directory cannot hold a lock file:
		// go on without one rather than fail the caller, whose token
		// cannot be saved either (save says so once).
		b.logf("lock: cannot lock session %s (%v); going on without the lock", name(key), err)
		return func() {}, nil
	}
	return unlock, err
}

// cannotWrite reports an error of a file system that refuses writes.
func cannotWrite(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission)
}

// load reads the session's entry; a corrupt entry is reported and treated as
// absent, so a sign-in replaces it.
func (b *Broker) load(key string) (*store.Entry, error) {
	e, err := b.Store.Load(key)
	switch {
	case err == nil:
		return e, nil
	case errors.Is(err, store.ErrNotFound):
		b.logf("cache: session %s has no entry", name(key))
		return nil, nil
	case errors.Is(err, store.ErrCorrupt):
		if !b.warned[key] { // once per call, though read again under the lock
			b.warn("ignoring the cached session %s: %v; it will be replaced at the next sign-in", name(key), err)
			if b.warned == nil {
				b.warned = map[string]bool{}
			}
			b.warned[key] = true
		}
		return nil, nil
	}
	return nil, err
}

// use sets the settings to use the session's entry with (nil: no entry):
// the call's own, or the ones the session recorded when the call chose no
// provider; an entry made for another provider or client than the one
// chosen is refused (see Settings.ForEntry).
func (b *Broker) use(key string, e *store.Entry) error {
	_, err := b.decide(key, e)
	return err
}

// decide answers "can the cache serve this call?" for e, as the front does
// (profile.Settings.Decide), and puts the settings the entry is used with in
// effect: the ones chosen for the call, or the session's recorded ones.
func (b *Broker) decide(key string, e *store.Entry) (profile.Decision, error) {
	if b.chosen == nil {
		c := b.Settings
		b.chosen = &c
	}
	d, err := b.chosen.Decide(key, e, b.MinValid, b.RefreshAhead, time.Now())
	if err != nil {
		return d, err
	}
	if d.Adopted && !b.adopted {
		id := d.Use.Identity()
		b.logf("cache: session %s was made at %s as client %s and no provider was chosen; using its recorded settings", name(key), id.Provider, id.ClientID)
	}
	if d.Adopted || b.adopted {
		b.endpoints = nil // discovered for other settings
	}
	b.Settings, b.adopted = d.Use, d.Adopted
	return d, nil
}

// refresh trades the entry's refresh token at the endpoint that issued it.
// That endpoint comes from the cache entry, so it must pass the same rules
// as a pasted one before the refresh token and client secret go there. Once
// sent, a signal does not abandon the request: the answer may carry a
// rotated refresh token, and is saved before the process exits.
func (b *Broker) refresh(ctx context.Context, key string, e *store.Entry) (*store.Entry, error) {
	if err := b.Settings.CheckSecret(key); err != nil {
		return nil, err
	}
	ctx, err := b.withHTTP(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := b.oauthConfig(ctx, b.userFlow())
	if err != nil {
		return nil, err
	}
	if e.TokenURL != "" {
		if err := b.checkTokenURL(ctx, key, e.TokenURL); err != nil {
			return nil, err
		}
		cfg.Endpoint.TokenURL = e.TokenURL
	}
	if cfg.Endpoint.TokenURL == "" {
		return nil, fmt.Errorf("%w: session %s has a refresh token but no token_url to use it at; run: fourinsight-token login%s", ErrSignInRequired, name(key), store.SessionArgs(key))
	}
	b.logf("refresh: session %s at %s", name(key), cfg.Endpoint.TokenURL)
	tok, err := flows.Refresh(flows.Committed(ctx), cfg, e.RefreshToken)
	if err != nil {
		return nil, err
	}
	flow := ""
	if e.Meta != nil {
		flow = e.Meta.Flow
	}
	return b.save(key, e, tok, flow, cfg.Endpoint.TokenURL)
}

// checkTokenURL trusts a cached token_url as a pasted endpoint would be
// trusted: https (http only on loopback), no user info, and a host the
// profile trusts, or the token endpoint that the profile's issuer names.
func (b *Broker) checkTokenURL(ctx context.Context, key, raw string) error {
	refuse := func(why string) error {
		return fmt.Errorf("%w: the cache entry of session %s names the token endpoint %s, which %s; its refresh token and the client secret are not sent there. Sign in again (fourinsight-token login%s), or if that host is your provider, add it to the profile's trust_hosts",
			flows.ErrUnsafeEndpoint, name(key), urls.Show(raw), why, store.SessionArgs(key))
	}
	if err := urls.Check(raw); err != nil {
		return refuse("breaks the endpoint rules (" + err.Error() + ")")
	}
	u, _ := url.Parse(raw)
	if flows.HostTrusted(u.Hostname(), b.Settings.TrustedHosts()) {
		return nil
	}
	if b.Settings.Profile.Issuer != "" {
		if ep, err := b.resolveEndpoints(ctx); err == nil && ep.Token == raw {
			return nil
		}
	}
	return refuse("is on a host this profile does not trust")
}

// save merges a token response into the session's entry, keeping the fields
// it does not manage, and writes it (unless --no-store). A token whose
// answer named no lifetime (no expires_in, not a JWT) is taken to live for
// DefaultLifetime.
//
// A write that fails (a full disk, a read-only directory) does not cost the
// caller the token it asked for: it is returned all the same, with one line
// on stderr saying the cache could not be updated.
func (b *Broker) save(key string, prev *store.Entry, tok *oauth2.Token, flow, tokenURL string) (*store.Entry, error) {
	if tok.Expiry.IsZero() {
		tok.Expiry = time.Now().Add(b.defaultLifetime())
		b.logf("token: the provider named no lifetime; taking it as %s (--default-lifetime)", b.defaultLifetime())
	}
	e := merge(prev, tok)
	e.TokenURL = tokenURL
	e.Meta = b.record(flow, tokenURL)
	e.Meta.Subject = subjectOf(e)
	e.Meta.Issued = e.Meta.Updated
	if prev != nil && prev.Meta != nil {
		e.Meta.Background = prev.Meta.Background
	}
	e.Bind()
	if b.Store == nil {
		return e, nil
	}
	b.warnShortLifetime(key, e.ExpiresAt) // with --no-store nothing is cached anyway
	if b.saveOrWarn(key, e) {
		b.logf("cache: saved session %s, valid until %s", name(key), e.ExpiresAt.Format(time.RFC3339))
	}
	return e, nil
}

// record is what an entry keeps about the settings that made it: enough
// to use it again without them, never a secret.
func (b *Broker) record(flow, tokenURL string) *store.Meta {
	s := b.Settings
	p := s.Profile
	id := s.Identity()
	m := &store.Meta{
		Provider: id.Provider, ClientID: id.ClientID, Flow: flow, Profile: p.Name,
		Updated: time.Now().UTC().Truncate(time.Second),
		Issuer:  p.Issuer, AuthURL: p.AuthURL, TokenURL: cmp.Or(p.TokenURL, tokenURL), DeviceAuthURL: p.DeviceAuthURL,
		RevocationURL: p.RevocationURL, SignInURL: p.SignInURL, APIBase: p.APIBase,
		Scopes: b.scopes(!s.ClientFlow()), TrustHosts: slices.Clone(p.TrustHosts),
		Confidential: s.ClientSecret != "",
	}
	if s.ClientFlow() {
		// The service token URL is where a service account signs in again.
		m.TokenURL = cmp.Or(p.ServiceTokenURL, p.TokenURL, tokenURL)
	}
	return m
}

// saveOrWarn writes the entry, or says on stderr why it could not.
func (b *Broker) saveOrWarn(key string, e *store.Entry) bool {
	err := b.Store.Save(key, e)
	if err == nil {
		return true
	}
	lost := ""
	if e.RefreshToken != "" {
		lost = "; if the provider rotated the refresh token, the next call needs a sign-in"
	}
	b.warn("could not update the cached session %s (%s); this run got its token, but it was not saved%s. Fix the cache directory (free space, permissions) or use --cache-dir", name(key), printable.Line(err.Error()), lost)
	return false
}

// DefaultLifetime is how long a token is taken to live when the provider
// says neither expires_in nor a JWT exp claim.
const DefaultLifetime = 10 * time.Minute

func (b *Broker) defaultLifetime() time.Duration {
	if b.DefaultLifetime > 0 {
		return b.DefaultLifetime
	}
	return DefaultLifetime
}

// withHTTP puts the provider HTTP client in ctx for x/oauth2, building it on
// first use so that the cached path never pays for it.
func (b *Broker) withHTTP(ctx context.Context) (context.Context, error) {
	b.httpOnce.Do(func() {
		o := b.HTTP
		if o.Logf == nil {
			o.Logf = b.Logf
		}
		b.httpClient, b.httpErr = flows.NewHTTPClient(o)
		if b.httpErr != nil {
			b.httpErr = fmt.Errorf("%w: %v", profile.ErrConfig, b.httpErr)
		}
	})
	if b.httpErr != nil {
		return ctx, b.httpErr
	}
	return flows.WithClient(ctx, b.httpClient), nil
}

// name renders a session key for messages.
func name(key string) string { return store.SessionName(key) }
