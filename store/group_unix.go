//go:build unix

package store

import (
	"io/fs"
	"strconv"
	"strings"
	"syscall"

	"github.com/fourinsight-token/fourinsight-token/internal/safefile"
)

// userDB names the account files read to tell a user's private group;
// tests point it at their own.
var userDB = struct{ passwd, group string }{"/etc/passwd", "/etc/group"}

// maxUserDB bounds what is read of each account file.
const maxUserDB = 4 << 20

// privateGroup reports whether the file's group is its owner's own private
// group, as Debian's user-private-group scheme makes one for every user
// (umask 002): the group has exactly one member, the owner, counting both
// the accounts whose primary group it is (passwd) and its listed members
// (group). This is the rule Debian's OpenSSH applies to a group-writable
// authorized_keys. Groups it cannot see in the files (NSS, LDAP) are not
// private. It reads the account files, so it is asked only about a file
// that is group-writable.
func privateGroup(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	gid, uid := strconv.FormatUint(uint64(st.Gid), 10), strconv.FormatUint(uint64(st.Uid), 10)
	owner, primary := "", false
	ok = eachRecord(userDB.passwd, func(f []string) bool { // name:pw:uid:gid:…
		if len(f) < 4 {
			return true
		}
		if f[2] == uid && owner == "" {
			owner = f[0]
		}
		if f[3] == gid {
			if f[2] != uid {
				return false // another account's primary group too
			}
			primary = true
		}
		return true
	})
	if !ok || owner == "" {
		return false
	}
	found, listed := false, false
	ok = eachRecord(userDB.group, func(f []string) bool { // name:pw:gid:member,member
		if len(f) < 4 || f[2] != gid {
			return true
		}
		found = true
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m == "" {
				continue
			}
			if m != owner {
				return false // another member
			}
			listed = true
		}
		return true
	})
	return ok && found && (primary || listed)
}

// eachRecord calls fn with the colon-separated fields of each line of path
// until fn returns false; it reports false then, or when the file cannot be
// read whole within maxUserDB (a member could hide past what was read).
func eachRecord(path string, fn func([]string) bool) bool {
	data, err := safefile.Read(path, safefile.Options{Max: maxUserDB})
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		if !fn(strings.Split(line, ":")) {
			return false
		}
	}
	return true
}
