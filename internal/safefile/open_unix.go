//go:build unix

package safefile

import (
	"errors"
	"os"
	"syscall"
)

// LockFlags are the flags for opening (and creating) a lock file: no
// symbolic link followed, no wait on a FIFO or device.
const LockFlags = os.O_CREATE | os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_NOCTTY

// open opens path read-only with O_NONBLOCK (a FIFO without a writer or a
// device cannot hang the open), O_NOCTTY, and O_NOFOLLOW when o.NoFollow.
func open(path string, o Options) (*os.File, error) {
	flags := os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY
	if o.NoFollow {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flags, 0)
	if o.NoFollow && errors.Is(err, syscall.ELOOP) {
		return nil, symlink(path)
	}
	return f, err
}

// IsSymlinkErr reports whether err is an open refused by O_NOFOLLOW.
func IsSymlinkErr(err error) bool {
	return errors.Is(err, ErrSymlink) || errors.Is(err, syscall.ELOOP)
}

// waitForWriter makes reads of a pipe wait for its writer: opened
// non-blocking, a read before the writer has written would fail with
// EAGAIN where Go does not poll the pipe (macOS). A pipe without any writer
// still reads as empty at once.
func waitForWriter(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
