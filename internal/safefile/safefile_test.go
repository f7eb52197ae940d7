package safefile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small := write("small", "hello")
	big := write("big", strings.Repeat("x", 101))
	exact := write("exact", strings.Repeat("x", 100))
	empty := write("empty", "")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(small, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	type readCase struct {
		name string
		path string
		opt  Options
		want string
		err  error
	}
	tests := []readCase{
		{"a regular file", small, Options{Max: 100}, "hello", nil},
		{"exactly the cap", exact, Options{Max: 100}, strings.Repeat("x", 100), nil},
		{"over the cap", big, Options{Max: 100}, "", ErrTooLarge},
		{"empty", empty, Options{Max: 100}, "", nil},
		{"missing", filepath.Join(dir, "none"), Options{Max: 100}, "", fs.ErrNotExist},
		{"a symbolic link, followed", link, Options{Max: 100}, "hello", nil},
		{"a symbolic link, not followed", link, Options{Max: 100, NoFollow: true}, "", ErrSymlink},
		{"a directory", dir, Options{Max: 100}, "", ErrNotRegular},
		{"a directory, pipes accepted", dir, Options{Max: 100, Pipe: true}, "", ErrNotRegular},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests,
			readCase{"/dev/zero", "/dev/zero", Options{Max: 100}, "", ErrNotRegular},
			readCase{"/dev/zero, pipes accepted", "/dev/zero", Options{Max: 100, Pipe: true}, "", ErrNotRegular},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(tt.path, tt.opt)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Read = %q, %v; want error %v", got, err, tt.err)
			}
			if string(got) != tt.want {
				t.Fatalf("Read = %q, want %q", got, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
		})
	}
}

func TestReadAllNamesTheCap(t *testing.T) {
	for _, tt := range []struct {
		max  int64
		text string
	}{{1 << 20, "1 MiB"}, {64 << 10, "64 KiB"}, {4000, "4000 bytes"}} {
		_, err := ReadAll(bytes.NewReader(make([]byte, tt.max+1)), tt.max)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("ReadAll over %d bytes: %v, want it to say %s", tt.max, err, tt.text)
		}
		if data, err := ReadAll(bytes.NewReader(make([]byte, tt.max)), tt.max); err != nil || int64(len(data)) != tt.max {
			t.Errorf("ReadAll of exactly %d bytes: %d, %v", tt.max, len(data), err)
		}
	}
}
