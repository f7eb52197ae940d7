//go:build unix

package detach

import (
	"os"
	"syscall"
)

// start forks and execs with syscall.ForkExec rather than os.StartProcess:
// on Linux the latter probes pidfd support on first use by starting (and
// waiting for) one more process, which a caller that starts a single
// program pays in full.
func start(path string, argv []string, null *os.File) (func(), error) {
	closeOnExec()
	fd := null.Fd()
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{fd, fd, fd},
		// A new session: no controlling terminal (it can never prompt),
		// and the terminal's signals (Ctrl-C, hang-up) do not reach it.
		Sys: &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return nil, &os.PathError{Op: "fork/exec", Path: path, Err: err}
	}
	return func() {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				return
			}
		}
	}, nil
}

// maxInherited bounds the descriptors marked close-on-exec where the
// kernel cannot mark them all at once.
const maxInherited = 1024

// closeOnExec marks every descriptor above stderr close-on-exec. Go opens
// its own files that way, but a descriptor this process inherited without
// the flag (a shell's `3>&1`, make's jobserver) would otherwise pass to the
// background program and keep the caller's pipe open.
func closeOnExec() {
	if closeRangeCloexec() {
		return
	}
	for fd := 3; fd < maxInherited; fd++ {
		syscall.CloseOnExec(fd)
	}
}
