//go:build !linux

package main

import (
	"fmt"
	"runtime"

	"github.com/fourinsight-token/fourinsight-token/store/keyring"
)

// autoBackend off Linux: the macOS Keychain or Windows Credential Manager;
// elsewhere pass when its store is set up, else the encrypted file. A macOS
// build without cgo has no Keychain, and says so rather than choose a file.
func autoBackend() (string, error) {
	switch runtime.GOOS {
	case "darwin":
		if isAvailable(keyring.BackendKeychain) {
			return keyring.BackendKeychain, nil
		}
		return "", fmt.Errorf("%s", platformUnavailable(keyring.BackendKeychain))
	case "windows":
		return keyring.BackendWinCred, nil
	}
	if passReady() {
		return keyring.BackendPass, nil
	}
	return keyring.BackendFile, nil
}

func collection() string { return "" }

func keyctlPerm() uint32 { return 0 }

func checkBackend(string) error { return nil }

func isQuota(error) bool { return false }

func lockedHint(string) string { return "" }

func platformUnavailable(name string) string {
	if name == keyring.BackendKeychain && runtime.GOOS == "darwin" {
		return "this build of " + keyring.HelperName + " has no macOS Keychain support (it was built without cgo); reinstall it with CGO_ENABLED=1, or choose --keyring-backend file or pass"
	}
	if name == keyring.BackendPass && runtime.GOOS != "windows" {
		return "the pass keyring needs the pass program on PATH; install it (and run pass init), or choose another with --keyring-backend"
	}
	return ""
}
