package broker

import (
	"context"
	"time"

	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// Refresh ahead: a token served from the cache inside the refresh-ahead
// window (profile.Settings.RenewAhead) is renewed by a detached background
// process, so that no caller waits on the provider. Cached starts it;
// BackgroundRefresh is what that process does.

// AheadLocker is what refresh ahead needs of the Locker (store.File has
// it): the marker that lets one caller per window start the background
// refresh, and the session's lock taken without waiting.
type AheadLocker interface {
	ClaimRefreshAhead(key string, now time.Time) bool
	TryLock(key string) (unlock func(), ok bool, err error)
}

func (b *Broker) aheadLocker() AheadLocker {
	l, _ := b.Locks.(AheadLocker)
	return l
}

// renewAhead starts the session's background refresh when the entry Cached
// serves is inside the window and no other caller started one a moment ago.
// Best effort: the token is served whatever happens here.
func (b *Broker) renewAhead(key string, e *store.Entry) {
	now := time.Now()
	l := b.aheadLocker()
	if b.StartBackground == nil || l == nil || !b.Settings.RenewAhead(e, b.RefreshAhead, now) {
		return
	}
	if !l.ClaimRefreshAhead(key, now) {
		b.logf("refresh-ahead: session %s: a background refresh was started less than %s ago", name(key), store.RefreshAheadRetry)
		return
	}
	if err := b.StartBackground(key); err != nil {
		b.logf("refresh-ahead: cannot start the background refresh: %v", err)
		return
	}
	b.logf("refresh-ahead: session %s is inside the refresh-ahead window; renewing it in the background", name(key))
}

// BackgroundBudget bounds a background refresh: every attempt of the
// retrying HTTP client at --timeout, with room for its waits between them.
func (b *Broker) BackgroundBudget() time.Duration {
	timeout, attempts := b.HTTP.Timeout, b.HTTP.Attempts
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if attempts <= 0 {
		attempts = 3
	}
	return time.Duration(attempts) * (timeout + 10*time.Second)
}

// BackgroundRefresh renews the session if it is still inside the
// refresh-ahead window, with what needs no person — its refresh token, or
// the client credentials of a service account — and never a sign-in. It
// takes the session's lock without waiting (a busy lock means another
// process is at work: nothing to do), reads the entry again, renews it and
// records the outcome in the entry for status. A refused refresh token is
// dropped, as in the foreground; any other failure leaves the token as it
// was. It ends within BackgroundBudget.
func (b *Broker) BackgroundRefresh(ctx context.Context, key string) error {
	l := b.aheadLocker()
	if b.Store == nil || l == nil {
		return nil
	}
	unlock, ok, err := l.TryLock(key)
	if err != nil || !ok {
		b.logf("refresh-ahead: session %s is busy; leaving it to the process at work", name(key))
		return err
	}
	defer unlock()

	e, err := b.load(key)
	if err != nil || e == nil {
		return err
	}
	if err := b.use(key, e); err != nil { // made for other settings: not ours to renew
		return err
	}
	now := time.Now()
	if !b.Settings.RenewAhead(e, b.RefreshAhead, now) {
		b.logf("refresh-ahead: session %s is no longer inside the window (renewed meanwhile)", name(key))
		return nil
	}

	ctx, cancel := context.WithTimeout(ctx, b.BackgroundBudget())
	defer cancel()
	outcome := store.Background{At: now.UTC().Truncate(time.Second), Result: store.BackgroundRenewed}
	prev := withBackground(e, outcome) // saved with the new token on success
	if e.RefreshToken != "" {
		_, err = b.refresh(ctx, key, prev)
	} else if err = b.Settings.CheckSecret(key); err == nil {
		if ctx, err = b.withHTTP(ctx); err == nil {
			_, err = b.clientCredentials(ctx, key, prev)
		}
	}
	if err == nil {
		return nil
	}
	b.rememberOutage(key, err) // as Token does, for callers queued on the lock

	// Record the outcome in our record of the entry. An entry the Python
	// client wrote (or rewrote: our record no longer describes its tokens)
	// has none, and is left as it was, but for a refused refresh token.
	outcome.Result, outcome.Detail = store.BackgroundFailed, printable.Line(err.Error())
	refused := e.RefreshToken != "" && flows.IsInvalidGrant(err)
	if refused {
		outcome.Result = store.BackgroundRefused
		e.ForgetRefreshToken() // as Token does: nobody tries it again
	}
	switch {
	case e.Meta != nil && e.Bound():
		b.saveOrWarn(key, withBackground(e, outcome))
	case refused:
		b.saveOrWarn(key, e)
	}
	return err
}

// withBackground is a copy of e that records the background refresh's
// outcome. An entry whose record lacks the time its token was issued gets
// it now, from its lifetime: saving rewrites expires_in, from which the
// lifetime of such an entry is read.
func withBackground(e *store.Entry, bg store.Background) *store.Entry {
	c := *e
	var m store.Meta
	if e.Meta != nil {
		m = *e.Meta
	}
	if life := e.Lifetime(); m.Issued.IsZero() && life > 0 {
		m.Issued = e.ExpiresAt.Add(-life)
	}
	m.Background = &bg
	c.Meta = &m
	return &c
}
