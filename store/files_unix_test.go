//go:build unix

package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Files in the cache directory that are not regular files are refused with
// one line saying what to do, and nothing blocks on them: a FIFO planted as
// an entry, a marker or a lock file, a symbolic link to a lock file.
func TestStoreRefusesFilesThatAreNotRegular(t *testing.T) {
	fifo := func(path string) func(t *testing.T) {
		return func(t *testing.T) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip(err)
			}
		}
	}
	link := func(path, target string) func(t *testing.T) {
		return func(t *testing.T) { os.Symlink(target, path) }
	}
	dir := func(path string) func(t *testing.T) {
		return func(t *testing.T) { os.Mkdir(path, 0o700) }
	}
	tests := []struct {
		name  string
		plant func(f File) func(t *testing.T)
		do    func(f File) error
		want  string
	}{
		{"a FIFO as the entry",
			func(f File) func(*testing.T) { return fifo(f.Path("ws0")) },
			func(f File) error { _, err := f.Load("ws0"); return err }, "is a pipe, not a regular file; remove it"},
		{"a FIFO as the keyring marker",
			func(f File) func(*testing.T) { return fifo(f.markerPath("ws0")) },
			func(f File) error { _, err := f.Load("ws0"); return err }, "is a pipe, not a regular file; remove it"},
		{"a FIFO as the sign-in failure marker",
			func(f File) func(*testing.T) { return fifo(f.failurePath("ws0")) },
			func(f File) error { _, err := f.LastSignInFailure("ws0"); return err }, "is a pipe, not a regular file; remove it"},
		{"a FIFO as the lock file",
			func(f File) func(*testing.T) { return fifo(f.Path("ws0") + ".lock") },
			func(f File) error { _, err := f.Lock(context.Background(), "ws0", nil); return err }, "is a pipe, not a regular file; remove it"},
		{"a directory as the lock file",
			func(f File) func(*testing.T) { return dir(f.Path("ws0") + ".lock") },
			func(f File) error { _, err := f.Lock(context.Background(), "ws0", nil); return err }, "is a directory, not a regular file; remove it"},
		{"a symbolic link as the lock file",
			func(f File) func(*testing.T) {
				return link(f.Path("ws0")+".lock", filepath.Join(filepath.Dir(f.Dir), "elsewhere"))
			},
			func(f File) error { _, err := f.Lock(context.Background(), "ws0", nil); return err }, "is a symbolic link; replace it with a regular file or remove it"},
		{"a symbolic link as the entry",
			func(f File) func(*testing.T) { return link(f.Path("ws0"), "/dev/zero") },
			func(f File) error { _, err := f.Load("ws0"); return err }, "is a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := File{Dir: filepath.Join(t.TempDir(), "api")}
			os.MkdirAll(f.Dir, 0o700)
			tt.plant(f)(t)
			done := make(chan error, 1)
			go func() { done <- tt.do(f) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("hangs")
			}
			if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrUnsafe saying %q", err, tt.want)
			}
			if _, err := os.Lstat(filepath.Join(filepath.Dir(f.Dir), "elsewhere")); !os.IsNotExist(err) {
				t.Errorf("a file was made where the link points: %v", err)
			}
		})
	}
}
