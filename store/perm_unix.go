//go:build unix

package store

import (
	"io/fs"
	"os"
	"syscall"
)

// permissionsApply: Unix modes and owners mean something here.
const permissionsApply = true

func ownedByMe(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Geteuid()
}
