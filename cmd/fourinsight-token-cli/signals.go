package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// notifyContextLazily is signal.NotifyContext, except that the signal
// handler is installed when something first waits on the context (Done, or
// deriving a context from it) rather than at once.
//
// Installing it starts os/signal's watcher goroutine, which parks a thread
// in the kernel, so the runtime starts more threads: about a tenth of a
// cached get's time, spent on a path that never waits on anything. Work that
// can be interrupted (HTTP, locks, prompts, sign-ins) waits on the context
// and so installs the handler before it starts. Before that, a signal has
// its default effect: the process ends, with nothing left half done.
func notifyContextLazily(parent context.Context, signals ...os.Signal) (context.Context, context.CancelFunc) {
	l := &lazySignalContext{parent: parent, signals: signals}
	return l, l.cancel
}

type lazySignalContext struct {
	parent  context.Context
	signals []os.Signal

	once   sync.Once
	armed  atomic.Bool
	ctx    context.Context
	stop   context.CancelFunc
	caught atomic.Value // the os.Signal that cancelled ctx
}

func (l *lazySignalContext) arm() context.Context {
	l.once.Do(func() {
		ctx, cancel := context.WithCancel(l.parent)
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, l.signals...)
		done := make(chan struct{})
		go func() {
			select {
			case sig := <-ch:
				l.caught.Store(sig)
				cancel()
			case <-done:
			}
		}()
		var stopOnce sync.Once
		l.ctx = ctx
		l.stop = func() {
			stopOnce.Do(func() {
				signal.Stop(ch)
				close(done)
				cancel()
			})
		}
		l.armed.Store(true)
	})
	return l.ctx
}

// caught reports the signal that interrupted ctx (made by
// notifyContextLazily), if one did.
func caught(ctx context.Context) (os.Signal, bool) {
	l, ok := ctx.(*lazySignalContext)
	if !ok {
		return nil, false
	}
	sig, ok := l.caught.Load().(os.Signal)
	return sig, ok
}

// signalNumber is the signal's number, for the exit status 128+N that
// shells report for a process a signal ended.
func signalNumber(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return int(s)
	}
	return 1
}

// signalName names the signal as kill(1) does: SIGINT, SIGTERM.
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT (Ctrl-C)"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// cancel stops the handler, or, if none was installed, cancels without one.
func (l *lazySignalContext) cancel() {
	l.once.Do(func() {
		l.ctx, l.stop = context.WithCancel(l.parent)
		l.armed.Store(true)
	})
	l.stop()
}

func (l *lazySignalContext) Deadline() (time.Time, bool) { return l.parent.Deadline() }
func (l *lazySignalContext) Done() <-chan struct{}       { return l.arm().Done() }
func (l *lazySignalContext) Value(key any) any           { return l.arm().Value(key) }

func (l *lazySignalContext) Err() error {
	if l.armed.Load() {
		return l.ctx.Err()
	}
	return l.parent.Err() // no handler yet: no signal was caught
}

func (l *lazySignalContext) String() string { return "fourinsight-token.signalContext" }
