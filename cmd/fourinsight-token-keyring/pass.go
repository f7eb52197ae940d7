package main

import (
	"os"
	"path/filepath"
	"runtime"
)

// passReady: pass is installed and its store initialised (pass init). pass
// does not run on Windows.
func passReady() bool {
	if runtime.GOOS == "windows" {
		return false
	}
	dir := os.Getenv("PASSWORD_STORE_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return false
		}
		dir = filepath.Join(home, ".password-store")
	}
	if _, err := os.Stat(filepath.Join(dir, ".gpg-id")); err != nil {
		return false
	}
	_, err := execLookPath("pass")
	return err == nil
}
