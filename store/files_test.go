package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// A lock wait ends in one of two ways the caller tells apart: a signal
// (the context cancelled) is an interruption, the deadline a timeout; a
// deadline already past still tries the lock once (--lock-timeout 0s).
func TestLockInterruptedOrTimedOut(t *testing.T) {
	f := File{Dir: t.TempDir()}
	held := func(t *testing.T) {
		l := flock.New(f.Path("ws0") + ".lock")
		if ok, err := l.TryLock(); !ok || err != nil {
			t.Fatal("cannot hold the lock:", err)
		}
		t.Cleanup(func() { l.Close() })
	}
	cancelled := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		return ctx
	}
	expired := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		t.Cleanup(cancel)
		return ctx
	}
	tests := []struct {
		name     string
		held     bool
		ctx      func() context.Context
		waits    bool
		err      error
		notErr   error
		saysWhat string
	}{
		{"Ctrl-C while waiting", true, cancelled, true, context.Canceled, ErrLockTimeout, "interrupted while waiting for another fourinsight-token working on session ws0"},
		{"--lock-timeout runs out", true, func() context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, true, ErrLockTimeout, context.Canceled, "raise --lock-timeout"},
		{"--lock-timeout 0s, lock free", false, expired, false, nil, nil, ""},
		{"--lock-timeout 0s, lock held", true, expired, false, ErrLockTimeout, context.Canceled, "raise --lock-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.held {
				held(t)
			}
			waited := false
			unlock, err := f.Lock(tt.ctx(), "ws0", func() { waited = true })
			if tt.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				unlock()
				return
			}
			if !errors.Is(err, tt.err) || errors.Is(err, tt.notErr) || !strings.Contains(err.Error(), tt.saysWhat) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.err, tt.saysWhat)
			}
			if waited != tt.waits {
				t.Errorf("waiting called: %v, want %v", waited, tt.waits)
			}
		})
	}
}

func TestTempTarget(t *testing.T) {
	tests := []struct {
		name   string
		target string
		ok     bool
	}{
		{".token.tmp-123", "token", true},
		{".token.ws0.tmp-42", "token.ws0", true},
		{".token.a.tmp-1.tmp-42", "token.a.tmp-1", true}, // session "a.tmp-1"
		{"..token.ws0.in-keyring.tmp-7", ".token.ws0.in-keyring", true},
		{".tmp-99", "", true}, // earlier versions
		{"token.tmp-1", "", false},
		{".token.tmp-", "", false},
		{".token.tmp-12x", "", false},
		{".token.ws0.signin-failed", "", false},
		{"token.ws0.lock", "", false},
	}
	for _, tt := range tests {
		target, ok := tempTarget(tt.name)
		if target != tt.target || ok != tt.ok {
			t.Errorf("tempTarget(%q) = %q, %v; want %q, %v", tt.name, target, ok, tt.target, tt.ok)
		}
	}
}

// Temporary files of interrupted writes (kill -9 between create and rename)
// hold tokens. Under the session's lock, the next write, the lock itself and
// logout remove the session's at once; the listing that logout --all starts
// with removes everyone's older than a few seconds, and leaves a write of
// another session under way alone.
func TestLeftoversOfInterruptedWrites(t *testing.T) {
	planted := []string{
		".token.ws0.tmp-1",                // ws0, fresh
		"..token.ws0.in-keyring.tmp-2",    // ws0's keyring marker, fresh
		"..token.ws0.signin-failed.tmp-3", // ws0's sign-in marker, fresh
		".token.ws0.tmp-5.tmp-4",          // session "ws0.tmp-5", fresh
		".token.other.tmp-5",              // other, fresh: a write under way
		".tmp-6",                          // earlier version, fresh
		"old:.token.other.tmp-7",          // other, stale
		"old:.tmp-8",                      // earlier version, stale
		"old:.token.tmp-9",                // default session, stale
		".token.ws0.signin-failed",        // not a temporary file
		"token.ws0.lock",                  // not a temporary file
		"old:.token.ws0.tmp-10x",          // not a temporary file
	}
	ws0 := []string{".token.ws0.tmp-1", "..token.ws0.in-keyring.tmp-2", "..token.ws0.signin-failed.tmp-3"}
	stale := []string{".token.other.tmp-7", ".tmp-8", ".token.tmp-9"}
	tests := []struct {
		name string
		do   func(f File) error
		gone []string
	}{
		{"save", func(f File) error { return f.Save("ws0", &Entry{AccessToken: "t"}) }, append([]string{".token.ws0.tmp-1"}, stale...)},
		{"lock", func(f File) error {
			unlock, err := f.Lock(context.Background(), "ws0", nil)
			if err == nil {
				unlock()
			}
			return err
		}, append(slices.Clone(ws0), stale...)},
		{"logout", func(f File) error { return f.Delete("ws0") }, append(slices.Clone(ws0), stale...)},
		{"logout --all lists first", func(f File) error { _, err := f.Keys(); return err }, stale},
		{"sign-in failure remembered", func(f File) error {
			return f.RememberSignInFailure("ws0", SignInFailure{At: time.Now(), Reason: "denied"})
		}, append([]string{"..token.ws0.signin-failed.tmp-3"}, stale...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := File{Dir: filepath.Join(t.TempDir(), "api")}
			os.MkdirAll(f.Dir, 0o700)
			var names []string
			for _, p := range planted {
				name, old := strings.CutPrefix(p, "old:")
				path := filepath.Join(f.Dir, name)
				os.WriteFile(path, []byte(`{"access_token":"half`), 0o600)
				if old {
					then := time.Now().Add(-time.Minute)
					os.Chtimes(path, then, then)
				}
				names = append(names, name)
			}
			if err := tt.do(f); err != nil {
				t.Fatal(err)
			}
			for _, name := range names {
				_, err := os.Lstat(filepath.Join(f.Dir, name))
				if gone := os.IsNotExist(err); gone != slices.Contains(tt.gone, name) {
					t.Errorf("%s: removed = %v, want %v", name, gone, !gone)
				}
			}
		})
	}
}
