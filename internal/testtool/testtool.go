// Package testtool is how a test says it needs a program that is not part of
// this module (git, kubectl, curl, strace, gnome-keyring, …). Without it the
// test skips on a developer's machine, but fails in CI: there, a missing git
// or kubectl would otherwise silently skip the very tests that prove the
// consumers work.
package testtool

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true or CI=1, as CI services
// set it).
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// Need returns the path of the program name, or ends the test: skipped when
// it is not installed, failed when that happens in CI.
func Need(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not installed")
	}
	return path
}

// Missing ends a test for want of something the machine lacks (what says
// what, e.g. "python3 has no requests module"): a skip, or a failure in CI,
// which must install it.
func Missing(t testing.TB, what string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s; CI must install it (CI=%s)", what, os.Getenv("CI"))
		return
	}
	t.Skipf("%s (skipped; with CI=true this fails)", what)
}
