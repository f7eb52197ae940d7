//go:build !unix

package safefile

import (
	"errors"
	"os"
)

// LockFlags are the flags for opening (and creating) a lock file. Windows
// has no O_NOFOLLOW; callers check the path with Lstat first.
const LockFlags = os.O_CREATE | os.O_RDONLY

// open checks path before opening it: a symbolic link when o.NoFollow, and
// a device, socket or directory (opening CON would wait for typing). Open
// checks the kind again on the open file.
func open(path string, o Options) (*os.File, error) {
	if err := Check(path, o); err != nil {
		return nil, err
	}
	return os.Open(path)
}

// IsSymlinkErr reports whether err is an open refused as a symbolic link.
func IsSymlinkErr(err error) bool { return errors.Is(err, ErrSymlink) }

func waitForWriter(*os.File) error { return nil }
