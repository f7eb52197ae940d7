package broker

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/fourinsight-token/fourinsight-token/flows"
	"golang.org/x/oauth2"
)

// Flow names, as --flow takes them.
const (
	FlowAuto    = "auto"
	FlowClient  = "client"
	FlowPaste   = "paste"
	FlowBrowser = "browser"
	FlowDevice  = "device"
)

// Settings are the provider settings of one call: the profile after config
// file, environment and flags, and the client secret in use.
type Settings struct {
	Profile Profile
	// ClientSecret is the secret sent to the token endpoint: the user's, or
	// the profile's public one.
	ClientSecret string
	// SecretSupplied: the user gave a secret (env, file or config), so the
	// automatic choice is the client-credentials flow.
	SecretSupplied bool
}

type identity struct{ Provider, ClientID string }

// clientFlow reports whether this call signs in as a service account.
func (s Settings) clientFlow() bool {
	f := s.Profile.Flow
	return f == FlowClient || ((f == "" || f == FlowAuto) && s.SecretSupplied)
}

// identity is what an entry records about who made it, to refuse reusing a
// session with another provider or client.
func (s Settings) identity() identity {
	p := s.Profile
	if s.clientFlow() {
		return identity{first(p.Issuer, p.ServiceTokenURL, p.TokenURL), p.ClientID}
	}
	return identity{first(p.Issuer, p.SignInURL, p.AuthURL, p.TokenURL), p.ClientID}
}

// Validate checks what can be checked without the network.
func (s Settings) Validate() error {
	p := s.Profile
	switch p.Flow {
	case "", FlowAuto, FlowClient, FlowPaste, FlowBrowser, FlowDevice:
	default:
		return fmt.Errorf("%w: unknown flow %q (use auto, paste, browser, device or client)", ErrConfig, p.Flow)
	}
	for _, u := range []struct{ name, v string }{
		{"issuer", p.Issuer}, {"auth-url", p.AuthURL}, {"token-url", p.TokenURL},
		{"device-auth-url", p.DeviceAuthURL}, {"revocation_url", p.RevocationURL},
		{"signin_url", p.SignInURL}, {"service_token_url", p.ServiceTokenURL},
	} {
		if u.v == "" {
			continue
		}
		if err := flows.CheckURL(u.v); err != nil {
			return fmt.Errorf("%w: --%s: %v", ErrConfig, u.name, err)
		}
	}
	if p.RedirectURL != "" {
		if err := flows.CheckRedirectURL(p.RedirectURL); err != nil {
			return fmt.Errorf("%w: --redirect-url: %v", ErrConfig, err)
		}
	}
	if p.ClientID == "" {
		return fmt.Errorf("%w: no client id; set --client-id or FOURINSIGHT_CLIENT_ID, or use a profile that has one", ErrConfig)
	}
	if s.clientFlow() && s.ClientSecret == "" {
		return fmt.Errorf("%w: the client flow needs a client secret; set FOURINSIGHT_CLIENT_SECRET or --client-secret-file", ErrConfig)
	}
	if s.clientFlow() && first(p.Issuer, p.ServiceTokenURL, p.TokenURL) == "" {
		return fmt.Errorf("%w: the client flow needs --token-url or --issuer", ErrConfig)
	}
	return nil
}

// trustedHosts are the hosts a pasted token endpoint may name: the hosts of
// the profile's own URLs and the ones it (or --trust-host) lists.
func (s Settings) trustedHosts() []string {
	p := s.Profile
	hosts := slices.Clone(p.TrustHosts)
	for _, raw := range []string{p.Issuer, p.AuthURL, p.TokenURL, p.DeviceAuthURL, p.RevocationURL, p.SignInURL, p.ServiceTokenURL} {
		if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
			hosts = append(hosts, u.Hostname())
		}
	}
	return hosts
}

// userFlow is the scope base of an interactive sign-in.
func (b *Broker) userFlow() bool { return !b.Settings.clientFlow() }

// oauthConfig is the x/oauth2 view of the settings, without endpoints.
func (b *Broker) oauthConfig(ctx context.Context, user bool) (*oauth2.Config, error) {
	s := b.Settings
	p := s.Profile
	cfg := &oauth2.Config{ClientID: p.ClientID, ClientSecret: s.ClientSecret, RedirectURL: p.RedirectURL}
	switch {
	case user && p.Issuer != "":
		cfg.Scopes = []string{"openid", "offline_access"}
	case !user:
		cfg.Scopes = slices.Clone(p.ServiceScopes)
	}
	for _, sc := range p.Scopes {
		if !slices.Contains(cfg.Scopes, sc) {
			cfg.Scopes = append(cfg.Scopes, sc)
		}
	}
	// A secret goes in the Authorization header, as the Python client sends
	// it; a public client names itself in the form.
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if cfg.ClientSecret == "" {
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return cfg, nil
}

// resolveEndpoints fills the provider's URLs: explicit ones win, the rest
// come from OpenID discovery, done at most once and only when needed.
func (b *Broker) resolveEndpoints(ctx context.Context) (flows.Endpoints, error) {
	if b.endpoints != nil {
		return *b.endpoints, nil
	}
	p := b.Settings.Profile
	ep := flows.Endpoints{Issuer: p.Issuer}
	explicit := p.AuthURL != "" && p.TokenURL != "" && p.DeviceAuthURL != "" && p.RevocationURL != ""
	if p.Issuer != "" && !explicit {
		ctx, err := b.withHTTP(ctx)
		if err != nil {
			return ep, err
		}
		b.logf("discovery: %s/.well-known/openid-configuration", p.Issuer)
		ep, err = flows.Discover(ctx, b.httpClient, p.Issuer)
		if err != nil {
			return ep, err
		}
	}
	over := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	over(&ep.Auth, p.AuthURL)
	over(&ep.Token, p.TokenURL)
	over(&ep.Device, p.DeviceAuthURL)
	over(&ep.Revocation, p.RevocationURL)
	b.endpoints = &ep
	return ep, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
