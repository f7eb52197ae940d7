package main

import "io"

// run is one invocation as the tests make it: the command line and the
// streams, as main gives them (without the front's cache-miss hint).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runApp(&app{stdin: stdin, stdout: stdout, stderr: stderr}, args)
}
