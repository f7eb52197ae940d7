//go:build unix

package main

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestNotifyContextLazily(t *testing.T) {
	t.Run("a signal cancels it once something waits", func(t *testing.T) {
		ctx, stop := notifyContextLazily(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if ctx.Err() != nil {
			t.Fatal("cancelled before any signal")
		}
		derived, cancel := context.WithTimeout(ctx, time.Minute) // waits on ctx
		defer cancel()
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-derived.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("SIGTERM did not cancel the context")
		}
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("Err() = %v", ctx.Err())
		}
	})
	t.Run("stop without a wait cancels it", func(t *testing.T) {
		ctx, stop := notifyContextLazily(context.Background(), os.Interrupt)
		stop()
		select {
		case <-ctx.Done():
		default:
			t.Fatal("not done after stop")
		}
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("Err() = %v", ctx.Err())
		}
	})
	t.Run("parent cancellation and values pass through", func(t *testing.T) {
		type key struct{}
		parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
		ctx, stop := notifyContextLazily(parent, os.Interrupt)
		defer stop()
		if ctx.Value(key{}) != "v" {
			t.Fatal("value lost")
		}
		cancel()
		<-ctx.Done()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("Err() = %v", ctx.Err())
		}
	})
}
