package detach

import (
	"strconv"
	"syscall"
)

// openDescriptors lists this process's descriptors above stderr, from
// /proc/self/fd (a few system calls, whatever the descriptor limit).
func openDescriptors() []int {
	dir, err := syscall.Open("/proc/self/fd", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return candidates()
	}
	defer syscall.Close(dir)
	var fds []int
	buf := make([]byte, 4096)
	for {
		n, err := syscall.ReadDirent(dir, buf)
		if err != nil || n <= 0 {
			break
		}
		var names []string
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
		for _, name := range names {
			if fd, err := strconv.Atoi(name); err == nil && fd > 2 && fd != dir {
				fds = append(fds, fd)
			}
		}
	}
	return fds
}

// markAllCloseOnExec marks every descriptor above stderr close-on-exec with
// one close_range(2) (Linux 5.11 and later); false where it is not there.
func markAllCloseOnExec() bool {
	const sysCloseRange, closeRangeCloexec = 436, 4 // the same number on every architecture
	_, _, errno := syscall.Syscall(sysCloseRange, 3, uintptr(^uint32(0)), closeRangeCloexec)
	return errno == 0
}
