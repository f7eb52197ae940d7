//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// detach puts the background provider in its own process group, so Ctrl-C
// at the shell prompt that started it does not stop it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
