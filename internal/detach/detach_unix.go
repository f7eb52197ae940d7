//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package detach

import (
	"os"
	"runtime"
	"syscall"
)

// start forks and execs with syscall.ForkExec rather than os.StartProcess:
// on Linux the latter probes pidfd support on first use by starting (and
// waiting for) one more process, which a caller that starts a single
// program pays in full.
func start(path string, argv, env []string, null *os.File, exiting bool) (func(), error) {
	// Go opens its own files close-on-exec, but a descriptor this process
	// inherited without the flag (a shell's `3>&1`, make's jobserver) would
	// pass to the background program and keep the caller's pipe open. Mark
	// them for the fork, and unmark them after it, for a caller that hands
	// them on to a program of its own later (exec).
	if !exiting || !markAllCloseOnExec() {
		marked := markCloseOnExec()
		defer unmark(marked)
	}
	fd := null.Fd()
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{fd, fd, fd},
		// A process group of its own: the terminal's Ctrl-C and hang-up
		// go to the caller's group, not to it. (Not a new session: with
		// the scheduler's autogroups, common on Linux, setsid costs the
		// caller about a millisecond more than the rest of the start.)
		Sys: &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return nil, &os.PathError{Op: "fork/exec", Path: path, Err: err}
	}
	lowerPriority(pid)
	return func() {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				return
			}
		}
	}, nil
}

// markCloseOnExec sets close-on-exec on every open descriptor above stderr
// that lacks it, and returns them.
func markCloseOnExec() []int {
	var marked []int
	for _, fd := range openDescriptors() {
		flags, err := fcntl(fd, syscall.F_GETFD, 0)
		if err == nil && flags&syscall.FD_CLOEXEC == 0 {
			if _, err := fcntl(fd, syscall.F_SETFD, flags|syscall.FD_CLOEXEC); err == nil {
				marked = append(marked, fd)
			}
		}
	}
	return marked
}

func unmark(fds []int) {
	for _, fd := range fds {
		if flags, err := fcntl(fd, syscall.F_GETFD, 0); err == nil {
			fcntl(fd, syscall.F_SETFD, flags&^syscall.FD_CLOEXEC)
		}
	}
}

func fcntl(fd, cmd, arg int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(arg))
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// lowerPriority makes the program background work: niceness 10 above ours
// (at most 19). Started just before its caller exits, it would otherwise
// take the CPU the caller needs to finish (kubectl and git wait for that),
// and a refresh is never in a hurry: its time goes to the provider.
func lowerPriority(pid int) {
	nice := 10
	// getpriority returns 20 - niceness on Linux (so that it is never
	// negative); elsewhere the niceness itself.
	if prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0); err == nil {
		if runtime.GOOS == "linux" {
			prio = 20 - prio
		}
		nice = min(prio+10, 19)
	}
	syscall.Setpriority(syscall.PRIO_PROCESS, pid, nice)
}
