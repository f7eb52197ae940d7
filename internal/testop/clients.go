package testop

import (
	"net/url"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The clients and the user every Provider knows. They are fixed so tests,
// scripts and the demo binary can name them without asking the provider.
const (
	// ServiceClientID is a confidential client for the client_credentials
	// grant (machine-to-machine, like a 4insight service principal).
	// It authenticates with client_secret_basic or client_secret_post.
	ServiceClientID     = "fourinsight-test-service"
	ServiceClientSecret = "test-service-secret"

	// UserClientID is the confidential client behind the emulated 4insight
	// sign-in page (the paste flow): authorization_code + refresh_token.
	// Its token requests may omit redirect_uri, as 4insight's do.
	UserClientID     = "fourinsight-test-user"
	UserClientSecret = "test-user-secret"

	// NativeClientID is a public client (no secret, PKCE S256 required) for
	// the browser flow. Any loopback redirect URI on any port is accepted
	// (RFC 8252 §7.3), e.g. http://127.0.0.1:53123/callback.
	NativeClientID = "fourinsight-test-native"

	// DeviceClientID is a public client for the device authorization grant
	// (RFC 8628), with refresh tokens.
	DeviceClientID = "fourinsight-test-device"

	// TestUsername and TestPassword sign in the only user.
	TestUsername = "test.user@example.com"
	TestPassword = "test-password"
	// TestUserSubject is the "sub" of tokens issued to the test user.
	// Client-credentials tokens carry the client id as "sub" instead.
	TestUserSubject = "test-user"
)

// Paths this package serves besides the OP's own endpoints.
const (
	loginPath        = "/login"
	devicePath       = "/device"
	authPagePath     = "/auth"
	authCallbackPath = "/auth/callback" // the user client's redirect_uri
)

// client implements op.Client and op.HasRedirectGlobs.
type client struct {
	id            string
	secret        string // empty for public clients
	appType       op.ApplicationType
	authMethod    oidc.AuthMethod
	redirectURIs  []string
	redirectGlobs []string
	grantTypes    []oidc.GrantType
}

// newClients registers the fixed clients; issuer is needed for the user
// client's redirect URI, which lives on the provider itself.
func newClients(issuer string) map[string]*client {
	cs := []*client{
		{
			id: ServiceClientID, secret: ServiceClientSecret,
			appType: op.ApplicationTypeWeb, authMethod: oidc.AuthMethodBasic,
			grantTypes: []oidc.GrantType{oidc.GrantTypeClientCredentials},
		},
		{
			id: UserClientID, secret: UserClientSecret,
			appType: op.ApplicationTypeWeb, authMethod: oidc.AuthMethodBasic,
			redirectURIs: []string{issuer + authCallbackPath},
			grantTypes:   []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken},
		},
		{
			id: NativeClientID, appType: op.ApplicationTypeNative, authMethod: oidc.AuthMethodNone,
			// The library already ignores the port of a registered loopback
			// URI; the globs also allow any path, so the CLI may pick its own.
			redirectURIs: []string{"http://127.0.0.1/callback", "http://localhost/callback"},
			redirectGlobs: []string{
				"http://127.0.0.1:*/**", "http://localhost:*/**", `http://\[::1\]:*/**`,
			},
			grantTypes: []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken},
		},
		{
			id: DeviceClientID, appType: op.ApplicationTypeNative, authMethod: oidc.AuthMethodNone,
			grantTypes: []oidc.GrantType{oidc.GrantTypeDeviceCode, oidc.GrantTypeRefreshToken},
		},
	}
	m := make(map[string]*client, len(cs))
	for _, c := range cs {
		m[c.id] = c
	}
	return m
}

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return c.redirectURIs }
func (c *client) PostLogoutRedirectURIs() []string    { return nil }
func (c *client) ApplicationType() op.ApplicationType { return c.appType }
func (c *client) AuthMethod() oidc.AuthMethod         { return c.authMethod }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType { return c.grantTypes }
func (c *client) LoginURL(authRequestID string) string {
	return loginPath + "?authRequestID=" + url.QueryEscape(authRequestID)
}

// AccessTokenType is JWT for every client, as with most hosted providers;
// a JWT also lets the CLI read "exp" if it wants to.
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (c *client) IDTokenLifetime() time.Duration      { return time.Hour }
func (c *client) DevMode() bool                       { return false }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed accepts any custom scope (e.g. an API scope the CLI is
// configured with); the library itself keeps the standard OIDC scopes.
func (c *client) IsScopeAllowed(string) bool           { return true }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) RedirectURIGlobs() []string           { return c.redirectGlobs }
func (c *client) PostLogoutRedirectURIGlobs() []string { return nil }
