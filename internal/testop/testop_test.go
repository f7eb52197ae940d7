package testop

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func start(t *testing.T, opts Options) *Provider {
	t.Helper()
	p, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// retrieveError asserts err is an OAuth error response with the given code and status.
func retrieveError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("want OAuth error %s, got %v", code, err)
	}
	if re.ErrorCode != code || re.Response.StatusCode != status {
		t.Fatalf("want %s (HTTP %d), got %s (HTTP %d): %s", code, status, re.ErrorCode, re.Response.StatusCode, re.Body)
	}
}

func TestDiscovery(t *testing.T) {
	p := start(t, Options{})
	resp, err := http.Get(p.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Issuer           string   `json:"issuer"`
		Token            string   `json:"token_endpoint"`
		Revocation       string   `json:"revocation_endpoint"`
		Device           string   `json:"device_authorization_endpoint"`
		Grants           []string `json:"grant_types_supported"`
		AuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
		ChallengeMethods []string `json:"code_challenge_methods_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.Issuer != p.Issuer() || d.Token != p.TokenURL() || d.Revocation != p.RevocationURL() || d.Device != p.DeviceAuthURL() {
		t.Errorf("endpoints: %+v", d)
	}
	for _, g := range []string{"client_credentials", "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"} {
		if !slices.Contains(d.Grants, g) {
			t.Errorf("grant %s not advertised: %v", g, d.Grants)
		}
	}
	for _, m := range []string{"client_secret_basic", "client_secret_post", "none"} {
		if !slices.Contains(d.AuthMethods, m) {
			t.Errorf("auth method %s not advertised: %v", m, d.AuthMethods)
		}
	}
	if !slices.Contains(d.ChallengeMethods, "S256") {
		t.Errorf("S256 not advertised: %v", d.ChallengeMethods)
	}
}

func TestClientCredentials(t *testing.T) {
	p := start(t, Options{AccessTokenLifetime: time.Minute})
	tests := []struct {
		name   string
		secret string
		style  oauth2.AuthStyle
		want   string // OAuth error code, "" for success
	}{
		{"basic", ServiceClientSecret, oauth2.AuthStyleInHeader, ""},
		{"post", ServiceClientSecret, oauth2.AuthStyleInParams, ""},
		{"wrong secret basic", "nope", oauth2.AuthStyleInHeader, "invalid_client"},
		{"wrong secret post", "nope", oauth2.AuthStyleInParams, "invalid_client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := clientcredentials.Config{
				ClientID: ServiceClientID, ClientSecret: tc.secret, TokenURL: p.TokenURL(),
				AuthStyle: tc.style, Scopes: []string{"api"},
			}
			tok, err := cfg.Token(context.Background())
			if tc.want != "" {
				retrieveError(t, err, tc.want, http.StatusUnauthorized)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(tok.AccessToken, ".") != 2 {
				t.Errorf("access token is not a JWT: %q", tok.AccessToken)
			}
			if tok.RefreshToken != "" {
				t.Errorf("client_credentials issued a refresh token")
			}
			if left := time.Until(tok.Expiry); left < 58*time.Second || left > time.Minute {
				t.Errorf("expiry in %v, want about 1m", left)
			}
		})
	}
	if got := p.Count("client_credentials"); got != len(tests) {
		t.Errorf("Count(client_credentials) = %d, want %d", got, len(tests))
	}
}

// userConfig is how the paste flow redeems a package: client id and secret
// over HTTP Basic, no redirect_uri (like 4insight's Python client).
func userConfig(tokenURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: UserClientID, ClientSecret: UserClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader},
	}
}

func getPaste(t *testing.T, p *Provider) (endpoint, code string) {
	t.Helper()
	raw, err := p.PastePackage()
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct{ Endpoint, Code string }
	if err := json.Unmarshal([]byte(raw), &pkg); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if pkg.Endpoint != p.TokenURL() || pkg.Code == "" {
		t.Fatalf("bad paste package %s", raw)
	}
	return pkg.Endpoint, pkg.Code
}

func refresh(cfg *oauth2.Config, refreshToken string) (*oauth2.Token, error) {
	return cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: refreshToken}).Token()
}

func TestPasteFlowAndRotation(t *testing.T) {
	p := start(t, Options{AccessTokenLifetime: 2 * time.Second})
	endpoint, code := getPaste(t, p)
	cfg := userConfig(endpoint)
	ctx := context.Background()

	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Fatalf("want refresh and id tokens, got %+v", tok)
	}
	if got := tok.Extra("expires_in"); got != 2.0 {
		t.Errorf("expires_in = %v, want the configured 2", got)
	}
	_, err = cfg.Exchange(ctx, code)
	retrieveError(t, err, "invalid_grant", http.StatusBadRequest) // codes are single-use

	tok2, err := refresh(cfg, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.RefreshToken == "" || tok2.RefreshToken == tok.RefreshToken || tok2.AccessToken == tok.AccessToken {
		t.Fatalf("refresh did not rotate: %q -> %q", tok.RefreshToken, tok2.RefreshToken)
	}
	_, err = refresh(cfg, tok.RefreshToken)
	retrieveError(t, err, "invalid_grant", http.StatusBadRequest) // reuse of a rotated token
	if _, err := refresh(cfg, tok2.RefreshToken); err != nil {
		t.Fatalf("newest refresh token should still work: %v", err)
	}

	wrong := userConfig(endpoint)
	wrong.ClientSecret = "nope"
	_, err = refresh(wrong, tok2.RefreshToken)
	retrieveError(t, err, "invalid_client", http.StatusUnauthorized)

	for kind, want := range map[string]int{"authorize": 1, "authorization_code": 2, "refresh_token": 4, "client_credentials": 0} {
		if got := p.Count(kind); got != want {
			t.Errorf("Count(%s) = %d, want %d", kind, got, want)
		}
	}
}

func TestPasteRedirectURI(t *testing.T) {
	p := start(t, Options{})
	tests := []struct {
		name, redirectURI, want string
	}{
		{"omitted", "", ""},
		{"registered", p.Issuer() + "/auth/callback", ""},
		{"other", "http://127.0.0.1:1/elsewhere", "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			endpoint, code := getPaste(t, p)
			cfg := userConfig(endpoint)
			cfg.RedirectURL = tc.redirectURI
			cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams // client_secret_post works too
			_, err := cfg.Exchange(context.Background(), code)
			if tc.want == "" && err != nil {
				t.Fatal(err)
			}
			if tc.want != "" {
				retrieveError(t, err, tc.want, http.StatusBadRequest)
			}
		})
	}
}

func TestRevokeFamilyOnReuse(t *testing.T) {
	p := start(t, Options{RevokeFamilyOnReuse: true})
	endpoint, code := getPaste(t, p)
	cfg := userConfig(endpoint)
	tok, err := cfg.Exchange(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := refresh(cfg, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = refresh(cfg, tok.RefreshToken)
	retrieveError(t, err, "invalid_grant", http.StatusBadRequest)
	_, err = refresh(cfg, tok2.RefreshToken)
	retrieveError(t, err, "invalid_grant", http.StatusBadRequest)
}

func TestNativePKCE(t *testing.T) {
	p := start(t, Options{})
	ports := []string{"127.0.0.1:49152/callback", "127.0.0.1:61234/oauth/done", "localhost:50000/callback"}
	for _, hostPath := range ports {
		t.Run(hostPath, func(t *testing.T) {
			cfg := &oauth2.Config{
				ClientID:    NativeClientID,
				Endpoint:    oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
				RedirectURL: "http://" + hostPath,
				Scopes:      []string{"openid", "offline_access"},
			}
			verifier := oauth2.GenerateVerifier()
			redirect, err := p.Login(cfg.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier)))
			if err != nil {
				t.Fatal(err)
			}
			if got := redirect.Scheme + "://" + redirect.Host + redirect.Path; got != cfg.RedirectURL {
				t.Fatalf("redirected to %s, want %s", redirect, cfg.RedirectURL)
			}
			if redirect.Query().Get("state") != "st4te" {
				t.Fatalf("state lost: %s", redirect)
			}
			code := redirect.Query().Get("code")
			ctx := context.Background()

			_, err = cfg.Exchange(ctx, code) // no verifier: PKCE is required
			retrieveError(t, err, "invalid_request", http.StatusBadRequest)

			tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatal(err)
			}
			tok2, err := refresh(cfg, tok.RefreshToken)
			if err != nil || tok2.RefreshToken == tok.RefreshToken {
				t.Fatalf("public client refresh: %v (%+v)", err, tok2)
			}
		})
	}
	t.Run("non-loopback redirect refused", func(t *testing.T) {
		cfg := &oauth2.Config{ClientID: NativeClientID, Endpoint: p.Endpoint(),
			RedirectURL: "http://example.com:8080/callback", Scopes: []string{"openid"}}
		if _, err := p.Login(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))); err == nil {
			t.Fatal("want an error")
		}
	})
}

func TestDeviceFlow(t *testing.T) {
	p := start(t, Options{})
	tests := []struct {
		name    string
		approve bool
	}{{"approve", true}, {"deny", false}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := &oauth2.Config{
				ClientID: DeviceClientID, Scopes: []string{"openid", "offline_access"},
				Endpoint: oauth2.Endpoint{DeviceAuthURL: p.DeviceAuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			da, err := cfg.DeviceAuth(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if da.Interval != 1 || !strings.HasPrefix(da.VerificationURIComplete, p.Issuer()+"/device?user_code=") {
				t.Errorf("device auth response: %+v", da)
			}
			if tc.approve {
				err = p.ApproveDevice(da.UserCode)
			} else {
				err = p.DenyDevice(da.UserCode)
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.ApproveDevice(da.UserCode) == nil {
				t.Error("a user code can be decided twice")
			}
			tok, err := cfg.DeviceAccessToken(ctx, da)
			if !tc.approve {
				retrieveError(t, err, "access_denied", http.StatusBadRequest)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.RefreshToken == "" {
				t.Error("no refresh token")
			}
		})
	}
	t.Run("unknown user code", func(t *testing.T) {
		if p.ApproveDevice("XXXX-XXXX") == nil {
			t.Error("want an error")
		}
	})
}

func TestRevocation(t *testing.T) {
	p := start(t, Options{})
	endpoint, code := getPaste(t, p)
	cfg := userConfig(endpoint)
	tok, err := cfg.Exchange(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	revoke := func(token, hint, secret string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, p.RevocationURL(),
			strings.NewReader(url.Values{"token": {token}, "token_type_hint": {hint}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(UserClientID, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	userinfo := func(accessToken string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, p.UserinfoURL(), nil)
		req.Header.Set("Authorization", "Bearer "+accessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	if got := userinfo(tok.AccessToken); got != http.StatusOK {
		t.Fatalf("userinfo before revocation: %d", got)
	}
	if got := revoke(tok.RefreshToken, "refresh_token", "nope"); got != http.StatusUnauthorized {
		t.Errorf("revoke with wrong secret: %d", got)
	}
	if got := revoke(tok.AccessToken, "access_token", UserClientSecret); got != http.StatusOK {
		t.Errorf("revoke access token: %d", got)
	}
	if got := userinfo(tok.AccessToken); got != http.StatusForbidden { // zitadel answers 403
		t.Errorf("userinfo after revocation: %d", got)
	}
	if got := revoke(tok.RefreshToken, "", UserClientSecret); got != http.StatusOK {
		t.Errorf("revoke refresh token: %d", got)
	}
	_, err = refresh(cfg, tok.RefreshToken)
	retrieveError(t, err, "invalid_grant", http.StatusBadRequest)
	if got := revoke("never-issued", "", UserClientSecret); got != http.StatusOK {
		t.Errorf("revoke unknown token: %d (RFC 7009 wants 200)", got)
	}
	if got := p.Count("revoke"); got != 4 {
		t.Errorf("Count(revoke) = %d", got)
	}
}

func TestFailNext(t *testing.T) {
	p := start(t, Options{})
	// An explicit AuthStyle: AutoDetect retries a failed request with the
	// other style, which would eat two injected failures per Token call.
	cfg := clientcredentials.Config{ClientID: ServiceClientID, ClientSecret: ServiceClientSecret,
		TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}
	p.FailNext(2, http.StatusServiceUnavailable)
	for range 2 {
		_, err := cfg.Token(context.Background())
		retrieveError(t, err, "temporarily_unavailable", http.StatusServiceUnavailable)
		var re *oauth2.RetrieveError
		errors.As(err, &re)
		if re.Response.Header.Get("Retry-After") != "0" {
			t.Errorf("Retry-After = %q", re.Response.Header.Get("Retry-After"))
		}
	}
	if _, err := cfg.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := p.Count("client_credentials"); got != 3 {
		t.Errorf("Count(client_credentials) = %d, want 3", got)
	}
}

func TestPastePage(t *testing.T) {
	p := start(t, Options{})
	get := func(accept string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, p.PasteURL(), nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("Accept %q: %s %s", accept, resp.Status, b)
		}
		return string(b)
	}
	if page := get("text/html,application/xhtml+xml"); !strings.Contains(page, "Copy this into fourinsight-token") {
		t.Errorf("browser page: %s", page)
	}
	var pkg struct{ Endpoint, Code string }
	if err := json.Unmarshal([]byte(get("*/*")), &pkg); err != nil { // curl
		t.Fatal(err)
	}
	if _, err := userConfig(pkg.Endpoint).Exchange(context.Background(), pkg.Code); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentRefreshOneWins(t *testing.T) {
	p := start(t, Options{})
	endpoint, code := getPaste(t, p)
	cfg := userConfig(endpoint)
	tok, err := cfg.Exchange(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := refresh(cfg, tok.RefreshToken)
			errs <- err
		}()
	}
	wins := 0
	for range n {
		if err := <-errs; err == nil {
			wins++
		} else {
			retrieveError(t, err, "invalid_grant", http.StatusBadRequest)
		}
	}
	if wins != 1 {
		t.Errorf("%d concurrent refreshes with one token succeeded, want 1", wins)
	}
}

// TestPastePythonStyle redeems a package the way 4insight's Python client
// does: a bare form with the code, client credentials over HTTP Basic.
func TestPastePythonStyle(t *testing.T) {
	p := start(t, Options{})
	for _, withClientID := range []bool{false, true} {
		endpoint, code := getPaste(t, p)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
		if withClientID {
			form.Set("client_id", UserClientID)
		}
		req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(UserClientID, UserClientSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			ExpiresIn    int    `json:"expires_in"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || body.AccessToken == "" || body.RefreshToken == "" || body.ExpiresIn != 300 {
			t.Errorf("client_id in form %v: %s %+v %v", withClientID, resp.Status, body, err)
		}
	}
}
