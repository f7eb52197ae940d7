package store

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestSignInFailureMemory(t *testing.T) {
	for _, key := range []string{"", "ws0"} {
		f := File{Dir: filepath.Join(t.TempDir(), "api")}
		if s, err := f.LastSignInFailure(key); s != nil || err != nil {
			t.Fatalf("%q: fresh cache remembers %v %v", key, s, err)
		}
		at := time.Now().UTC().Truncate(time.Second)
		if err := f.RememberSignInFailure(key, SignInFailure{At: at, Flow: "browser", Reason: "timed out"}); err != nil {
			t.Fatal(err)
		}
		s, err := f.LastSignInFailure(key)
		if err != nil || s == nil || !s.At.Equal(at) || s.Flow != "browser" || s.Reason != "timed out" {
			t.Fatalf("%q: remembered %+v %v", key, s, err)
		}
		if other, _ := f.LastSignInFailure("other"); other != nil {
			t.Errorf("%q: the memory leaks to another session", key)
		}
		matches, _ := filepath.Glob(filepath.Join(f.Dir, ".*signin-failed"))
		if len(matches) != 1 {
			t.Fatalf("markers: %v", matches)
		}
		info, _ := os.Stat(matches[0])
		if info.Mode().Perm() != 0o600 {
			t.Errorf("marker mode %v", info.Mode())
		}
		// Neither the marker nor the lock file is a session.
		unlock, err := f.Lock(t.Context(), key, nil)
		if err != nil {
			t.Fatal(err)
		}
		unlock()
		if err := f.Save(key, &Entry{AccessToken: "a"}); err != nil {
			t.Fatal(err)
		}
		if keys, _ := f.Keys(); !slices.Equal(keys, []string{key}) {
			t.Errorf("Keys() = %q, want only %q", keys, key)
		}
		if err := f.ForgetSignInFailure(key); err != nil {
			t.Fatal(err)
		}
		if s, _ := f.LastSignInFailure(key); s != nil {
			t.Errorf("%q: still remembered after Forget", key)
		}
		if err := f.ForgetSignInFailure(key); err != nil {
			t.Errorf("forgetting twice: %v", err)
		}
	}
}

func TestSignInFailureUnreadableIsNoHint(t *testing.T) {
	f := File{Dir: t.TempDir()}
	os.WriteFile(f.failurePath(""), []byte("{torn"), 0o600)
	if s, err := f.LastSignInFailure(""); s != nil || err != nil {
		t.Errorf("torn marker: %v %v", s, err)
	}
	if err := CheckKey("lock"); err == nil {
		t.Error(`session key "lock" accepted: token.lock is the default session's lock file`)
	}
}
