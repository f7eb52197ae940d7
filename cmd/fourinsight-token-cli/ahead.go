package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker"
	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/internal/detach"
)

// startBackground is the broker's way to start the background refresh of a
// session served inside the refresh-ahead window: this program's hidden
// refresh-ahead command, detached, with the same settings. nil where the
// settings cannot be handed on (a client secret read from our stdin).
func (a *app) startBackground() func(key string) error {
	g := a.cli.Globals
	if g.ClientSecretFile == "-" {
		return nil
	}
	return func(key string) error {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		reap, err := detach.Start(self, cliargs.OwnEnviron(), append([]string{"refresh-ahead"}, cliargs.GlobalArgs(g)...)...)
		if err == nil {
			go reap() // a long-running caller (proxy) leaves no zombie
		}
		return err
	}
}

// refreshAhead is the hidden refresh-ahead command: the detached process
// that renews a session in the background (broker.BackgroundRefresh). It
// never prompts, and ends on its own: the broker bounds its work, and a
// watchdog ends the process should anything else hang.
func (a *app) refreshAhead(ctx context.Context) error {
	a.cli.NonInteractive = true
	// In a process group of its own it gets no Ctrl-C; nor should the
	// terminal closing stop it halfway.
	signal.Ignore(syscall.SIGHUP)
	b, key, err := a.setup()
	if err != nil {
		return err
	}
	b.StartBackground = nil
	b.Interact = broker.Interaction{} // no sign-in of any kind
	watchdog := time.AfterFunc(b.BackgroundBudget()+30*time.Second, func() { os.Exit(5) })
	defer watchdog.Stop()
	return b.BackgroundRefresh(ctx, key)
}
