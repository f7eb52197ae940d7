//go:build linux && !mips && !mipsle && !mips64 && !mips64le

package detach

import "syscall"

// closeRangeCloexec marks descriptors 3 and up close-on-exec in one call:
// close_range(2) with CLOSE_RANGE_CLOEXEC (Linux 5.11). false if the kernel
// is older.
func closeRangeCloexec() bool {
	const sysCloseRange, closeRangeCloexec = 436, 1 << 2 // 436 wherever the generic syscall table is used (not MIPS)
	_, _, errno := syscall.Syscall(sysCloseRange, 3, uintptr(^uint32(0)), closeRangeCloexec)
	return errno == 0
}
