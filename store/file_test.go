package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"", true}, {"ws0", true}, {"a.b_c-d", true}, {"A", true},
		{string(make([]byte, 64, 64)), false},
		{"x123456789012345678901234567890123456789012345678901234567890123", true}, // 64
		{"x1234567890123456789012345678901234567890123456789012345678901234", false},
		{".hidden", false}, {"-flag", false}, {"a/b", false}, {"../x", false}, {"a b", false},
		{"ws0.lock", false}, {"é", false},
	}
	for _, tt := range tests {
		err := CheckKey(tt.key)
		if (err == nil) != tt.ok {
			t.Errorf("CheckKey(%q) = %v, want ok=%v", tt.key, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadKey) {
			t.Errorf("CheckKey(%q) error is not ErrBadKey", tt.key)
		}
	}
}

func TestSaveLoadKeysDelete(t *testing.T) {
	f := File{Dir: filepath.Join(t.TempDir(), "api")}
	if _, err := f.Load("ws0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: %v", err)
	}
	for _, key := range []string{"", "ws0", "b.c"} {
		if err := f.Save(key, &Entry{AccessToken: "tok-" + key, ExpiresAt: time.Unix(2000000000, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := f.Lock(context.Background(), "ws0", nil) // leaves token.ws0.lock behind
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	os.WriteFile(filepath.Join(f.Dir, "unrelated.txt"), nil, 0o600)

	keys, err := f.Keys()
	if err != nil || !slices.Equal(keys, []string{"", "b.c", "ws0"}) {
		t.Fatalf("Keys = %q, %v", keys, err)
	}
	e, err := f.Load("b.c")
	if err != nil || e.AccessToken != "tok-b.c" {
		t.Fatalf("Load = %+v, %v", e, err)
	}
	if info, _ := os.Stat(f.Path("ws0")); info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", info.Mode().Perm())
	}
	if info, _ := os.Stat(f.Dir); info.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", info.Mode().Perm())
	}
	if err := f.Delete("ws0"); err != nil {
		t.Fatal(err)
	}
	if err := f.Delete("ws0"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
	if _, err := f.Load("ws0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(f.Dir, ".*tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

func TestLockWaitsAndTimesOut(t *testing.T) {
	f := File{Dir: t.TempDir()}
	unlock, err := f.Lock(context.Background(), "ws0", func() { t.Error("a free lock made us wait") })
	if err != nil {
		t.Fatal(err)
	}
	waited := false
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = f.Lock(ctx, "ws0", func() { waited = true })
	if !errors.Is(err, ErrLockTimeout) || !waited {
		t.Fatalf("second lock: err %v, waited %v; want ErrLockTimeout after waiting", err, waited)
	}
	// Another session's lock is independent.
	other, err := f.Lock(context.Background(), "ws1", nil)
	if err != nil {
		t.Fatal(err)
	}
	other()

	done := make(chan error)
	go func() {
		u, err := f.Lock(context.Background(), "ws0", nil)
		if err == nil {
			u()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	unlock()
	if err := <-done; err != nil {
		t.Fatalf("lock after release: %v", err)
	}
}

// The Python client rewrites an entry in place: it truncates the file, then
// writes the JSON. A read that lands in between reads again instead of
// reporting the entry as corrupt (and so asking for a sign-in).
func TestLoadRereadsAnEntryBeingRewrittenInPlace(t *testing.T) {
	f := File{Dir: t.TempDir()}
	full := []byte(`{"access_token":"a","refresh_token":"r","expires_at":2000000000,"token_url":"https://login/t"}`)
	if err := os.WriteFile(f.Path("py"), full, 0o600); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // as json.dump into open(path, "w"), slowly
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			w, err := os.OpenFile(f.Path("py"), os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Error(err)
				return
			}
			time.Sleep(15 * time.Millisecond)
			w.Write(full[:len(full)/2])
			time.Sleep(15 * time.Millisecond)
			w.Write(full[len(full)/2:])
			w.Close()
			time.Sleep(40 * time.Millisecond) // whole until the next refresh
		}
	}()
	defer func() { close(stop); <-done }()
	for i := 0; i < 40; i++ {
		e, err := f.Load("py")
		if err != nil || e.AccessToken != "a" {
			t.Fatalf("read %d during the rewrite: %v", i, err)
		}
		time.Sleep(3 * time.Millisecond)
	}
}

// An entry that stays cut short is reported as corrupt once TornWait is up.
func TestLoadReportsAnEntryThatStaysTorn(t *testing.T) {
	f := File{Dir: t.TempDir()}
	os.WriteFile(f.Path("torn"), []byte(`{"access_token":"a`), 0o600)
	start := time.Now()
	_, err := f.Load("torn")
	if took := time.Since(start); !errors.Is(err, ErrCorrupt) || took < TornWait || took > TornWait+time.Second {
		t.Fatalf("Load = %v after %s, want ErrCorrupt after about %s", err, took, TornWait)
	}
	os.WriteFile(f.Path("list"), []byte(`["not", "an", "entry"]`), 0o600)
	start = time.Now()
	if _, err := f.Load("list"); !errors.Is(err, ErrCorrupt) || time.Since(start) > TornWait/2 {
		t.Fatalf("an entry that is whole but wrong: %v after %s, want ErrCorrupt at once", err, time.Since(start))
	}
}
