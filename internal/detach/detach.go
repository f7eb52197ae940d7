// Package detach starts a program in the background that holds none of its
// starter's descriptors and is not waited for: the caller's stdout and
// stderr close when the caller exits, so kubectl, git and $(…) see the
// caller's output and exit status alone. It imports only the standard
// library, for the fast front.
package detach

import "os"

// Start runs path with args (argv[0] is path) detached: standard streams on
// the null device, no other descriptor inherited, in a session of its own
// (Unix; a detached process in a new process group on Windows), with this
// process's environment and working directory. It does not wait for it; a
// long-running caller reaps it in the background when it ends.
func Start(path string, args ...string) error {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	closeOnExec()
	p, err := os.StartProcess(path, append([]string{path}, args...), &os.ProcAttr{
		Files: []*os.File{null, null, null},
		Sys:   sysProcAttr(),
	})
	if err != nil {
		return err
	}
	go p.Wait() //nolint:errcheck // reaped, not waited for
	return nil
}
