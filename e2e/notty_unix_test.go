//go:build unix

package e2e

import (
	"os/exec"
	"syscall"
)

// setNoTTY starts the command in a new session, so it has no controlling
// terminal even when the test runs in one.
func setNoTTY(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
