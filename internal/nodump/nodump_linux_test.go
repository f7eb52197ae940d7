//go:build linux

package nodump

import (
	"syscall"
	"testing"
)

func TestProtect(t *testing.T) {
	const prGetDumpable = 3
	Protect()
	v, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prGetDumpable, 0, 0)
	if errno != 0 || v != 0 {
		t.Fatalf("PR_GET_DUMPABLE = %d (errno %v), want 0", v, errno)
	}
}
