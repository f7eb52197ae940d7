package flows

import (
	"context"
	"fmt"
	"github.com/fourinsight-token/fourinsight-token/flows/urls"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
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
	if err := CheckURL(issuer); err != nil {
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
	return Endpoints{Issuer: issuer, Auth: ep.AuthURL, Token: ep.TokenURL, Device: ep.DeviceAuthURL,
		Revocation: extra.Revocation, Keys: extra.Keys, SigningAlgs: extra.SigningAlgs}, nil
}

// CheckURL accepts https URLs, and plain http only for loopback hosts, where
// nothing crosses a network.
func CheckURL(raw string) error { return urls.Check(raw) }

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool { return urls.IsLoopback(host) }
