//go:build !unix

package store

import (
	"fmt"
	"io/fs"
	"os"
)

// permissionsApply: Windows has ACLs, not Unix modes; the profile directory
// is private to the user by default.
const permissionsApply = false

var errSymlink = fmt.Errorf("is a symbolic link")

// openNoFollow refuses a symbolic link, then opens the file.
func openNoFollow(path string) (*os.File, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return nil, errSymlink
	}
	return os.Open(path)
}

func isSymlinkErr(err error) bool { return err == errSymlink }

func ownedByMe(fs.FileInfo) bool { return true }

func syncDir(string) {}

func privateGroup(fs.FileInfo) bool { return false }
