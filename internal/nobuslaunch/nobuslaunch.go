// Package nobuslaunch keeps the D-Bus library from starting a session bus.
//
// github.com/godbus/dbus, asked for the session bus when
// DBUS_SESSION_BUS_ADDRESS is unset and the user's runtime directory has no
// bus socket, runs dbus-launch, which starts a dbus-daemon that outlives the
// program. 99designs/keyring asks for it in its init functions. Importing
// this package from package main sets DBUS_SESSION_BUS_ADDRESS to an address
// that fails at once, before that happens: by the Go specification's
// initialization order (Go 1.21+), a package is initialized before any
// package whose import path sorts after it, once its imports are; this one
// imports only the standard library and internal/dbusaddr (which imports
// nothing), and sorts before github.com/godbus, so
// it runs before godbus, and hence before keyring, is initialized. A test
// (cmd/fourinsight-token-keyring) checks that dbus-launch is never run.
package nobuslaunch

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/fourinsight-token/fourinsight-token/internal/dbusaddr"
)

func init() {
	if runtime.GOOS != "linux" || BusExists() {
		return
	}
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", dbusaddr.Disabled)
}

// BusExists reports whether a session bus can be found without starting
// one: DBUS_SESSION_BUS_ADDRESS, or the bus socket in the user's runtime
// directory (as godbus looks for it).
func BusExists() bool {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return true
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = "/run/user/" + strconv.Itoa(os.Getuid())
	}
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}
