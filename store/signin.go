package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/safefile"
)

// SignInFailure remembers an interactive sign-in that was abandoned, denied
// or timed out, so that background callers do not open one browser tab
// after another. It never holds a secret.
type SignInFailure struct {
	At     time.Time `json:"at"`
	Flow   string    `json:"flow,omitempty"`
	Reason string    `json:"reason"`
}

// failurePath is the marker beside the session's lock. The leading dot keeps
// it out of Keys and out of the Python client's way.
func (f File) failurePath(key string) string {
	return filepath.Join(f.Dir, "."+filepath.Base(f.Path(key))+".signin-failed")
}

// RememberSignInFailure records that the session's last interactive sign-in
// did not finish. Callers hold the session's lock.
func (f File) RememberSignInFailure(key string, s SignInFailure) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := f.writeAtomic(f.failurePath(key), data, false); err != nil {
		return fmt.Errorf("cannot remember the failed sign-in: %w", err)
	}
	return nil
}

// LastSignInFailure returns the session's remembered failed sign-in, or nil
// when there is none (or the marker cannot be parsed: it is only a hint). A
// marker that is not a regular file (a symbolic link, a FIFO) is ErrUnsafe.
func (f File) LastSignInFailure(key string) (*SignInFailure, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	data, err := safefile.Read(f.failurePath(key), markerOptions)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, refused(err, "cannot read the failed sign-in marker")
	}
	var s SignInFailure
	if json.Unmarshal(data, &s) != nil || s.At.IsZero() {
		return nil, nil
	}
	return &s, nil
}

// markerOptions read the small files beside the entries (markers): regular
// files, no symbolic link, a few KiB.
var markerOptions = safefile.Options{Max: 4096, NoFollow: true}

// ForgetSignInFailure drops the marker, after a successful sign-in.
func (f File) ForgetSignInFailure(key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := os.Remove(f.failurePath(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot clear the failed sign-in marker: %w", err)
	}
	return nil
}
