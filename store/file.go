package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/safefile"
	"github.com/gofrs/flock"
)

// Errors a caller tells apart with errors.Is.
var (
	// ErrNotFound: the session has no entry.
	ErrNotFound = fs.ErrNotExist
	// ErrUnsafe: the cache file or directory could be changed by someone else.
	ErrUnsafe = errors.New("unsafe cache permissions")
	// ErrBadKey: the session key cannot name a cache entry.
	ErrBadKey = errors.New("invalid session key")
	// ErrLockTimeout: another process held the session's lock for too long.
	ErrLockTimeout = errors.New("timed out waiting for another fourinsight-token")
)

// maxEntrySize bounds what is read from a cache file; real entries are a few KiB.
const maxEntrySize = 1 << 20

// validKey reports whether key is 1-64 letters, digits, '.', '_' or '-', starting
// with a letter or digit: the regexp ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$, checked
// by hand because compiling a package-level regexp costs every process about
// a millisecond at start-up, cached get included.
func validKey(key string) bool {
	if len(key) == 0 || len(key) > 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// CheckKey reports whether key can name a session. The empty key is the
// default session. "lock" and keys ending in ".lock" are refused because
// "token.lock" and "token.K.lock" are the lock files of the default session
// and of session K.
func CheckKey(key string) error {
	if key == "" {
		return nil
	}
	if !validKey(key) || strings.HasSuffix(key, ".lock") || key == "lock" {
		return fmt.Errorf("%w %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (not lock, nor ending in .lock)", ErrBadKey, key)
	}
	return nil
}

// SessionName renders a session key for messages: "(default)" for the
// default session.
func SessionName(key string) string {
	if key == "" {
		return "(default)"
	}
	return key
}

// SessionArgs are the arguments that select the session in a suggested
// command, with a leading space ("" for the default session):
// "fourinsight-token login" + SessionArgs(key).
func SessionArgs(key string) string {
	if key == "" {
		return ""
	}
	return " -s " + key
}

// DefaultDir is the Python client's cache directory: ~/.fourinsight/api on
// Linux and Windows (%USERPROFILE%), ~/.config/.fourinsight/api on macOS.
func DefaultDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the home directory for the token cache (set --cache-dir): %w", err)
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, ".config", ".fourinsight", "api"), nil
	}
	return filepath.Join(home, ".fourinsight", "api"), nil
}

// File keeps entries as JSON files in Dir: "token" for the default session
// and "token.KEY" otherwise, the names the Python client uses.
type File struct {
	Dir string
	// Notice receives one-line notices, such as permissions being tightened.
	Notice func(msg string)
}

// Path is the file that holds the session's entry.
func (f File) Path(key string) string {
	if key == "" {
		return filepath.Join(f.Dir, "token")
	}
	return filepath.Join(f.Dir, "token."+key)
}

func (f File) notice(format string, args ...any) {
	if f.Notice != nil {
		f.Notice(fmt.Sprintf(format, args...))
	}
}

// Load reads the session's entry: one open and one read, no lock. A missing
// entry is ErrNotFound, or ErrOtherStore when the keyring store keeps the
// session (one more stat, only when there is no file); content that is not
// JSON is ErrCorrupt. Content that is empty or cut short is read again a
// few times within TornWait first: the Python client rewrites a file in
// place, and a read may land between its truncate and its write.
func (f File) Load(key string) (*Entry, error) {
	deadline := time.Time{}
	for {
		data, err := f.read(key)
		if errors.Is(err, ErrNotFound) {
			if err := f.keyringMarked(key); err != nil {
				return nil, err
			}
		}
		if err != nil {
			return nil, err
		}
		e, err := Decode(data)
		if err == nil {
			return e, nil
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(TornWait)
		}
		if !errors.Is(err, errTorn) || time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: %w", f.Path(key), err)
		}
		time.Sleep(TornWait / 10)
	}
}

// TornWait is how long Load keeps reading an entry that is empty or cut
// short before it reports it as corrupt.
const TornWait = 100 * time.Millisecond

func (f File) read(key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	if err := f.checkDir(); err != nil {
		return nil, err
	}
	path := f.Path(key)
	file, info, err := safefile.Open(path, safefile.Options{NoFollow: true})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotFound
		}
		return nil, refused(err, "cannot read the token cache")
	}
	defer file.Close()
	if err := f.checkMode(path, info, 0o600, file.Chmod); err != nil {
		return nil, err
	}
	data, err := safefile.ReadAll(file, maxEntrySize)
	if errors.Is(err, safefile.ErrTooLarge) {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", path, ErrCorrupt, maxEntrySize)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the token cache: %w", err)
	}
	return data, nil
}

// refused says what to do about a file in the cache directory that
// safefile would not open (a symbolic link, a FIFO, a device); other
// errors are wrapped with what failed.
func refused(err error, what string) error {
	switch {
	case errors.Is(err, safefile.ErrSymlink):
		return fmt.Errorf("%w: %v; replace it with a regular file or remove it", ErrUnsafe, err)
	case errors.Is(err, safefile.ErrNotRegular):
		return fmt.Errorf("%w: %v; remove it", ErrUnsafe, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// checkDir refuses a cache directory that others could write to and tightens
// one that others can read. A missing directory is fine: nothing is cached.
func (f File) checkDir() error {
	info, err := os.Stat(f.Dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("cannot use the token cache directory: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrUnsafe, f.Dir)
	}
	return f.checkMode(f.Dir, info, 0o700, func(m fs.FileMode) error { return os.Chmod(f.Dir, m) })
}

// checkMode applies the permission rules (AccessOf) to one file or
// directory of the cache: writable by others, or owned by another user, is
// refused; readable by them (the Python client writes with the default
// umask) is tightened to want, and so is writable by the owner's own
// private group (the Python client under Debian's umask 002), which no one
// else is in. Writable by a group with other members is refused.
func (f File) checkMode(path string, info fs.FileInfo, want fs.FileMode, chmod func(fs.FileMode) error) error {
	perm := info.Mode().Perm()
	access := AccessOf(info)
	ownGroup := access == WritableByOthers && perm&0o002 == 0 && privateGroup(info)
	switch {
	case access == OtherOwner:
		return fmt.Errorf("%w: %s belongs to another user; remove it or use --cache-dir with a directory of your own", ErrUnsafe, path)
	case access == WritableByOthers && !ownGroup:
		return fmt.Errorf("%w: %s is writable by other users (mode %04o); run: chmod %04o %s", ErrUnsafe, path, perm, want, path)
	case access == ReadableByOthers || ownGroup:
		if err := chmod(want); err != nil {
			return fmt.Errorf("%w: %s is readable by other users and could not be tightened: %v", ErrUnsafe, path, err)
		}
		if ownGroup {
			f.notice("fourinsight-token: %s was writable by your own group (umask 002); tightened to %04o", path, want)
		} else {
			f.notice("fourinsight-token: %s was readable by other users; tightened to %04o", path, want)
		}
	}
	return nil
}

// Access says who besides its owner could change or read a file.
type Access int

const (
	// Private: only its owner, you, can read or change it (or the rules do
	// not apply: Windows protects the profile directory with ACLs).
	Private Access = iota
	// ReadableByOthers: others can read it but not change it.
	ReadableByOthers
	// WritableByOthers: others can change it.
	WritableByOthers
	// OtherOwner: another user owns it, and so can change it.
	OtherOwner
)

// AccessOf applies the permission rules shared by every file that decides
// where secrets go or holds them (cache files and directory, config file):
// its callers refuse OtherOwner and WritableByOthers, and tighten or refuse
// ReadableByOthers.
func AccessOf(info fs.FileInfo) Access {
	if !permissionsApply {
		return Private
	}
	if !ownedByMe(info) {
		return OtherOwner
	}
	switch perm := info.Mode().Perm(); {
	case perm&0o022 != 0:
		return WritableByOthers
	case perm&0o077 != 0:
		return ReadableByOthers
	}
	return Private
}

// Save writes the entry atomically: a temporary file in the same directory,
// fsync, rename. Readers see the old entry or the new one, never a torn one.
func (f File) Save(key string, e *Entry) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	data, err := e.Encode()
	if err != nil {
		return err
	}
	if err := f.writeAtomic(f.Path(key), data, true); err != nil {
		return fmt.Errorf("cannot write the token cache: %w", err)
	}
	return nil
}

// writeAtomic replaces path (in the cache directory, created 0700 and
// checked like any cache directory) with data: a temporary file in the same
// directory, created 0600, then renamed over path, so readers see the old
// content or the new, never a torn one. The temporary file is named after
// path (safefile.TempPrefix), and the leftovers of earlier interrupted writes of path
// go first: callers hold the session's lock. durable adds the fsyncs that make
// the new content survive a crash.
func (f File) writeAtomic(path string, data []byte, durable bool) error {
	if err := f.ensureDir(); err != nil {
		return err
	}
	f.removeLeftovers(filepath.Base(path))
	return safefile.Replace(path, data, durable)
}

func (f File) ensureDir() error {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the token cache directory: %w", err)
	}
	return f.checkDir()
}

// Delete forgets the session, with what interrupted writes of it left. Its
// lock file stays: removing a lock file that another process may be waiting
// on would let two processes in at once.
func (f File) Delete(key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := os.Remove(f.Path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot remove the cached session: %w", err)
	}
	f.removeLeftovers(f.sessionFiles(key)...)
	return nil
}

// Keys lists the sessions that have an entry, the default session as "".
// It also removes the temporary files that interrupted writes left more
// than staleTemp ago (logout --all lists first, so it leaves none behind).
func (f File) Keys() ([]string, error) {
	names, err := os.ReadDir(f.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list the token cache: %w", err)
	}
	var keys []string
	for _, n := range names {
		name := n.Name()
		switch {
		case name == "token":
			keys = append(keys, "")
		case strings.HasPrefix(name, "token.") && !strings.HasSuffix(name, ".lock"): // token.lock is the default session's lock
			if key := name[len("token."):]; CheckKey(key) == nil && n.Type().IsRegular() {
				keys = append(keys, key)
			}
		}
	}
	sort.Strings(keys)
	f.removeLeftovers()
	return keys, nil
}

// Lock takes the session's cross-process lock (token[.KEY].lock), waiting
// until ctx is done; it tries once even when ctx is already done
// (--lock-timeout 0s). waiting is called once if the lock is not free at
// once, so the caller can say why it is waiting. The returned func releases
// it. A wait ended by ctx's deadline is ErrLockTimeout; one ended by
// cancelling ctx (Ctrl-C, SIGTERM) says it was interrupted and is
// errors.Is(err, context.Canceled). A lock file that is a symbolic link or
// not a regular file is ErrUnsafe: nothing is created where a link points.
// Holding the lock, it removes what interrupted writes of the session left.
func (f File) Lock(ctx context.Context, key string, waiting func()) (unlock func(), err error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	if err := f.ensureDir(); err != nil {
		return nil, err
	}
	path := f.Path(key) + ".lock"
	if err := safefile.Check(path, lockOptions); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, refused(err, "cannot lock the token cache")
	}
	l := flock.New(path, flock.SetFlag(safefile.LockFlags), flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err == nil && !ok && ctx.Err() == nil {
		if waiting != nil {
			waiting()
		}
		ok, err = l.TryLockContext(ctx, 25*time.Millisecond)
	}
	if err == nil && !ok {
		err = ctx.Err() // done before the first try
	}
	if err == nil {
		err = lockedRegular(l, path)
	}
	if err != nil {
		l.Close()
		switch {
		case errors.Is(err, context.Canceled):
			return nil, interrupted("interrupted while waiting for another fourinsight-token working on session " + SessionName(key))
		case errors.Is(err, context.DeadlineExceeded):
			return nil, fmt.Errorf("%w on session %q (raise --lock-timeout, or look for a stuck process)", ErrLockTimeout, key)
		case safefile.IsSymlinkErr(err):
			return nil, refused(fmt.Errorf("%s %w", path, safefile.ErrSymlink), "")
		}
		return nil, refused(err, "cannot lock the token cache")
	}
	f.removeLeftovers(f.sessionFiles(key)...)
	return func() { l.Unlock(); l.Close() }, nil
}

// lockOptions: a lock file is a regular file, never reached through a link.
var lockOptions = safefile.Options{NoFollow: true}

// lockedRegular checks the file l opened: a FIFO or device swapped in after
// the check is no lock.
func lockedRegular(l *flock.Flock, path string) error {
	info, err := l.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s %w", path, safefile.ErrNotRegular)
	}
	return nil
}

// interrupted is a wait that a signal ended: its own text, and
// errors.Is(err, context.Canceled).
type interrupted string

func (e interrupted) Error() string { return string(e) }
func (e interrupted) Unwrap() error { return context.Canceled }

// staleTemp is the age after which a temporary file was surely left by an
// interrupted write, whichever session it belongs to: a write takes
// milliseconds.
const staleTemp = 10 * time.Second

// tempTarget reports whether name is a temporary file of a write, and the
// name of the file it was to replace ("" for the ".tmp-N" of earlier
// versions). Cache file names never start with '.', marker names always
// do, so no target's temporary files look like another's.
func tempTarget(name string) (target string, ok bool) {
	i := strings.LastIndex(name, ".tmp-")
	if i < 0 || name[0] != '.' || !digits(name[i+len(".tmp-"):]) {
		return "", false
	}
	if i == 0 {
		return "", true
	}
	return name[1:i], true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// sessionFiles names the files a session writes: its entry and markers.
func (f File) sessionFiles(key string) []string {
	return []string{filepath.Base(f.Path(key)), filepath.Base(f.markerPath(key)), filepath.Base(f.failurePath(key)), filepath.Base(f.outagePath(key))}
}

// removeLeftovers removes the temporary files of interrupted writes (kill -9,
// a crash): they may hold tokens and nothing reads them. Those of targets go
// at any age, since the caller holds the lock under which they are written;
// any other only once older than staleTemp, so that a write of another
// session under way is not disturbed. Failures are ignored: it is
// housekeeping.
func (f File) removeLeftovers(targets ...string) {
	names, err := os.ReadDir(f.Dir)
	if err != nil {
		return
	}
	for _, n := range names {
		target, ok := tempTarget(n.Name())
		if !ok {
			continue
		}
		if target == "" || !slices.Contains(targets, target) {
			info, err := n.Info()
			if err != nil || time.Since(info.ModTime()) < staleTemp {
				continue
			}
		}
		os.Remove(filepath.Join(f.Dir, n.Name()))
	}
}
