//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// signalRelay catches the signals that would stop us while the child runs,
// and passes them on.
type signalRelay struct {
	ch         chan os.Signal
	foreground bool
}

// catchSignals starts catching before the child starts, so that no signal
// in between ends us without reaching it.
func catchSignals() *signalRelay {
	r := &signalRelay{ch: make(chan os.Signal, 8), foreground: terminalForeground()}
	signal.Notify(r.ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	return r
}

// forward passes caught signals on to p. A ^C or ^\ typed at the terminal
// goes to the whole foreground process group, the child included; when we
// are in that group, passing SIGINT and SIGQUIT on as well would make the
// child see them twice, so those are left to the terminal.
func (r *signalRelay) forward(p *os.Process) {
	go func() {
		for sig := range r.ch {
			if r.foreground && (sig == syscall.SIGINT || sig == syscall.SIGQUIT) {
				continue
			}
			_ = p.Signal(sig)
		}
	}()
}

func (r *signalRelay) stop() {
	signal.Stop(r.ch)
	close(r.ch)
}

// terminalForeground: we have a controlling terminal and our process group
// is its foreground group (so keyboard signals reach our child directly).
func terminalForeground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer tty.Close()
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// exitStatus is the child's status as a shell reports it.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func sameEnvKey(a, b string) bool { return a == b }
