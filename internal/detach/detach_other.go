//go:build !windows && !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package detach

import (
	"os"
	"syscall"
)

// start, elsewhere: a process group of its own and null streams;
// descriptors inherited without close-on-exec are not looked at.
func start(path string, argv, env []string, null *os.File, _ bool) (func(), error) {
	p, err := os.StartProcess(path, argv, &os.ProcAttr{
		Env:   env,
		Files: []*os.File{null, null, null},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return nil, err
	}
	return func() { p.Wait() }, nil
}
