package flows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fourinsight-token/fourinsight-token/flows/urls"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"golang.org/x/oauth2"
)

// DeviceOptions say how the device flow talks to the person.
type DeviceOptions struct {
	// Out receives the verification address and the user code (stderr).
	Out  io.Writer
	Logf Logf
}

// Device signs a person in with the device authorization grant (RFC 8628):
// it asks the provider for a user code, prints where to enter it, and polls
// the token endpoint (honouring interval and slow_down, through x/oauth2)
// until the person approves or denies, the code expires, or ctx ends. cfg
// needs the device authorization and token endpoints; ctx carries the
// provider HTTP client (WithClient).
//
// No QR code is drawn: every small Go QR encoder found pulls in image/png or
// builds tables at program start, which would cost every cached call.
func Device(ctx context.Context, cfg *oauth2.Config, o DeviceOptions) (*oauth2.Token, error) {
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		return nil, explain(err, "the device authorization endpoint", cfg.Endpoint.DeviceAuthURL)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, fmt.Errorf("%w: the device authorization endpoint at %s sent no device code, user code or verification address", ErrMalformed, hostOf(cfg.Endpoint.DeviceAuthURL))
	}
	if err := urls.Check(da.VerificationURI); err != nil {
		return nil, fmt.Errorf("%w: the verification address the provider sent: %v", ErrMalformed, err)
	}
	expires := ""
	if !da.Expiry.IsZero() {
		expires = fmt.Sprintf(" (the code expires in %s)", HumanDuration(time.Until(da.Expiry)))
	}
	fmt.Fprintf(o.Out, "To sign in, open this address in a browser on any device:\n\n    %s\n\nand enter the code:  %s\n\n", da.VerificationURI, printable.Cut(da.UserCode, 40))
	if da.VerificationURIComplete != "" && urls.Check(da.VerificationURIComplete) == nil {
		fmt.Fprintf(o.Out, "(or open %s, which fills in the code)\n\n", da.VerificationURIComplete)
	}
	fmt.Fprintf(o.Out, "Waiting for you to approve the sign-in%s…\n", expires)
	if o.Logf != nil {
		interval := da.Interval
		if interval <= 0 {
			interval = 5 // RFC 8628 §3.2
		}
		o.Logf("device: polling the token endpoint at %s every %ds", hostOf(cfg.Endpoint.TokenURL), interval)
	}

	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err == nil {
		return issued(tok, nil, "the token endpoint", cfg.Endpoint.TokenURL)
	}
	var re *oauth2.RetrieveError
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w: %w", ErrNotCompleted, ctx.Err())
	case errors.Is(err, context.DeadlineExceeded):
		// x/oauth2 stops polling at expires_in.
		return nil, TimedOut("the device code expired before the sign-in was approved; run fourinsight-token login to get a new one", err)
	case errors.As(err, &re) && re.ErrorCode == "access_denied":
		return nil, &ProviderError{Code: "access_denied", Description: "the sign-in was denied on the verification page", Status: statusOf(re)}
	case errors.As(err, &re) && re.ErrorCode == "expired_token":
		return nil, TimedOut("the device code expired before the sign-in was approved; run fourinsight-token login to get a new one", err)
	}
	return nil, explain(err, "the token endpoint", cfg.Endpoint.TokenURL)
}

func statusOf(re *oauth2.RetrieveError) int {
	if re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}
