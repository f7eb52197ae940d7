//go:build !unix

package main

import (
	"os"
	"os/signal"
	"runtime"
	"strings"
)

// signalRelay swallows Ctrl+C while the child runs: the console delivers it
// to every process attached to it, the child included, so the child decides
// what it means and we wait for its exit status. Windows has no other
// signal to pass on.
type signalRelay struct{ ch chan os.Signal }

func catchSignals() *signalRelay {
	r := &signalRelay{ch: make(chan os.Signal, 8)}
	signal.Notify(r.ch, os.Interrupt)
	go func() {
		for range r.ch {
		}
	}()
	return r
}

func (r *signalRelay) forward(*os.Process) {}

func (r *signalRelay) stop() {
	signal.Stop(r.ch)
	close(r.ch)
}

func exitStatus(ps *os.ProcessState) int { return ps.ExitCode() }

// sameEnvKey: Windows environment names are case-insensitive.
func sameEnvKey(a, b string) bool {
	if runtime.GOOS == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}
