package broker

import (
	"context"
	"slices"

	"github.com/fourinsight-token/fourinsight-token/flows"
	"golang.org/x/oauth2"
)

// userFlow is the scope base of an interactive sign-in.
func (b *Broker) userFlow() bool { return !b.Settings.ClientFlow() }

// oauthConfig is the x/oauth2 view of the settings, without endpoints.
func (b *Broker) oauthConfig(ctx context.Context, user bool) (*oauth2.Config, error) {
	s := b.Settings
	p := s.Profile
	cfg := &oauth2.Config{ClientID: p.ClientID, ClientSecret: s.ClientSecret, RedirectURL: p.RedirectURL, Scopes: b.scopes(user)}
	// A secret goes in the Authorization header, as the Python client sends
	// it; a public client names itself in the form.
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if cfg.ClientSecret == "" {
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return cfg, nil
}

// scopes are the scopes a user (or else service account) sign-in asks for:
// the flow's base scopes and the profile's.
func (b *Broker) scopes(user bool) []string {
	p := b.Settings.Profile
	var scopes []string
	switch {
	case user && p.Issuer != "":
		scopes = []string{"openid", "offline_access"}
	case !user:
		scopes = slices.Clone(p.ServiceScopes)
	}
	for _, sc := range p.Scopes {
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	return scopes
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
