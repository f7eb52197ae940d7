package store

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestInRefreshAhead(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	// ours: an entry we wrote, with the time its token was issued.
	ours := func(life, left time.Duration) *Entry {
		exp := now.Add(left)
		return &Entry{AccessToken: "a", ExpiresAt: exp, Meta: &Meta{Issued: exp.Add(-life)}}
	}
	// python: an entry the Python client wrote, with the response's expires_in.
	python := func(expiresIn string, left time.Duration) *Entry {
		data := `{"access_token":"a","expires_at":` + strconv.FormatInt(now.Add(left).Unix(), 10)
		if expiresIn != "" {
			data += `,"expires_in":` + expiresIn
		}
		e, err := Decode([]byte(data + `}`))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	tests := []struct {
		name  string
		e     *Entry
		ahead time.Duration
		want  bool
	}{
		{"1h token with 30m left: outside the last 10m", ours(time.Hour, 30*time.Minute), AutoRefreshAhead, false},
		{"1h token with 9m left: inside the last 10m", ours(time.Hour, 9*time.Minute), AutoRefreshAhead, true},
		{"1h token with 10m left: at the edge, outside", ours(time.Hour, 10*time.Minute), AutoRefreshAhead, false},
		{"5m token with 2m left: outside the last third", ours(5*time.Minute, 2*time.Minute), AutoRefreshAhead, false},
		{"5m token with 90s left: inside the last third", ours(5*time.Minute, 90*time.Second), AutoRefreshAhead, true},
		{"off", ours(time.Hour, time.Minute), 0, false},
		{"fixed window, inside", ours(time.Hour, 4*time.Minute), 5 * time.Minute, true},
		{"fixed window, outside", ours(time.Hour, 6*time.Minute), 5 * time.Minute, false},
		{"fixed window longer than the 10m cap", ours(time.Hour, 20*time.Minute), 30 * time.Minute, true},
		{"python 1h token, 9m left", python("3599", 9*time.Minute), AutoRefreshAhead, true},
		{"python 5m token, 2m left", python("300", 2*time.Minute), AutoRefreshAhead, false},
		{"python 5m token, 1m left", python("300.0", time.Minute), AutoRefreshAhead, true},
		{"python entry without expires_in: the 10m cap", python("", 9*time.Minute), AutoRefreshAhead, true},
		{"python entry with a strange expires_in: the 10m cap", python(`"soon"`, 9*time.Minute), AutoRefreshAhead, true},
		{"expired", ours(time.Hour, -time.Minute), AutoRefreshAhead, true},
		{"no expiry known", &Entry{AccessToken: "a"}, AutoRefreshAhead, false},
		{"no access token", &Entry{ExpiresAt: now.Add(time.Minute)}, AutoRefreshAhead, false},
		{"no entry", nil, AutoRefreshAhead, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.InRefreshAhead(tt.ahead, now); got != tt.want {
				t.Fatalf("InRefreshAhead = %v, want %v", got, tt.want)
			}
		})
	}
}

// Fifty callers inside the window: one starts the background refresh, and
// nobody else until the marker is older than RefreshAheadRetry.
func TestClaimRefreshAheadOnePerWindow(t *testing.T) {
	f := File{Dir: t.TempDir()}
	var claimed atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if f.ClaimRefreshAhead("ws0", time.Now()) {
				claimed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := claimed.Load(); n != 1 {
		t.Fatalf("%d of 50 callers claimed the background refresh, want 1", n)
	}
	if !f.ClaimRefreshAhead("other", time.Now()) {
		t.Fatal("another session's refresh was blocked")
	}
	if f.ClaimRefreshAhead("ws0", time.Now().Add(RefreshAheadRetry-time.Second)) {
		t.Fatal("claimed again before RefreshAheadRetry passed")
	}
	if !f.ClaimRefreshAhead("ws0", time.Now().Add(RefreshAheadRetry+time.Second)) {
		t.Fatal("a stale marker was not replaced")
	}
	if f.ClaimRefreshAhead("ws0", time.Now()) {
		t.Fatal("the replaced marker did not hold")
	}
	keys, err := f.Keys()
	if err != nil || len(keys) != 0 {
		t.Fatalf("markers listed as sessions: %q %v", keys, err)
	}
}

func TestClaimRefreshAheadRefusesWhatItCannotCreate(t *testing.T) {
	dir := t.TempDir()
	f := File{Dir: dir}
	// A symbolic link planted where the marker goes is never followed.
	target := filepath.Join(dir, "elsewhere")
	if err := os.Symlink(target, f.aheadPath("")); err != nil {
		t.Skip(err)
	}
	if f.ClaimRefreshAhead("", time.Now()) {
		t.Fatal("claimed through a fresh symbolic link")
	}
	if _, err := os.Lstat(target); err == nil {
		t.Fatal("the link was followed")
	}
	if (File{Dir: filepath.Join(dir, "missing")}).ClaimRefreshAhead("", time.Now()) {
		t.Fatal("claimed in a directory that does not exist")
	}
	if f.ClaimRefreshAhead("../x", time.Now()) {
		t.Fatal("claimed for a bad key")
	}
}

func TestTryLock(t *testing.T) {
	f := File{Dir: t.TempDir()}
	unlock, ok, err := f.TryLock("ws0")
	if err != nil || !ok {
		t.Fatalf("a free lock: ok %v, %v", ok, err)
	}
	if _, ok, err := f.TryLock("ws0"); ok || err != nil {
		t.Fatalf("a held lock: ok %v, %v; want busy without an error", ok, err)
	}
	unlock()
	if unlock, ok, err := f.TryLock("ws0"); !ok || err != nil {
		t.Fatalf("after release: ok %v, %v", ok, err)
	} else {
		unlock()
	}
}
