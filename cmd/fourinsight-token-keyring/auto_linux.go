package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	ring "github.com/99designs/keyring"
	"github.com/fourinsight-token/fourinsight-token/internal/dbusaddr"
	"github.com/fourinsight-token/fourinsight-token/store/keyring"
	"github.com/godbus/dbus"
)

// keyctlPerm: possessor and user may do everything, group and others nothing.
func keyctlPerm() uint32 {
	return ring.GetPermissions(ring.KEYCTL_PERM_ALL, ring.KEYCTL_PERM_ALL, 0, 0)
}

// CollectionEnv names the Secret Service collection explicitly.
const CollectionEnv = "FOURINSIGHT_KEYRING_COLLECTION"

const (
	secretsName = "org.freedesktop.secrets"
	secretsPath = "/org/freedesktop/secrets"
)

// autoBackend on Linux: the Secret Service, else KWallet, when the session
// bus offers one; else pass, when its store is set up; else the encrypted
// file. keyctl is never chosen automatically: its entries live in kernel
// memory and are gone after a reboot.
func autoBackend() (string, error) {
	if conn, err := dbus.SessionBus(); err == nil {
		if busHas(conn, secretsName) {
			return keyring.BackendSecretService, nil
		}
		if os.Getenv("DISABLE_KWALLET") != "1" && busHas(conn, "org.kde.kwalletd5") {
			return keyring.BackendKWallet, nil
		}
	}
	if passReady() {
		return keyring.BackendPass, nil
	}
	return keyring.BackendFile, nil
}

// busHas: the name has an owner, or the bus can start one.
func busHas(conn *dbus.Conn, name string) bool {
	var has bool
	if conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has) == nil && has {
		return true
	}
	var names []string
	if conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&names) != nil {
		return false
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// collection is the Secret Service collection items go to: the one named
// by FOURINSIGHT_KEYRING_COLLECTION, else the one the "default" alias
// names (where secret-tool and browsers keep theirs), else "login". A new
// collection is never created: that needs a desktop prompt, and fails
// without one ("Object does not exist at path /").
func collection() string {
	if c := os.Getenv(CollectionEnv); c != "" {
		return c
	}
	if conn, err := dbus.SessionBus(); err == nil {
		var path dbus.ObjectPath
		err := conn.Object(secretsName, secretsPath).Call("org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&path)
		if err == nil {
			if name, ok := strings.CutPrefix(string(path), secretsPath+"/collection/"); ok && name != "" {
				return decodeLabel(name)
			}
		}
	}
	return "login"
}

// checkBackend refuses a Secret Service collection that does not exist,
// before anything is read (so that no sign-in happens whose result could not
// be saved) and before the library would try to create it on a write.
func checkBackend(name string) error {
	if name != keyring.BackendSecretService {
		return nil
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return err
	}
	var v dbus.Variant
	if err := conn.Object(secretsName, secretsPath).Call("org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.Secret.Service", "Collections").Store(&v); err != nil {
		return fmt.Errorf("cannot list the Secret Service's collections: %s", describe(err))
	}
	paths, _ := v.Value().([]dbus.ObjectPath)
	want := collection()
	var have []string
	for _, p := range paths {
		n := decodeLabel(strings.TrimPrefix(string(p), secretsPath+"/collection/"))
		if n == want {
			return nil
		}
		have = append(have, n)
	}
	return fmt.Errorf("the Secret Service has no collection %q (it has: %s), and creating one needs a desktop prompt; unlock the login keyring (on a headless machine: gnome-keyring-daemon --unlock), or set %s to an existing collection; see docs/keyring.md",
		want, strings.Join(have, ", "), CollectionEnv)
}

// lockedHint explains a failure of the Secret Service whose collection is
// locked: the unlock prompt could not be shown (no desktop) or was dismissed.
func lockedHint(name string) string {
	if name != keyring.BackendSecretService {
		return ""
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return ""
	}
	want := collection()
	var v dbus.Variant
	path := dbus.ObjectPath(secretsPath + "/collection/" + encodeLabel(want))
	if conn.Object(secretsName, path).Call("org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.Secret.Collection", "Locked").Store(&v) != nil {
		return ""
	}
	if locked, _ := v.Value().(bool); !locked {
		return ""
	}
	return fmt.Sprintf("the Secret Service collection %q is locked and was not unlocked (no desktop to ask for its password, or the prompt was dismissed); unlock it (log in to the desktop, or on a headless machine: gnome-keyring-daemon --unlock) and try again", want)
}

// encodeLabel escapes a collection name for an object path, as the Secret
// Service does: bytes other than letters and digits become "_xx".
func encodeLabel(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return b.String()
}

// isQuota: the kernel key quota is full.
func isQuota(err error) bool { return errors.Is(err, syscall.EDQUOT) }

func platformUnavailable(name string) string {
	switch name {
	case keyring.BackendSecretService, keyring.BackendKWallet:
		if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a == "" || a == dbusaddr.Disabled {
			return fmt.Sprintf("the %s keyring needs a D-Bus session bus, and there is none (DBUS_SESSION_BUS_ADDRESS is not set); see docs/keyring.md for headless machines, or choose another with --keyring-backend", name)
		}
		return fmt.Sprintf("the %s keyring is not reachable: the D-Bus session bus at DBUS_SESSION_BUS_ADDRESS does not answer; choose another with --keyring-backend", name)
	case keyring.BackendPass:
		return "the pass keyring needs the pass program on PATH; install it (and run pass init), or choose another with --keyring-backend"
	}
	return ""
}
