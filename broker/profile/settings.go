package profile

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

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
	// SecretGiven: the secret came with this call (--client-secret-file or
	// FOURINSIGHT_CLIENT_SECRET), not from a profile.
	SecretGiven bool
	// Chosen is what the user chose for this call. When it names no
	// provider, a session made with other settings is used with the
	// settings it recorded (see ForEntry).
	Chosen Choice
	// SecretRequired: the session in use was made by a client that sends a
	// secret, and none is at hand (see CheckSecret).
	SecretRequired bool
}

// Choice is what flags, environment and config said explicitly about the
// provider, as opposed to the built-in defaults.
type Choice struct {
	// Profile: --profile, FOURINSIGHT_PROFILE, or the config file's
	// default_profile (then ByConfig).
	Profile  string
	ByConfig bool
	// Provider settings given by flag or environment variable.
	Issuer, AuthURL, TokenURL, DeviceAuthURL, SignInURL, ClientID string
	// Flow is --flow or FOURINSIGHT_FLOW; it chooses no provider.
	Flow string
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
		return Identity{cmp.Or(p.Issuer, p.ServiceTokenURL, p.TokenURL), p.ClientID}
	}
	return Identity{cmp.Or(p.Issuer, p.SignInURL, p.AuthURL, p.TokenURL), p.ClientID}
}

// Validate checks what can be checked without the network.
func (s Settings) Validate() error {
	p := s.Profile
	switch p.Flow {
	case "", FlowAuto, FlowClient, FlowPaste, FlowBrowser, FlowDevice:
	default:
		return fmt.Errorf("%w: unknown flow %q (use auto, paste, browser, device or client)", ErrConfig, p.Flow)
	}
	if err := s.checkURLs(); err != nil {
		return err
	}
	if p.ClientID == "" {
		return fmt.Errorf("%w: no client id; set --client-id or FOURINSIGHT_CLIENT_ID, or use a profile that has one", ErrConfig)
	}
	if s.ClientFlow() && s.ClientSecret == "" {
		return fmt.Errorf("%w: the client flow needs a client secret; set FOURINSIGHT_CLIENT_SECRET or --client-secret-file", ErrConfig)
	}
	if s.ClientFlow() && cmp.Or(p.Issuer, p.ServiceTokenURL, p.TokenURL) == "" {
		return fmt.Errorf("%w: the client flow needs --token-url or --issuer", ErrConfig)
	}
	return nil
}

// checkURLs applies the URL rules (https, or http on loopback) to every
// provider URL of the settings.
func (s Settings) checkURLs() error {
	p := s.Profile
	for _, u := range []struct{ name, v string }{
		{"issuer", p.Issuer}, {"auth-url", p.AuthURL}, {"token-url", p.TokenURL},
		{"device-auth-url", p.DeviceAuthURL}, {"revocation_url", p.RevocationURL},
		{"signin-url", p.SignInURL}, {"service_token_url", p.ServiceTokenURL}, {"api-base", p.APIBase},
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

// ForEntry returns the settings to use the session's entry with:
//   - these settings, for an entry without a record (the Python client's),
//     or one whose record names the same provider and client;
//   - an entry whose record no longer describes its tokens (the Python
//     client signed in again under it) is the Python client's: its record
//     is dropped from e and these settings are used;
//   - the recorded settings, when the user chose no provider for this call
//     (adopted is true): a session made with --issuer X --client-id Y is
//     served, refreshed and revoked as X and Y without repeating them (its
//     token_url is trusted, before a refresh, by these settings' hosts);
//   - ErrMismatch, with what to run instead, when the provider or client
//     chosen explicitly contradicts the record.
//
// The cheap case (same provider and client) reads no more than the record;
// only a record for other settings is checked against the tokens (a hash).
func (s Settings) ForEntry(key string, e *store.Entry) (use Settings, adopted bool, err error) {
	m := e.Meta
	if m == nil {
		return s, false, nil
	}
	if id := s.Identity(); m.Provider == id.Provider && m.ClientID == id.ClientID {
		return s, false, nil
	}
	if !e.Bound() {
		e.Meta = nil // the Python client's entry now
		return s, false, nil
	}
	if s.Chosen.Profile != "" || s.Chosen.contradicts(m) || !recordsSettings(m) {
		return s, false, s.mismatch(key, m)
	}
	r, err := s.Recorded(m)
	if err != nil {
		return s, false, fmt.Errorf("%w: session %s: %v", ErrConfig, store.SessionName(key), err)
	}
	return r, true, nil
}

// contradicts reports whether a provider setting chosen explicitly differs
// from the one recorded.
func (c Choice) contradicts(m *store.Meta) bool {
	differs := func(chosen, recorded string) bool { return chosen != "" && chosen != recorded }
	return differs(c.Issuer, m.Issuer) || differs(c.AuthURL, m.AuthURL) || differs(c.TokenURL, m.TokenURL) ||
		differs(c.DeviceAuthURL, m.DeviceAuthURL) || differs(c.SignInURL, m.SignInURL) || differs(c.ClientID, m.ClientID)
}

// recordsSettings: the record keeps the provider settings (records written
// before they were kept name only the provider and client).
func recordsSettings(m *store.Meta) bool {
	return m.ClientID != "" && (m.Issuer != "" || m.AuthURL != "" || m.TokenURL != "" || m.SignInURL != "")
}

// Recorded returns the settings a session was made with: the recorded
// provider, client, scopes and trusted hosts over this call's other
// settings (cache, timeouts, --flow). A secret is never recorded: for a
// client that sent one, the one given with this call is used, or the
// profile's when the record names the profile's own client; one that needs
// a secret and has none is reported when the provider is asked
// (CheckSecret). A public client is sent none. Recorded URLs pass the same
// rules as any other.
func (s Settings) Recorded(m *store.Meta) (Settings, error) {
	if !recordsSettings(m) {
		return s, errors.New("its record names no provider settings (it was made by an older fourinsight-token)")
	}
	p := s.Profile
	p.Name = m.Profile
	p.Issuer, p.AuthURL, p.TokenURL, p.DeviceAuthURL = m.Issuer, m.AuthURL, m.TokenURL, m.DeviceAuthURL
	p.RevocationURL, p.SignInURL, p.ClientID, p.APIBase = m.RevocationURL, m.SignInURL, m.ClientID, m.APIBase
	p.Scopes, p.TrustHosts = slices.Clone(m.Scopes), slices.Clone(m.TrustHosts)
	p.ServiceTokenURL, p.ServiceScopes = "", nil
	p.ClientSecretFile, p.ClientSecret, p.PublicClientSecret = "", "", ""
	p.Flow = s.Chosen.Flow
	if m.Flow == FlowClient {
		p.Flow = FlowClient // a service account's session signs in as one again
	}
	r := Settings{Profile: p, Chosen: s.Chosen}
	if m.Confidential && (s.SecretGiven || m.ClientID == s.Profile.ClientID) {
		r.ClientSecret, r.SecretGiven = s.ClientSecret, s.SecretGiven
	}
	r.SecretSupplied = r.ClientSecret != "" && p.Flow == FlowClient
	r.SecretRequired = m.Confidential && r.ClientSecret == ""
	if err := r.checkURLs(); err != nil {
		return s, err
	}
	return r, nil
}

// CheckSecret reports a client secret that the session's client needs and
// this call does not have, before the provider is asked without it.
func (s Settings) CheckSecret(key string) error {
	if !s.SecretRequired {
		return nil
	}
	via := "set FOURINSIGHT_CLIENT_SECRET or --client-secret-file"
	if n := s.Profile.Name; n != "" && n != CustomProfile {
		via = "run with --profile " + n + ", or " + via
	}
	return fmt.Errorf("%w: session %s was made by client %s of %s, which sends a client secret; %s",
		ErrConfig, store.SessionName(key), s.Profile.ClientID, s.Identity().Provider, via)
}

// mismatch says whose session it is and how to use it: without provider
// settings, with the recorded ones, or replaced by a new sign-in.
func (s Settings) mismatch(key string, m *store.Meta) error {
	want := s.Identity()
	run := "to use it, run without provider settings, or with "
	if s.Chosen.ByConfig {
		run = "to use it, run with " // the config file's default_profile chooses one anyway
	}
	var use string
	switch {
	case !recordsSettings(m):
		use = "to use it, run with the settings it was made with"
	case m.Profile != "" && m.Profile != CustomProfile:
		use = run + "--profile " + m.Profile
	default:
		use = run + recordedFlags(m)
	}
	return fmt.Errorf("%w: session %s was signed in at %s as client %s, but the current settings name %s as client %s; %s; to replace it, run: fourinsight-token login -f%s; or use another --session",
		ErrMismatch, store.SessionName(key), m.Provider, m.ClientID, want.Provider, want.ClientID, use, store.SessionArgs(key))
}

// recordedFlags are the provider flags that name the recorded settings.
func recordedFlags(m *store.Meta) string {
	var f []string
	switch {
	case m.Issuer != "":
		f = append(f, "--issuer "+m.Issuer)
	case m.SignInURL != "":
		f = append(f, "--signin-url "+m.SignInURL)
	default:
		if m.AuthURL != "" {
			f = append(f, "--auth-url "+m.AuthURL)
		}
		if m.TokenURL != "" {
			f = append(f, "--token-url "+m.TokenURL)
		}
	}
	return strings.Join(append(f, "--client-id "+m.ClientID), " ")
}

// CustomProfile names the settings of a provider given by flags alone.
const CustomProfile = "custom"

func checkRedirect(raw string) error {
	_, _, err := urls.Redirect(raw)
	return err
}

// RenewAhead reports whether a served entry should be renewed in the
// background: it is inside the refresh-ahead window (store.InRefreshAhead),
// and there is something to renew it with that needs no person — a
// refresh token, or the client credentials of a service account. The fast
// front and the full command line both decide with this.
func (s Settings) RenewAhead(e *store.Entry, ahead time.Duration, now time.Time) bool {
	return e != nil && (e.RefreshToken != "" || s.ClientFlow()) && e.InRefreshAhead(ahead, now)
}

// Decision is the cache's answer for one call.
type Decision struct {
	// Use: the settings the entry is used with — these, or the session's
	// recorded ones (Adopted) when no provider was chosen explicitly.
	Use     Settings
	Adopted bool
	// Serve: the entry's token stays valid for the call's --min-valid.
	Serve bool
	// RenewAhead: served, and inside the refresh-ahead window with a way to
	// renew it that needs no person: start a background refresh.
	RenewAhead bool
}

// Decide is the one answer to "can the cache serve this call?", given by
// the fast front and by the broker alike: whose settings the entry is used
// with (ForEntry: an error when the settings chosen explicitly contradict
// the entry's record), whether it stays valid for minValid at now, and
// whether to renew it ahead of its expiry (window ahead). A nil entry
// serves nothing.
func (s Settings) Decide(key string, e *store.Entry, minValid, ahead time.Duration, now time.Time) (Decision, error) {
	d := Decision{Use: s}
	if e == nil {
		return d, nil
	}
	var err error
	if d.Use, d.Adopted, err = s.ForEntry(key, e); err != nil {
		return Decision{Use: s}, err
	}
	d.Serve = e.ValidFor(minValid, now)
	d.RenewAhead = d.Serve && d.Use.RenewAhead(e, ahead, now)
	return d, nil
}
