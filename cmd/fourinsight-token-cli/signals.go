package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
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

	once  sync.Once
	armed atomic.Bool
	ctx   context.Context
	stop  context.CancelFunc
}

func (l *lazySignalContext) arm() context.Context {
	l.once.Do(func() {
		l.ctx, l.stop = signal.NotifyContext(l.parent, l.signals...)
		l.armed.Store(true)
	})
	return l.ctx
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
