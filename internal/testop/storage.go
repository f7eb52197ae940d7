package testop

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is the in-memory op.Storage behind a Provider. The library's
// example storage was not used because it keeps clients in package globals
// and hard-codes the access token lifetime. Everything is guarded by mu and
// the op package only ever gets copies, so handlers never race.
type storage struct {
	mu                  sync.Mutex
	clients             map[string]*client
	accessLifetime      time.Duration
	refreshLifetime     time.Duration
	revokeFamilyOnReuse bool

	authRequests  map[string]*authRequest
	codes         map[string]string // code -> auth request id
	accessTokens  map[string]*accessToken
	refreshTokens map[string]*refreshToken // by token value
	devices       map[string]*deviceGrant  // by device code
	userCodes     map[string]string        // user code -> device code
}

var _ interface {
	op.Storage
	op.ClientCredentialsStorage
	op.DeviceAuthorizationStorage
	op.CanSetUserinfoFromRequest
} = (*storage)(nil)

func newStorage(clients map[string]*client, opts Options) *storage {
	return &storage{
		clients:             clients,
		accessLifetime:      opts.AccessTokenLifetime,
		refreshLifetime:     opts.RefreshTokenLifetime,
		revokeFamilyOnReuse: opts.RevokeFamilyOnReuse,
		authRequests:        map[string]*authRequest{},
		codes:               map[string]string{},
		accessTokens:        map[string]*accessToken{},
		refreshTokens:       map[string]*refreshToken{},
		devices:             map[string]*deviceGrant{},
		userCodes:           map[string]string{},
	}
}

var errNotFound = errors.New("not found")

// --- authorization requests (code flow) ---

// authRequest implements op.AuthRequest.
type authRequest struct {
	id       string
	req      oidc.AuthRequest
	subject  string
	authTime time.Time
	done     bool
	code     string
}

func (a *authRequest) GetID() string         { return a.id }
func (a *authRequest) GetACR() string        { return "" }
func (a *authRequest) GetAudience() []string { return []string{a.req.ClientID} }
func (a *authRequest) GetAuthTime() time.Time {
	return a.authTime
}
func (a *authRequest) GetClientID() string { return a.req.ClientID }
func (a *authRequest) GetAMR() []string {
	if a.done {
		return []string{"pwd"}
	}
	return nil
}
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.req.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.req.CodeChallenge, Method: a.req.CodeChallengeMethod}
}
func (a *authRequest) GetNonce() string                   { return a.req.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.req.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.req.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.req.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.req.Scopes }
func (a *authRequest) GetState() string                   { return a.req.State }
func (a *authRequest) GetSubject() string                 { return a.subject }
func (a *authRequest) Done() bool                         { return a.done }

func (a *authRequest) clone() *authRequest {
	c := *a
	c.req.Scopes = slices.Clone(a.req.Scopes)
	return &c
}

func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &authRequest{id: rand.Text(), req: *req, subject: userID}
	a.req.Scopes = slices.Clone(req.Scopes)
	s.authRequests[a.id] = a
	return a.clone(), nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authRequests[id]
	if !ok {
		return nil, errNotFound
	}
	return a.clone(), nil
}

func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authRequests[s.codes[code]]
	if !ok {
		return nil, errNotFound
	}
	return a.clone(), nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authRequests[id]
	if !ok {
		return errNotFound
	}
	a.code = code
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs after a code was exchanged, which makes codes single-use.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.authRequests[id]; ok {
		delete(s.codes, a.code)
		delete(s.authRequests, id)
	}
	return nil
}

// completeAuthRequest records a successful login on the login page.
func (s *storage) completeAuthRequest(id, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authRequests[id]
	if !ok {
		return errors.New("unknown or finished authorization request")
	}
	a.subject, a.authTime, a.done = subject, time.Now(), true
	return nil
}

func (s *storage) authRequestExists(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.authRequests[id]
	return ok
}

// --- tokens ---

type accessToken struct {
	id, clientID, subject string
	scopes, audience      []string
	expiration            time.Time
	refreshToken          string // issued together with it, if any
}

type refreshToken struct {
	token, clientID, subject string
	family                   string // all tokens rotated from one grant
	scopes, audience, amr    []string
	authTime, expiration     time.Time
	used                     bool // rotated away: presenting it again is reuse
}

// refreshTokenRequest implements op.RefreshTokenRequest.
type refreshTokenRequest struct {
	rt     refreshToken
	scopes []string // narrowed by the request's scope parameter, if any
}

func (r *refreshTokenRequest) GetAMR() []string            { return r.rt.amr }
func (r *refreshTokenRequest) GetAudience() []string       { return r.rt.audience }
func (r *refreshTokenRequest) GetAuthTime() time.Time      { return r.rt.authTime }
func (r *refreshTokenRequest) GetClientID() string         { return r.rt.clientID }
func (r *refreshTokenRequest) GetScopes() []string         { return r.scopes }
func (r *refreshTokenRequest) GetSubject() string          { return r.rt.subject }
func (r *refreshTokenRequest) SetCurrentScopes(s []string) { r.scopes = s }

// clientCredentialsRequest implements op.TokenRequest for client_credentials.
type clientCredentialsRequest struct {
	clientID string
	scopes   []string
}

func (r *clientCredentialsRequest) GetSubject() string    { return r.clientID }
func (r *clientCredentialsRequest) GetAudience() []string { return []string{r.clientID} }
func (r *clientCredentialsRequest) GetScopes() []string   { return r.scopes }
func (r *clientCredentialsRequest) GetClientID() string   { return r.clientID }

func clientIDOf(req op.TokenRequest) string {
	if r, ok := req.(interface{ GetClientID() string }); ok {
		return r.GetClientID()
	}
	return ""
}

// expiryMargin makes expires_in come out as the configured lifetime: the
// library reports the whole seconds left when it answers, rounded down, so
// without it a 5m token would say 299. Tokens are honoured for the margin
// longer than they claim, so a client going by expires_in never races them.
const expiryMargin = 500 * time.Millisecond

func (s *storage) newAccessTokenLocked(req op.TokenRequest, refresh string) *accessToken {
	at := &accessToken{
		id:           rand.Text(),
		clientID:     clientIDOf(req),
		subject:      req.GetSubject(),
		scopes:       slices.Clone(req.GetScopes()),
		audience:     slices.Clone(req.GetAudience()),
		expiration:   time.Now().Add(s.accessLifetime + expiryMargin),
		refreshToken: refresh,
	}
	s.accessTokens[at.id] = at
	return at
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.newAccessTokenLocked(req, "")
	return at.id, at.expiration, nil
}

// CreateAccessAndRefreshTokens rotates refresh tokens: the presented one is
// marked used (checked again here, under the lock, so two concurrent
// refreshes with one token cannot both win) and a new one is issued.
func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := &refreshToken{
		token:      rand.Text() + rand.Text(),
		clientID:   clientIDOf(req),
		subject:    req.GetSubject(),
		family:     rand.Text(),
		scopes:     slices.Clone(req.GetScopes()),
		audience:   slices.Clone(req.GetAudience()),
		expiration: time.Now().Add(s.refreshLifetime),
	}
	if r, ok := req.(interface {
		GetAMR() []string
		GetAuthTime() time.Time
	}); ok {
		rt.amr, rt.authTime = slices.Clone(r.GetAMR()), r.GetAuthTime()
	}
	if current != "" {
		old, ok := s.refreshTokens[current]
		if !ok || old.used || time.Now().After(old.expiration) {
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token is invalid, used or revoked")
		}
		old.used = true
		rt.family = old.family
		rt.scopes = slices.Clone(old.scopes) // a narrowed request keeps the grant's scope
	}
	s.refreshTokens[rt.token] = rt
	at := s.newAccessTokenLocked(req, rt.token)
	return at.id, rt.token, at.expiration, nil
}

func (s *storage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refreshTokens[token]
	switch {
	case !ok:
		return nil, errors.New("unknown or revoked refresh token")
	case rt.used:
		if s.revokeFamilyOnReuse {
			s.revokeFamilyLocked(rt.family)
		}
		return nil, errors.New("refresh token was already used (rotated)")
	case time.Now().After(rt.expiration):
		return nil, errors.New("refresh token expired")
	}
	c := *rt
	return &refreshTokenRequest{rt: c, scopes: slices.Clone(rt.scopes)}, nil
}

// revokeFamilyLocked forgets every refresh token of one grant and the access
// tokens issued with them.
func (s *storage) revokeFamilyLocked(family string) {
	for tok, rt := range s.refreshTokens {
		if rt.family != family {
			continue
		}
		delete(s.refreshTokens, tok)
		for id, at := range s.accessTokens {
			if at.refreshToken == tok {
				delete(s.accessTokens, id)
			}
		}
	}
}

func (s *storage) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refreshTokens[token]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rt.subject, rt.token, nil // the token is its own id
}

// RevokeToken implements RFC 7009: revoking a refresh token revokes its whole
// grant (§2.1 SHOULD); unknown tokens are not an error (§2.2).
func (s *storage) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.refreshTokens[tokenOrID]; ok {
		if rt.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		s.revokeFamilyLocked(rt.family)
		return nil
	}
	if at, ok := s.accessTokens[tokenOrID]; ok {
		if at.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.accessTokens, tokenOrID)
	}
	return nil
}

func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rt := range s.refreshTokens {
		if rt.subject == userID && rt.clientID == clientID {
			s.revokeFamilyLocked(rt.family)
		}
	}
	return nil
}

// liveAccessToken returns a copy of an unrevoked, unexpired access token.
func (s *storage) liveAccessToken(id string) (accessToken, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.accessTokens[id]
	if !ok || time.Now().After(at.expiration) {
		return accessToken{}, false
	}
	return *at, true
}

// --- keys ---

// signingKey is one RSA key shared by all providers of a process: RS256 is
// what every client verifies by default, and generating 2048-bit keys per
// test would be slow, especially under -race.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

var (
	keyOnce   sync.Once
	sharedKey *signingKey
	keyErr    error
)

func processKey() (*signingKey, error) {
	keyOnce.Do(func() {
		var k *rsa.PrivateKey
		k, keyErr = rsa.GenerateKey(rand.Reader, 2048)
		sharedKey = &signingKey{id: "testop-" + rand.Text()[:8], key: k}
	})
	return sharedKey, keyErr
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct{ *signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return processKey() }
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}
func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	k, err := processKey()
	if err != nil {
		return nil, err
	}
	return []op.Key{publicKey{k}}, nil
}

// --- clients ---

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.clients[id] // never written after Start
	if !ok {
		// An *oidc.Error, so an unknown client answers invalid_client (401)
		// on every path, not server_error.
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	return c, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.clients[id]
	switch {
	case !ok:
		return errors.New("unknown client")
	case c.secret == "":
		return errors.New("public client has no secret")
	case subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1:
		return errors.New("wrong client secret")
	}
	return nil
}

func (s *storage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, id, secret); err != nil {
		return nil, err
	}
	return s.clients[id], nil
}

func (s *storage) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	return &clientCredentialsRequest{clientID: id, scopes: scopes}, nil
}

// --- user info ---

func checkUser(username, password string) bool {
	return subtle.ConstantTimeCompare([]byte(username), []byte(TestUsername))&
		subtle.ConstantTimeCompare([]byte(password), []byte(TestPassword)) == 1
}

func setUserinfo(ui *oidc.UserInfo, subject string, scopes []string) {
	ui.Subject = subject
	if subject != TestUserSubject {
		return
	}
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeProfile:
			ui.Name, ui.PreferredUsername = "Test User", TestUsername
		case oidc.ScopeEmail:
			ui.Email, ui.EmailVerified = TestUsername, true
		}
	}
}

// SetUserinfoFromScopes is deprecated by the library; SetUserinfoFromRequest does the work.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *storage) SetUserinfoFromRequest(_ context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	setUserinfo(ui, req.GetSubject(), scopes)
	return nil
}

// SetUserinfoFromToken serves /userinfo; revoked tokens are refused there.
func (s *storage) SetUserinfoFromToken(_ context.Context, ui *oidc.UserInfo, tokenID, _, _ string) error {
	at, ok := s.liveAccessToken(tokenID)
	if !ok {
		return errors.New("access token is expired or revoked")
	}
	setUserinfo(ui, at.subject, at.scopes)
	return nil
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, _, _ string) error {
	at, ok := s.liveAccessToken(tokenID)
	if !ok {
		return nil // active: false
	}
	ui := new(oidc.UserInfo)
	setUserinfo(ui, at.subject, at.scopes)
	resp.SetUserInfo(ui)
	resp.Active = true
	resp.Scope = at.scopes
	resp.ClientID = at.clientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(at.expiration)
	resp.Audience = at.audience
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("private_key_jwt / JWT profile is not supported")
}

func (s *storage) ValidateJWTProfileScopes(_ context.Context, _ string, scopes []string) ([]string, error) {
	return scopes, nil
}

func (s *storage) Health(context.Context) error { return nil }

// --- device authorization (RFC 8628) ---

type deviceGrant struct {
	userCode string
	state    op.DeviceAuthorizationState
}

func (s *storage) StoreDeviceAuthorization(_ context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.userCodes[userCode]; dup {
		return op.ErrDuplicateUserCode
	}
	s.userCodes[userCode] = deviceCode
	s.devices[deviceCode] = &deviceGrant{userCode: userCode, state: op.DeviceAuthorizationState{
		ClientID: clientID, Scopes: slices.Clone(scopes), Expires: expires,
	}}
	return nil
}

// GetDeviceAuthorizatonState is polled by the token endpoint. A decided grant
// is handed out once and then forgotten, so a device code is single-use.
func (s *storage) GetDeviceAuthorizatonState(_ context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[deviceCode]
	if !ok || d.state.ClientID != clientID {
		return nil, errors.New("unknown or used device code")
	}
	st := d.state
	st.Scopes, st.AMR = slices.Clone(st.Scopes), slices.Clone(st.AMR)
	if st.Done || st.Denied {
		delete(s.devices, deviceCode)
		delete(s.userCodes, d.userCode)
	}
	return &st, nil
}

// decideDevice records the user's answer on the device page.
func (s *storage) decideDevice(userCode string, approve bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[s.userCodes[userCode]]
	switch {
	case !ok:
		return errors.New("unknown user code")
	case d.state.Done || d.state.Denied:
		return errors.New("this code was already approved or denied")
	case time.Now().After(d.state.Expires):
		return errors.New("this code has expired")
	}
	if !approve {
		d.state.Denied = true
		return nil
	}
	d.state.Done = true
	d.state.Subject = TestUserSubject
	d.state.AMR = []string{"pwd"}
	d.state.AuthTime = time.Now()
	return nil
}
