//go:build unix

package profile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The config file decides where secrets go: one others could change is
// refused with the chmod that fixes it, and no config file can hang the
// tool or fill its memory. A pipe that delivers is fine.
func TestLoadConfigFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), mode)
		os.Chmod(p, mode)
		return p
	}
	fifo := func(name string, content *string) string {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skip("no FIFOs here:", err)
		}
		if content != nil {
			go func() {
				w, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err == nil {
					w.WriteString(*content)
					w.Close()
				}
			}()
			time.Sleep(20 * time.Millisecond) // the writer waits in open
		}
		return p
	}
	profiles := `{"profiles":{"x":{"issuer":"https://idp.example"}}}`
	tests := []struct {
		name   string
		path   string
		errHas string
	}{
		{"writable by others", write("open.json", profiles, 0o666), "is writable by other users (mode 0666), and it decides where secrets are sent; run: chmod go-w"},
		{"readable by others, no secret", write("read.json", profiles, 0o644), ""},
		{"empty", write("empty.json", " \n", 0o600), "is empty"},
		{"too large", write("large.json", `{"profiles":{}}`+strings.Repeat(" ", maxConfigSize), 0o600), "holds more than 1 MiB"},
		{"a directory", dir, "is a directory, not a regular file or a pipe"},
		{"/dev/zero", "/dev/zero", "is a character device, not a regular file or a pipe"},
		{"a FIFO without a writer", fifo("nowriter.json", nil), "is empty"},
		{"a FIFO whose writer delivers", fifo("delivers.json", &profiles), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				c, err := LoadConfig(tt.path, true)
				if err == nil && c.Profiles["x"].Issuer != "https://idp.example" {
					err = errors.New("profile x not read")
				}
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("LoadConfig hangs")
			}
			if tt.errHas == "" && err != nil || tt.errHas != "" && (!errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.errHas)) {
				t.Fatalf("LoadConfig = %v, want %q", err, tt.errHas)
			}
		})
	}
}
