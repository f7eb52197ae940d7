package store

import (
	"errors"
	"strings"
	"testing"
)

// A session the keyring store holds is marked in the cache directory, so
// that the file store points there instead of signing in again.
func TestKeyringMarker(t *testing.T) {
	tests := []struct {
		key, backend string
		says         string
	}{
		{"", "secret-service", "session (default) is kept in the keyring (secret-service), not in the file store"},
		{"ws0", "", "session ws0 is kept in the keyring, not in the file store"},
	}
	for _, tt := range tests {
		f := File{Dir: t.TempDir()}
		if err := f.MarkInKeyring(tt.key, tt.backend); err != nil {
			t.Fatal(err)
		}
		if backend, ok, err := f.InKeyring(tt.key); !ok || err != nil || backend != tt.backend {
			t.Fatalf("InKeyring(%q) = %q, %v, %v", tt.key, backend, ok, err)
		}
		_, err := f.Load(tt.key)
		if !errors.Is(err, ErrOtherStore) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "--store keyring") {
			t.Fatalf("file load of a keyring session %q: %v", tt.key, err)
		}
		if keys, err := f.Keys(); err != nil || len(keys) != 0 {
			t.Fatalf("the file store lists %q, %v: markers are not sessions", keys, err)
		}
		if err := f.UnmarkInKeyring(tt.key); err != nil {
			t.Fatal(err)
		}
		if err := f.UnmarkInKeyring(tt.key); err != nil {
			t.Fatalf("unmarking twice: %v", err)
		}
		if _, err := f.Load(tt.key); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after unmarking %q: %v", tt.key, err)
		}
	}
	if err := (File{Dir: t.TempDir()}).MarkInKeyring("bad key", ""); !errors.Is(err, ErrBadKey) {
		t.Fatalf("bad key: %v", err)
	}
}
