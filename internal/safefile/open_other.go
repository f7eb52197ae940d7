//go:build !unix

package safefile

import (
	"errors"
	"io/fs"
	"os"
)

// LockFlags are the flags for opening (and creating) a lock file. Windows
// has no O_NOFOLLOW; callers check the path with Lstat first.
const LockFlags = os.O_CREATE | os.O_RDONLY

// open refuses a symbolic link when noFollow, and a device, socket or
// directory before opening it (opening CON would wait for typing); Open
// checks the kind again on the open file.
func open(path string, o Options) (*os.File, error) {
	stat := os.Stat
	if o.NoFollow {
		stat = os.Lstat
	}
	info, err := stat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return nil, symlink(path)
	}
	if m := info.Mode(); !m.IsRegular() && m&fs.ModeNamedPipe == 0 {
		return nil, checkKind(path, info, o.Pipe)
	}
	return os.Open(path)
}

// IsSymlinkErr reports whether err is an open refused as a symbolic link.
func IsSymlinkErr(err error) bool { return errors.Is(err, ErrSymlink) }

func waitForWriter(*os.File) error { return nil }
