package store

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fourinsight-token/fourinsight-token/internal/kinderr"
	"github.com/fourinsight-token/fourinsight-token/internal/safefile"
)

// ErrOtherStore: the session is kept in the other store (file or keyring)
// than the one asked for; nothing is mixed (exit 2).
var ErrOtherStore = errors.New("session is kept in another store")

// The keyring store (package store/keyring) keeps its entries in the OS
// keyring, but leaves a marker in the cache directory for each session it
// holds, so that the file store says where a session is instead of signing
// in again. The marker holds no secret. The keyring store writes, reads and
// removes it with the methods below; the file store reads it itself (one
// stat, only when it has no entry).

// marker is what the marker file holds: the keyring backend that saved the
// session, as the helper named it ("" when unknown).
type marker struct {
	Backend string `json:"backend"`
}

// markerPath is ".token[.KEY].in-keyring": hidden, and never a name the
// file store or the Python client reads as a session.
func (f File) markerPath(key string) string {
	return filepath.Join(f.Dir, "."+filepath.Base(f.Path(key))+".in-keyring")
}

// MarkInKeyring records that the keyring store holds the session, saved by
// backend. The keyring store calls it after each save.
func (f File) MarkInKeyring(key, backend string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	data, err := json.Marshal(marker{Backend: backend})
	if err != nil {
		return err
	}
	return f.writeAtomic(f.markerPath(key), append(data, '\n'), false)
}

// InKeyring reports whether the session is marked as kept in the keyring,
// and by which backend ("" when the marker does not say). A marker that is
// not a regular file (a symbolic link, a FIFO) is ErrUnsafe.
func (f File) InKeyring(key string) (backend string, marked bool, err error) {
	if err := CheckKey(key); err != nil {
		return "", false, err
	}
	data, err := safefile.Read(f.markerPath(key), markerOptions)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, refused(err, "cannot read the keyring marker")
	}
	var m marker
	json.Unmarshal(data, &m) // an unreadable marker still says "keyring"
	return m.Backend, true, nil
}

// UnmarkInKeyring removes the session's marker, after the keyring store
// forgot the session; a missing marker is no error.
func (f File) UnmarkInKeyring(key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := os.Remove(f.markerPath(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// keyringMarked is the file store's check: ErrOtherStore when the session
// has no file but lives in the keyring.
func (f File) keyringMarked(key string) error {
	backend, ok, err := f.InKeyring(key)
	if !ok {
		return err
	}
	if backend != "" {
		backend = " (" + backend + ")"
	}
	return kinderr.New(ErrOtherStore, "session %s is kept in the keyring%s, not in the file store; use --store keyring (or FOURINSIGHT_STORE=keyring), or move it to the file store: fourinsight-token logout --store keyring%s, then fourinsight-token login --store file%s", SessionName(key), backend, SessionArgs(key), SessionArgs(key))
}
