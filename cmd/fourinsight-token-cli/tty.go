package main

import (
	"io"
	"os"
	"runtime"

	"golang.org/x/term"
)

// openTTY opens the controlling terminal, so that a sign-in can prompt even
// when stdout is captured by $(...) and stdin is a pipe. nil: there is none
// (an IDE, a daemon, kubectl in the background).
func openTTY() *os.File {
	name := "/dev/tty"
	if runtime.GOOS == "windows" {
		name = "CONIN$"
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	if !term.IsTerminal(int(f.Fd())) {
		f.Close()
		return nil
	}
	return f
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
