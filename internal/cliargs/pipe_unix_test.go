//go:build unix

package cliargs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The fast front resolves with a nil stdin and hands off whatever fails: it
// must leave a secret or config in a pipe unread for the full command line,
// which then reads what the writer delivers.
func TestResolveLeavesPipesToTheFullCommandLine(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("FOURINSIGHT_CLIENT_SECRET", "")
	tests := []struct {
		name string
		g    Globals
	}{
		{"--client-secret-file <(…)", Globals{ClientSecretFile: fifo}},
		{"--client-secret-file -", Globals{ClientSecretFile: "-"}},
		{"--config <(…)", Globals{Config: fifo}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Resolve(tt.g, nil); !errors.Is(err, ErrPipe) {
				t.Fatalf("the front's Resolve = %v, want ErrPipe", err)
			}
			if tt.g.ClientSecretFile == fifo {
				w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
				if err == nil {
					w.Close()
					t.Fatal("the front left the FIFO open")
				}
			}
			_, err := Resolve(tt.g, strings.NewReader(""))
			if errors.Is(err, ErrPipe) || !strings.Contains(err.Error(), "empty") {
				t.Fatalf("the full command line's Resolve = %v, want the pipe read (empty: no writer)", err)
			}
		})
	}
}
