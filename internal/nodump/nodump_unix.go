//go:build unix && !linux

package nodump

import "syscall"

// Protect turns core files off for this process (RLIMIT_CORE 0).
func Protect() {
	syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{})
}
