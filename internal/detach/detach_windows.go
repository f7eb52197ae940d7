//go:build windows

package detach

import "syscall"

func sysProcAttr() *syscall.SysProcAttr {
	const detachedProcess, createNewProcessGroup = 0x00000008, 0x00000200
	// No console (it can never prompt) and out of the console's Ctrl+C
	// group. Go passes a child only the handles named in Files.
	return &syscall.SysProcAttr{CreationFlags: detachedProcess | createNewProcessGroup, HideWindow: true}
}

func closeOnExec() {}
