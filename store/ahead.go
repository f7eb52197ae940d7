package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Refresh ahead: a served token close to its expiry is renewed by a
// background process, so that no caller waits on the provider. This file
// holds what both the fast front and the full command line decide with:
// the window and the marker that lets one caller per window start the work.

// AutoRefreshAhead is the default window: the last third of the token's
// lifetime, at most MaxRefreshAhead. A window of 0 turns refresh ahead off.
const AutoRefreshAhead time.Duration = -1

// MaxRefreshAhead bounds the default window.
const MaxRefreshAhead = 10 * time.Minute

// RefreshAheadRetry is how long after a background refresh was started no
// other is started for the session: it covers the one running, and after a
// failure (an outage) keeps callers from starting one after another.
const RefreshAheadRetry = time.Minute

// Background is the outcome of a session's last background refresh, for
// status. Detail never holds a secret.
type Background struct {
	At     time.Time `json:"at"`
	Result string    `json:"result"` // one of the Background* results
	Detail string    `json:"detail,omitempty"`
}

// Background results.
const (
	BackgroundRenewed = "renewed" // a new token was saved
	BackgroundRefused = "refused" // the refresh token was refused and dropped
	BackgroundFailed  = "failed"  // no answer, or another error: the token was kept
)

// Lifetime is how long the access token was valid for when it was issued:
// from our record (while it describes the tokens the entry holds: the
// Python client keeps it when it rewrites the entry), else from expires_in
// (the Python client stores the token response's), else 0 (unknown).
func (e *Entry) Lifetime() time.Duration {
	if e.Meta != nil && !e.Meta.Issued.IsZero() && e.ExpiresAt.After(e.Meta.Issued) && e.Bound() {
		return e.ExpiresAt.Sub(e.Meta.Issued)
	}
	raw, ok := e.Extra("expires_in")
	if !ok {
		return 0
	}
	s, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || s <= 0 || s > 1e9 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// InRefreshAhead reports whether the token has entered the refresh-ahead
// window before its expiry. ahead is the window: AutoRefreshAhead for a
// third of the lifetime (at most MaxRefreshAhead; MaxRefreshAhead when the
// lifetime is unknown), 0 for never, or a fixed length. It does not say
// whether the token can be served (ValidFor) or renewed without a person.
func (e *Entry) InRefreshAhead(ahead time.Duration, now time.Time) bool {
	if e == nil || ahead == 0 || e.AccessToken == "" || e.ExpiresAt.IsZero() {
		return false
	}
	left := e.ExpiresAt.Sub(now)
	if ahead > 0 {
		return left < ahead
	}
	if left >= MaxRefreshAhead {
		return false // the common case, decided without the lifetime
	}
	window := MaxRefreshAhead
	if life := e.Lifetime(); life > 0 {
		window = min(life/3, MaxRefreshAhead)
	}
	return left < window
}

// aheadPath is the marker beside the session's lock that says a background
// refresh was started. The leading dot keeps it out of Keys and out of the
// Python client's way.
func (f File) aheadPath(key string) string {
	return filepath.Join(f.Dir, "."+filepath.Base(f.Path(key))+".refreshing")
}

// ClaimRefreshAhead reports whether this caller may start the session's
// background refresh: it creates the marker, and only one of many callers
// can. A marker older than RefreshAheadRetry is replaced. Two callers that
// both find it stale may both claim it; the background refresh takes the
// session's lock and reads the entry again, so that costs a process start,
// never a second provider request.
func (f File) ClaimRefreshAhead(key string, now time.Time) bool {
	if CheckKey(key) != nil {
		return false
	}
	path := f.aheadPath(key)
	for range 2 {
		// O_EXCL: fails on anything already there, a symbolic link too.
		file, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			file.Close()
			return true
		}
		if !errors.Is(err, fs.ErrExist) {
			return false
		}
		info, err := os.Lstat(path)
		if err == nil && now.Sub(info.ModTime()) < RefreshAheadRetry {
			return false // one is running, or was tried a moment ago
		}
		if err == nil {
			os.Remove(path)
		}
	}
	return false
}

// TryLock takes the session's lock only if it is free at once: ok is false
// when another process holds it (then it is working on the session, and a
// background refresh has nothing to add). It is Lock, with all its checks,
// given no time to wait.
func (f File) TryLock(key string) (unlock func(), ok bool, err error) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Time{})
	defer cancel()
	unlock, err = f.Lock(ctx, key, nil)
	if errors.Is(err, ErrLockTimeout) {
		return nil, false, nil
	}
	return unlock, err == nil, err
}
