package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// A remembered failed sign-in stops callers without a terminal, for the
// configured window only; a terminal or login always tries.
func TestRecentFailure(t *testing.T) {
	tests := []struct {
		name     string
		ago      time.Duration
		window   time.Duration
		in       Interaction
		noStore  bool
		blocked  bool
		remember bool
	}{
		{name: "background caller within the window", ago: time.Minute, window: 10 * time.Minute, remember: true, blocked: true},
		{name: "background caller after the window", ago: 11 * time.Minute, window: 10 * time.Minute, remember: true},
		{name: "no quiet period (--retry-signin-after 0s)", ago: time.Second, remember: true},
		{name: "background caller within a short window", ago: 2 * time.Second, window: 5 * time.Second, remember: true, blocked: true},
		{name: "background caller after a short window", ago: 6 * time.Second, window: 5 * time.Second, remember: true},
		{name: "terminal always tries", ago: time.Minute, window: 10 * time.Minute, remember: true, in: Interaction{Terminal: true}},
		{name: "login always tries", ago: time.Minute, window: 10 * time.Minute, remember: true, in: Interaction{Login: true}},
		{name: "nothing remembered", ago: time.Minute, window: 10 * time.Minute},
		{name: "--no-store remembers nothing", ago: time.Minute, window: 10 * time.Minute, remember: true, noStore: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := store.File{Dir: t.TempDir()}
			b := &Broker{Store: f, Locks: f, Memory: f, Interact: tt.in, RetrySignInAfter: tt.window}
			if tt.noStore {
				b.Store = nil
			}
			if tt.remember {
				f.RememberSignInFailure("ws", store.SignInFailure{At: time.Now().Add(-tt.ago), Flow: profile.FlowBrowser, Reason: "timed out"})
			}
			err := b.recentFailure("ws")
			if got := err != nil; got != tt.blocked {
				t.Fatalf("blocked = %v (%v), want %v", got, err, tt.blocked)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, ErrSignInRequired) {
				t.Errorf("not ErrSignInRequired (exit 3): %v", err)
			}
			for _, want := range []string{"browser flow", "timed out", "fourinsight-token login -s ws"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message lacks %q: %v", want, err)
				}
			}
		})
	}
}

func TestFailureReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&flows.ProviderError{Code: "access_denied"}, "was denied"},
		{fmt.Errorf("%w: %w", flows.ErrNotCompleted, context.DeadlineExceeded), "timed out"},
		{flows.TimedOut("the device code expired", nil), "timed out"},
		{fmt.Errorf("%w: %w", flows.ErrNotCompleted, context.Canceled), "was cancelled"},
		{&flows.ProviderError{Code: "invalid_client"}, ""},
		{fmt.Errorf("%w: no network", flows.ErrUnavailable), ""},
		{flows.ErrBadPackage, ""},
	}
	for _, tt := range tests {
		if got := failureReason(tt.err); got != tt.want {
			t.Errorf("failureReason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestRoughly(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "1s", 400 * time.Millisecond: "1s", 12 * time.Second: "12s", 10 * time.Minute: "10m",
		9*time.Minute + 58*time.Second: "9m58s", 2 * time.Hour: "2h", 90 * time.Minute: "1h30m",
	} {
		if got := roughly(d); got != want {
			t.Errorf("roughly(%s) = %q, want %q", d, got, want)
		}
	}
}
