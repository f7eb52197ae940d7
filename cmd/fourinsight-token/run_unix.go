//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// run replaces this process with the full command line: same pid, streams,
// signals and exit status, so kubectl, git and shells see no difference.
func run(path string, argv []string) int {
	err := syscall.Exec(path, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "fourinsight-token: cannot run %s: %v\n", path, err)
	return 1
}
