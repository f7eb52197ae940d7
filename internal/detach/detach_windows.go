//go:build windows

package detach

import (
	"os"
	"syscall"
)

func start(path string, argv, env []string, null *os.File, _ bool) (func(), error) {
	const detachedProcess, createNewProcessGroup, belowNormalPriority = 0x00000008, 0x00000200, 0x00004000
	p, err := os.StartProcess(path, argv, &os.ProcAttr{
		Env:   env,
		Files: []*os.File{null, null, null},
		// No console (it can never prompt) and out of the console's
		// Ctrl+C group, and below normal priority: background work. Go
		// passes a child only the handles named in Files.
		Sys: &syscall.SysProcAttr{CreationFlags: detachedProcess | createNewProcessGroup | belowNormalPriority, HideWindow: true},
	})
	if err != nil {
		return nil, err
	}
	return func() { p.Wait() }, nil
}
