package broker

import (
	"context"
	"fmt"

	"github.com/fourinsight-token/fourinsight-token/flows"
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
		return nil, "", fmt.Errorf("%w: no token endpoint; set --issuer or --token-url", ErrConfig)
	}
	return nil, ep.Token, fmt.Errorf("the %s flow is not available in this build", flow)
}

var _ = flows.Endpoints{}
