//go:build unix

package detach

import "syscall"

func sysProcAttr() *syscall.SysProcAttr {
	// A new session: no controlling terminal (it can never prompt), and
	// the terminal's signals (Ctrl-C, hang-up) do not reach it.
	return &syscall.SysProcAttr{Setsid: true}
}

// maxInherited bounds the descriptors marked close-on-exec where the
// kernel cannot mark them all at once.
const maxInherited = 1024

// closeOnExec marks every descriptor above stderr close-on-exec. Go opens
// its own files that way, but a descriptor this process inherited without
// the flag (a shell's `3>&1`, make's jobserver) would otherwise pass to the
// background process and keep the caller's pipe open.
func closeOnExec() {
	if closeRangeCloexec() {
		return
	}
	for fd := 3; fd < maxInherited; fd++ {
		syscall.CloseOnExec(fd)
	}
}
