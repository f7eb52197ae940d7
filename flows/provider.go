package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/fourinsight-token/fourinsight-token/flows/urls"
)

// Endpoints are a provider's URLs. Any of them may be empty when the
// provider does not offer that feature.
type Endpoints struct {
	Issuer     string
	Auth       string
	Token      string
	Device     string
	Revocation string
	// Keys (jwks_uri) and SigningAlgs verify ID tokens; empty without discovery.
	Keys        string
	SigningAlgs []string
}

// Discover reads issuer/.well-known/openid-configuration. It is called only
// when a flow needs the network anyway, never on the cached path.
func Discover(ctx context.Context, client *http.Client, issuer string) (Endpoints, error) {
	if err := urls.Check(issuer); err != nil {
		return Endpoints{}, fmt.Errorf("--issuer: %w", err)
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, client), issuer)
	if err != nil {
		if e := explain(err, "OpenID discovery", issuer); e != err {
			return Endpoints{}, e
		}
		return Endpoints{}, fmt.Errorf("%w: OpenID discovery at %s: %v", ErrMalformed, issuer, err)
	}
	var extra struct {
		Revocation  string   `json:"revocation_endpoint"`
		Keys        string   `json:"jwks_uri"`
		SigningAlgs []string `json:"id_token_signing_alg_values_supported"`
	}
	_ = p.Claims(&extra)
	ep := p.Endpoint()
	found := Endpoints{Issuer: issuer, Auth: ep.AuthURL, Token: ep.TokenURL, Device: ep.DeviceAuthURL,
		Revocation: extra.Revocation, Keys: extra.Keys, SigningAlgs: extra.SigningAlgs}
	// The document decides where secrets, codes and refresh tokens go: its
	// endpoints meet the same rule as any configured one.
	for _, e := range []struct{ name, url string }{
		{"authorization_endpoint", found.Auth}, {"token_endpoint", found.Token},
		{"device_authorization_endpoint", found.Device}, {"revocation_endpoint", found.Revocation},
		{"jwks_uri", found.Keys},
	} {
		if e.url == "" {
			continue
		}
		if err := urls.Check(e.url); err != nil {
			return Endpoints{}, fmt.Errorf("%w: the discovery document of %s names a %s that is not allowed: %v; nothing was sent there (fix the discovery document, or set every endpoint explicitly so that it is not read)", ErrUnsafeEndpoint, urls.Show(issuer), e.name, err)
		}
	}
	return found, nil
}

// ErrUnsafeEndpoint: a URL that secrets would be sent to breaks the endpoint
// rules (not https, user info) or names a host the settings do not trust.
// It is a configuration error (exit 2); nothing was sent.
var ErrUnsafeEndpoint = errors.New("endpoint not allowed")
