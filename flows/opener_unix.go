//go:build unix

package flows

import (
	"os/exec"
	"syscall"
)

// detachBrowser starts the browser in its own session, so a Ctrl-C meant
// for fourinsight-token does not also close the browser it just opened.
func detachBrowser(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
