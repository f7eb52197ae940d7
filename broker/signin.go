package broker

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/store"
	"golang.org/x/oauth2"
)

// Interaction says what an interactive sign-in may do in this process.
type Interaction struct {
	// Allowed: an interactive sign-in may start at all (false with
	// --non-interactive, CI=true, or kubectl's interactive: false).
	Allowed bool
	// NotAllowedBecause says, when Allowed is false, why and what to do
	// instead ("CI is set …; …"); it completes "session X needs a sign-in,
	// but …".
	NotAllowedBecause string
	// Login: the user asked for this sign-in (the login command): any flow
	// runs, talking on stderr.
	Login bool
	// Terminal: a person can read Out and answer Prompt.
	Terminal bool
	// Prompt asks one question and reads one line; nil when nobody can answer.
	Prompt func(ctx context.Context, question string) (string, error)
	// Out receives instructions for the person (stderr).
	Out io.Writer
	// NoBrowser: print sign-in URLs instead of opening a browser.
	NoBrowser bool
	// OpenBrowser opens a URL; nil when no browser can be opened here.
	OpenBrowser func(url string) error
}

// signIn runs the settings' flow and saves what it got over prev. refused
// says why a refresh could not do instead ("" when there was none to try):
// it is told once, as part of the refusal when no sign-in may start here,
// or as the notice before the sign-in starts.
func (b *Broker) signIn(ctx context.Context, key string, prev *store.Entry, refused string) (*store.Entry, error) {
	if err := b.Settings.CheckSecret(key); err != nil {
		return nil, err
	}
	ctx, err := b.withHTTP(ctx)
	if err != nil {
		return nil, err
	}
	if b.Settings.ClientFlow() {
		e, err := b.clientCredentials(ctx, key, prev)
		if err != nil {
			b.rememberOutage(key, err)
		}
		return e, err
	}
	because := func(err error) error {
		if refused == "" {
			return err
		}
		return fmt.Errorf("%s: %w", refused, err)
	}
	if err := b.recentFailure(key); err != nil {
		return nil, because(err)
	}
	flow, err := b.chooseFlow(ctx)
	if err != nil {
		return nil, because(err)
	}
	if err := b.mayInteract(key, flow); err != nil {
		return nil, because(err)
	}
	if refused != "" {
		b.warn("%s; signing in again", refused)
	}
	cfg, err := b.oauthConfig(ctx, true)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, b.LoginTimeout)
	defer cancel()
	b.logf("sign-in: session %s with the %s flow", name(key), flow)

	var tok *oauth2.Token
	tokenURL := ""
	switch flow {
	case profile.FlowPaste:
		tok, tokenURL, err = b.paste(ctx, cfg)
	case profile.FlowBrowser, profile.FlowDevice:
		tok, tokenURL, err = b.interactive(ctx, flow, cfg)
	}
	if err != nil {
		b.rememberFailure(key, flow, err)
		switch {
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
			err = flows.TimedOut(fmt.Sprintf("the sign-in did not finish within --login-timeout %s; to try again, run: %s", b.LoginTimeout, loginCommand(key)), err)
		case errors.Is(err, context.Canceled):
			err = fmt.Errorf("%w: it was cancelled", flows.ErrNotCompleted)
		}
		return nil, err
	}
	e, err := b.save(key, prev, tok, flow, tokenURL)
	if err == nil {
		b.forgetFailure(key)
	}
	return e, err
}

// clientCredentials signs in as a service account.
func (b *Broker) clientCredentials(ctx context.Context, key string, prev *store.Entry) (*store.Entry, error) {
	cfg, err := b.oauthConfig(ctx, false)
	if err != nil {
		return nil, err
	}
	cfg.Endpoint.TokenURL = b.Settings.Profile.ServiceTokenURL
	if cfg.Endpoint.TokenURL == "" {
		ep, err := b.resolveEndpoints(ctx)
		if err != nil {
			return nil, err
		}
		cfg.Endpoint.TokenURL = ep.Token
	}
	b.logf("sign-in: session %s with the client flow at %s", name(key), cfg.Endpoint.TokenURL)
	tok, err := flows.ClientCredentials(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return b.save(key, prev, tok, profile.FlowClient, cfg.Endpoint.TokenURL)
}

// chooseFlow resolves --flow auto for a person signing in: paste for a
// profile with a sign-in page and no issuer (4insight); for an issuer,
// browser where one can open, else device where the provider offers it,
// else paste (or the browser flow's pasted redirect URL without a page).
func (b *Broker) chooseFlow(ctx context.Context) (string, error) {
	p := b.Settings.Profile
	if p.Flow != "" && p.Flow != profile.FlowAuto {
		return p.Flow, nil
	}
	if p.Issuer == "" && p.AuthURL == "" {
		return profile.FlowPaste, nil
	}
	if b.Interact.OpenBrowser != nil && !b.Interact.NoBrowser {
		b.logf("flow: auto chose browser: a browser can be opened here")
		return profile.FlowBrowser, nil
	}
	ep, err := b.resolveEndpoints(ctx)
	if err != nil {
		return "", err
	}
	why := "no browser can be opened here (no $BROWSER, no desktop session, or an SSH login)"
	if b.Interact.NoBrowser {
		why = "--no-browser"
	}
	switch {
	case ep.Device != "":
		b.logf("flow: auto chose device: %s", why)
		return profile.FlowDevice, nil
	case p.SignInURL != "":
		b.logf("flow: auto chose paste: %s, and the provider offers no device flow", why)
		return profile.FlowPaste, nil
	}
	if b.Interact.Terminal || b.Interact.Login {
		b.warn("%s names no device authorization endpoint and %s: signing in with the browser flow; finish by pasting the address the browser ends on", b.providerName(), why)
	}
	return profile.FlowBrowser, nil
}

// mayInteract refuses a sign-in this process may not start: none at all when
// not interactive, and no terminal flow without a terminal unless the user
// asked for the sign-in.
func (b *Broker) mayInteract(key, flow string) error {
	in := b.Interact
	login := loginCommand(key)
	if !in.Allowed {
		why := in.NotAllowedBecause
		if why == "" {
			why = "this run is non-interactive; run in a terminal: " + login
		}
		return fmt.Errorf("%w: session %s needs a sign-in, but %s", ErrSignInRequired, name(key), why)
	}
	needsTerminal := flow == profile.FlowPaste || flow == profile.FlowDevice ||
		(flow == profile.FlowBrowser && (in.OpenBrowser == nil || in.NoBrowser))
	if needsTerminal && !in.Terminal && !in.Login {
		return fmt.Errorf("%w: session %s needs a sign-in (%s flow) and there is no terminal here; run in a terminal: %s", ErrSignInRequired, name(key), flow, login)
	}
	return nil
}

// paste runs 4insight's sign-in: the user signs in on the profile's page and
// pastes the {"endpoint","code"} package it shows. The endpoint must be a
// host the profile trusts before the code or secret is sent anywhere.
func (b *Broker) paste(ctx context.Context, cfg *oauth2.Config) (*oauth2.Token, string, error) {
	in := b.Interact
	page := b.Settings.Profile.SignInURL
	if page == "" {
		return nil, "", fmt.Errorf("%w: the paste flow needs a sign-in page: set --signin-url or FOURINSIGHT_SIGNIN_URL (signin_url in a profile)", profile.ErrConfig)
	}
	if in.Prompt == nil {
		return nil, "", fmt.Errorf("%w: the paste sign-in needs a terminal; run in a terminal: fourinsight-token login", ErrSignInRequired)
	}
	fmt.Fprintf(in.Out, "Sign in at %s\nthen paste the code package the page shows (it starts with {\"endpoint\").\n", page)
	if in.OpenBrowser != nil && !in.NoBrowser {
		if err := in.OpenBrowser(page); err != nil {
			b.logf("browser: %v", err)
		}
	}
	answer, err := in.Prompt(ctx, "Paste code here: ")
	if err != nil {
		return nil, "", err
	}
	pkg, err := flows.ParsePackage(answer)
	if err != nil {
		return nil, "", err
	}
	if err := pkg.CheckTrusted(b.Settings.TrustedHosts()); err != nil {
		return nil, "", err
	}
	tok, err := flows.ExchangePackage(flows.Committed(ctx), cfg, pkg)
	return tok, pkg.Endpoint, err
}
