//go:build !unix

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
)

// run starts the full command line with our streams and waits for it; its
// exit status is ours. Ctrl+C reaches both processes through the console,
// so this one ignores it and lets the child decide.
func run(path string, argv []string) int {
	signal.Ignore(os.Interrupt)
	cmd := exec.Command(path, argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "fourinsight-token: cannot run %s: %v\n", path, err)
		return 1
	}
	return 0
}
