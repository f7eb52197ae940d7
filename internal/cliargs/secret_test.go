package cliargs

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/store/keyring"
)

// The keyring password the command line takes from its environment is the
// one the keyring helper reads (a test import: the front must not link
// store/keyring).
func TestKeyringPasswordEnvIsTheHelpers(t *testing.T) {
	if KeyringPasswordEnv != keyring.PasswordEnv {
		t.Fatalf("cliargs takes %s, the keyring helper reads %s", KeyringPasswordEnv, keyring.PasswordEnv)
	}
}

// A client secret file is read whole, trimmed, and never past its cap:
// /dev/zero or an endless stdin is a configuration error, not a crash.
func TestClientSecretFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		return p
	}
	t.Setenv("FOURINSIGHT_CLIENT_SECRET", "")
	tests := []struct {
		name   string
		file   string
		stdin  string
		want   string
		errHas string
	}{
		{name: "a file", file: write("s", "s3cret\n"), want: "s3cret"},
		{name: "an empty file", file: write("e", "\n"), errHas: "is empty"},
		{name: "a file too large", file: write("l", strings.Repeat("s", maxSecretSize+1)), errHas: "holds more than 64 KiB"},
		{name: "a directory", file: dir, errHas: "is a directory, not a regular file or a pipe"},
		{name: "stdin", file: "-", stdin: "s3cret\n", want: "s3cret"},
		{name: "stdin too large", file: "-", stdin: strings.Repeat("s", maxSecretSize+1), errHas: "on stdin: holds more than 64 KiB"},
		{name: "/dev/zero", file: "/dev/zero", errHas: "is a character device, not a regular file or a pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.file == "/dev/zero" && runtime.GOOS == "windows" {
				t.Skip("no /dev/zero")
			}
			got, supplied, err := clientSecret(Globals{ClientSecretFile: tt.file}, profile.Profile{}, strings.NewReader(tt.stdin))
			if tt.errHas != "" {
				if !errors.Is(err, profile.ErrConfig) || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want %q", err, tt.errHas)
				}
				return
			}
			if err != nil || got != tt.want || !supplied {
				t.Fatalf("clientSecret = %q, %v, %v; want %q", got, supplied, err, tt.want)
			}
		})
	}
}
