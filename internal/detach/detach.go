// Package detach starts a program in the background that holds none of its
// starter's descriptors and is not waited for: the caller's stdout and
// stderr close when the caller exits, so kubectl, git and $(…) see the
// caller's output and exit status alone. It imports only the standard
// library, for the fast front.
package detach

import "os"

// Start runs path with args (argv[0] is path) detached: standard streams on
// the null device, no other descriptor inherited, in a process group of its
// own (Unix; a detached process in a new process group on Windows), at a
// lower priority (niceness +10; below normal on Windows), with env as its
// environment (nil: this process's) and this working directory. It does
// not wait for it: a caller that exits at once leaves it to init; a
// long-running one calls reap (in a goroutine: it blocks until the program
// ends).
func Start(path string, env []string, args ...string) (reap func(), err error) {
	return startWith(path, env, args, false)
}

// StartBeforeExit is Start for a caller that exits as soon as it returns
// (the fast front, which leaves the program to init). Such a caller runs
// no program of its own after it, so its descriptors need not stay
// inheritable: on Linux one system call marks them all close-on-exec,
// instead of listing them and marking (then unmarking) each one.
func StartBeforeExit(path string, env []string, args ...string) error {
	_, err := startWith(path, env, args, true)
	return err
}

func startWith(path string, env, args []string, exiting bool) (reap func(), err error) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	if env == nil {
		env = os.Environ()
	}
	return start(path, append([]string{path}, args...), env, null, exiting)
}
