package profile

import (
	"errors"
	"fmt"
	"net/url"
	"slices"

	"github.com/fourinsight-token/fourinsight-token/flows/urls"
	"github.com/fourinsight-token/fourinsight-token/store"
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

// Identity is who made an entry: the provider (issuer, sign-in page or token
// URL) and the client id. An entry is used only with the identity it records.
type Identity struct{ Provider, ClientID string }

// ClientFlow reports whether this call signs in as a service account.
func (s Settings) ClientFlow() bool {
	f := s.Profile.Flow
	return f == FlowClient || ((f == "" || f == FlowAuto) && s.SecretSupplied)
}

// Identity is what an entry records about who made it, to refuse reusing a
// session with another provider or client.
func (s Settings) Identity() Identity {
	p := s.Profile
	if s.ClientFlow() {
		return Identity{first(p.Issuer, p.ServiceTokenURL, p.TokenURL), p.ClientID}
	}
	return Identity{first(p.Issuer, p.SignInURL, p.AuthURL, p.TokenURL), p.ClientID}
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
		{"signin_url", p.SignInURL}, {"service_token_url", p.ServiceTokenURL}, {"api-base", p.APIBase},
	} {
		if u.v == "" {
			continue
		}
		if err := urls.Check(u.v); err != nil {
			return fmt.Errorf("%w: --%s: %v", ErrConfig, u.name, err)
		}
	}
	if p.RedirectURL != "" {
		if err := checkRedirect(p.RedirectURL); err != nil {
			return fmt.Errorf("%w: --redirect-url: %v", ErrConfig, err)
		}
	}
	if p.ClientID == "" {
		return fmt.Errorf("%w: no client id; set --client-id or FOURINSIGHT_CLIENT_ID, or use a profile that has one", ErrConfig)
	}
	if s.ClientFlow() && s.ClientSecret == "" {
		return fmt.Errorf("%w: the client flow needs a client secret; set FOURINSIGHT_CLIENT_SECRET or --client-secret-file", ErrConfig)
	}
	if s.ClientFlow() && first(p.Issuer, p.ServiceTokenURL, p.TokenURL) == "" {
		return fmt.Errorf("%w: the client flow needs --token-url or --issuer", ErrConfig)
	}
	return nil
}

// TrustedHosts are the hosts a pasted token endpoint may name: the hosts of
// the profile's own URLs and the ones it (or --trust-host) lists.
func (s Settings) TrustedHosts() []string {
	p := s.Profile
	hosts := slices.Clone(p.TrustHosts)
	for _, raw := range []string{p.Issuer, p.AuthURL, p.TokenURL, p.DeviceAuthURL, p.RevocationURL, p.SignInURL, p.ServiceTokenURL} {
		if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
			hosts = append(hosts, u.Hostname())
		}
	}
	return hosts
}

// ErrMismatch: the session was made for another provider or client (exit 2).
var ErrMismatch = errors.New("session belongs to other settings")

// CheckOwner refuses an entry this tool made for another provider or client.
// Entries from the Python client carry no record and are used as they are.
func (s Settings) CheckOwner(key string, e *store.Entry) error {
	if e.Meta == nil {
		return nil
	}
	want := s.Identity()
	if e.Meta.Provider == want.Provider && e.Meta.ClientID == want.ClientID {
		return nil
	}
	return fmt.Errorf("%w: session %s was signed in at %s as client %s, but the current settings name %s as client %s; use another --session, or run: fourinsight-token logout %s",
		ErrMismatch, SessionName(key), e.Meta.Provider, e.Meta.ClientID, want.Provider, want.ClientID, SessionFlag(key))
}

// SessionName renders a session key for messages.
func SessionName(key string) string {
	if key == "" {
		return "(default)"
	}
	return key
}

// SessionFlag is the flag that selects the session in a suggested command.
func SessionFlag(key string) string {
	if key == "" {
		return ""
	}
	return "-s " + key
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func checkRedirect(raw string) error {
	_, _, err := urls.Redirect(raw)
	return err
}
