//go:build linux

package nodump

import "syscall"

const prSetDumpable = 4 // PR_SET_DUMPABLE, <linux/prctl.h>

// Protect makes the process not dumpable: no core file, and no other process
// of the same user may ptrace it or read its memory through /proc. One
// system call; children start dumpable again after exec.
func Protect() {
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetDumpable, 0, 0)
}
