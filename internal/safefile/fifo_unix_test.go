//go:build unix

package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO is what --client-secret-file <(pass show svc) hands over (there
// an anonymous pipe, read through /dev/fd/N): read to its end when its
// writer delivers, at once empty without a writer, refused where only a
// regular file will do, and never read past the cap.
func TestFIFO(t *testing.T) {
	tests := []struct {
		name   string
		writes string // "" : no writer at all
		opt    Options
		want   string
		err    error
	}{
		{"writer delivers", "s3cret\n", Options{Max: 100, Pipe: true}, "s3cret\n", nil},
		{"writer delivers too much", strings.Repeat("y", 1000), Options{Max: 100, Pipe: true}, "", ErrTooLarge},
		{"no writer", "", Options{Max: 100, Pipe: true}, "", nil},
		{"pipes not accepted", "", Options{Max: 100}, "", ErrNotRegular},
		{"pipes not accepted, not followed", "", Options{Max: 100, NoFollow: true}, "", ErrNotRegular},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip("no FIFOs here:", err)
			}
			if tt.writes != "" {
				go func() {
					w, err := os.OpenFile(path, os.O_WRONLY, 0) // waits for the reader
					if err != nil {
						return
					}
					defer w.Close()
					time.Sleep(50 * time.Millisecond) // the reader is already waiting
					w.WriteString(tt.writes)
				}()
				time.Sleep(20 * time.Millisecond) // the writer waits in open
			}
			done := make(chan struct{})
			var got []byte
			var err error
			go func() { got, err = Read(path, tt.opt); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Read hangs on the FIFO")
			}
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) || string(got) != tt.want {
				t.Fatalf("Read = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestLockFlagsRefuseASymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	f, err := os.OpenFile(link, LockFlags, 0o600)
	if err == nil {
		f.Close()
		t.Fatal("opened a lock file through a symbolic link")
	}
	if !IsSymlinkErr(err) {
		t.Errorf("IsSymlinkErr(%v) = false", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link's target was created: %v", err)
	}
}
