//go:build unix

package store

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Under Debian's user-private-group umask 002 the Python client leaves the
// cache directory 0775 and the file 0664. That is safe when the group is the
// user's own (no one else in it): accepted and tightened with a notice.
// Writable by a group with other members is refused with the chmod to run.
func TestUmask002PrivateGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the cache files another group")
	}
	me := os.Geteuid()
	db := t.TempDir()
	passwd := filepath.Join(db, "passwd")
	group := filepath.Join(db, "group")
	os.WriteFile(passwd, []byte(strings.Join([]string{
		"# accounts",
		"alice:x:" + itoa(me) + ":4242:Alice:/home/alice:/bin/sh",
		"bob:x:1001:4300::/home/bob:/bin/sh",
		"carol:x:1002:4301::/home/carol:/bin/sh",
	}, "\n")+"\n"), 0o644)
	os.WriteFile(group, []byte(strings.Join([]string{
		"alice:x:4242:",          // alice's private group
		"solo:x:4250:alice",      // only alice, as a listed member
		"staff:x:4300:alice,bob", // shared
		"carols:x:4301:",         // carol's: alice is not in it
		"crowd:x:4302:bob",       // another user's
	}, "\n")+"\n"), 0o644)
	saved := userDB
	userDB.passwd, userDB.group = passwd, group
	t.Cleanup(func() { userDB = saved })

	tests := []struct {
		name   string
		gid    int
		accept bool
	}{
		{"the user's private group", 4242, true},
		{"a group whose only member is the user", 4250, true},
		{"a shared group", 4300, false},
		{"another user's primary group", 4301, false},
		{"a group with another member", 4302, false},
		{"a group the account files do not know", 4999, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var notices []string
			f := File{Dir: filepath.Join(t.TempDir(), "api"), Notice: func(m string) { notices = append(notices, m) }}
			os.Mkdir(f.Dir, 0o775)
			os.WriteFile(f.Path("py"), []byte(`{"access_token":"a","expires_at":2000000000}`), 0o664)
			for _, p := range []string{f.Dir, f.Path("py")} {
				if err := os.Chown(p, me, tt.gid); err != nil {
					t.Fatal(err)
				}
				os.Chmod(p, map[bool]os.FileMode{true: 0o775, false: 0o664}[p == f.Dir])
			}
			e, err := f.Load("py")
			if !tt.accept {
				if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "run: chmod 0700 "+f.Dir) {
					t.Fatalf("Load = %v, want refused with the chmod to run", err)
				}
				if mode(t, f.Dir) != 0o775 || len(notices) != 0 {
					t.Fatalf("a refused directory was changed (%04o) or noticed: %q", mode(t, f.Dir), notices)
				}
				return
			}
			if err != nil || e.AccessToken != "a" {
				t.Fatalf("Load = %v", err)
			}
			if mode(t, f.Dir) != 0o700 || mode(t, f.Path("py")) != 0o600 {
				t.Fatalf("not tightened: dir %04o, file %04o", mode(t, f.Dir), mode(t, f.Path("py")))
			}
			if len(notices) != 2 || !strings.Contains(notices[0], "writable by your own group") {
				t.Fatalf("notices = %q, want one line for the directory and one for the file", notices)
			}
		})
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func itoa(n int) string { return strconv.Itoa(n) }
