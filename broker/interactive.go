package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/store"
	"golang.org/x/oauth2"
)

// interactive runs the browser or device flow against the resolved endpoints.
func (b *Broker) interactive(ctx context.Context, flow string, cfg *oauth2.Config) (*oauth2.Token, string, error) {
	ep, err := b.resolveEndpoints(ctx)
	if err != nil {
		return nil, "", err
	}
	cfg.Endpoint.AuthURL, cfg.Endpoint.TokenURL, cfg.Endpoint.DeviceAuthURL = ep.Auth, ep.Token, ep.Device
	if ep.Token == "" {
		return nil, "", fmt.Errorf("%w: no token endpoint; set --issuer or --token-url", profile.ErrConfig)
	}
	in := b.Interact
	switch flow {
	case profile.FlowDevice:
		if ep.Device == "" {
			return nil, "", fmt.Errorf("%w: the device flow is not possible: %s names no device authorization endpoint (its provider may not offer the device grant); use --flow browser, or set --device-auth-url", profile.ErrConfig, b.providerName())
		}
		tok, err := flows.Device(ctx, cfg, flows.DeviceOptions{Out: in.Out, Logf: b.Logf})
		return tok, ep.Token, err
	default:
		if ep.Auth == "" {
			return nil, "", fmt.Errorf("%w: the browser flow is not possible: %s names no authorization endpoint; set --auth-url", profile.ErrConfig, b.providerName())
		}
		open := in.OpenBrowser
		if in.NoBrowser {
			open = nil
		}
		tok, err := flows.Browser(ctx, cfg, flows.BrowserOptions{
			Out: in.Out, Open: open, Prompt: in.Prompt,
			Issuer: ep.Issuer, Keys: ep.Keys, SigningAlgs: ep.SigningAlgs,
			Logf: b.Logf,
		})
		return tok, ep.Token, err
	}
}

// loginCommand is the command that signs the session in again.
func loginCommand(key string) string { return "fourinsight-token login" + store.SessionArgs(key) }

// providerName names the provider's settings in messages.
func (b *Broker) providerName() string {
	if p := b.Settings.Profile; p.Issuer != "" {
		return "the discovery document of " + p.Issuer
	}
	return "the profile"
}

// Memory remembers, per session, what the next process should know without
// trying again: an interactive sign-in that was abandoned, denied or timed
// out (so that callers without a terminal do not open one browser tab after
// another while the person is away), and a provider that did not answer (so
// that callers queued on the lock share the outage). store.File is one.
type Memory interface {
	RememberSignInFailure(key string, s store.SignInFailure) error
	LastSignInFailure(key string) (*store.SignInFailure, error)
	ForgetSignInFailure(key string) error
	RememberOutage(key string, o store.Outage) error
	LastOutage(key string) *store.Outage
}

func (b *Broker) memory() Memory {
	if b.Store == nil {
		return nil // --no-store keeps nothing, not even this
	}
	return b.Memory
}

// recentFailure refuses to start a sign-in from a process without a terminal
// while an earlier one for the session is remembered as failed: the person
// was away, or said no, and an IDE or kubectl retrying in the background
// must not open tab after tab. A person at a terminal, and login, always try.
func (b *Broker) recentFailure(key string) error {
	in := b.Interact
	m := b.memory()
	if m == nil || in.Terminal || in.Login {
		return nil
	}
	f, err := m.LastSignInFailure(key)
	if err != nil || f == nil {
		return nil
	}
	ago := time.Since(f.At)
	left := b.RetrySignInAfter - ago
	if left <= 0 || ago < -time.Minute {
		return nil
	}
	how := ""
	if f.Flow != "" {
		how = " (" + f.Flow + " flow)"
	}
	return fmt.Errorf("%w: the last sign-in%s for session %s %s %s ago; so as not to open browser tab after tab, processes without a terminal start no new one for %s; run in a terminal: %s",
		ErrSignInRequired, how, name(key), f.Reason, roughly(ago), roughly(left), loginCommand(key))
}

// roughly renders a duration for people: "3s", "2m5s", "10m".
func roughly(d time.Duration) string { return flows.HumanDuration(d) }

// rememberFailure records a sign-in that the person abandoned, denied or let
// time out; other failures (network, configuration) are not remembered.
func (b *Broker) rememberFailure(key, flow string, err error) {
	m := b.memory()
	if m == nil || b.RetrySignInAfter <= 0 {
		return
	}
	reason := failureReason(err)
	if reason == "" {
		return
	}
	if err := m.RememberSignInFailure(key, store.SignInFailure{At: time.Now().UTC(), Flow: flow, Reason: reason}); err != nil {
		b.logf("sign-in: %v", err)
		return
	}
	b.logf("sign-in: remembered that session %s's sign-in %s; callers without a terminal will not start another for %s", name(key), reason, b.RetrySignInAfter)
}

// forgetFailure clears the memory after a sign-in succeeded.
func (b *Broker) forgetFailure(key string) {
	if m := b.memory(); m != nil {
		if err := m.ForgetSignInFailure(key); err != nil {
			b.logf("sign-in: %v", err)
		}
	}
}

// failureReason says how an interactive sign-in ended without a token, or ""
// when it was not the person's doing.
func failureReason(err error) string {
	var pe *flows.ProviderError
	switch {
	case errors.As(err, &pe) && pe.Code == "access_denied":
		return "was denied"
	case errors.Is(err, context.Canceled):
		return "was cancelled"
	case errors.Is(err, flows.ErrNotCompleted), errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	return ""
}
