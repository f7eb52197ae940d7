package flows

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/fourinsight-token/fourinsight-token/flows/urls"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// WithClient makes x/oauth2 send its requests through client.
func WithClient(ctx context.Context, client *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, client)
}

// ClientCredentials gets a token for a service account (the Python client's
// ClientSession). ctx carries the HTTP client (WithClient).
func ClientCredentials(ctx context.Context, cfg *oauth2.Config) (*oauth2.Token, error) {
	cc := clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		TokenURL:     cfg.Endpoint.TokenURL,
		Scopes:       cfg.Scopes,
		AuthStyle:    cfg.Endpoint.AuthStyle,
	}
	tok, err := cc.Token(ctx)
	return issued(tok, err, "the token endpoint", cfg.Endpoint.TokenURL)
}

// Refresh trades a refresh token for a new token. When the provider does not
// rotate refresh tokens, the returned token keeps the old one. An
// invalid_grant answer (IsInvalidGrant) means the refresh token is dead.
func Refresh(ctx context.Context, cfg *oauth2.Config, refreshToken string) (*oauth2.Token, error) {
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	return issued(tok, err, "the token endpoint", cfg.Endpoint.TokenURL)
}

// Exchange trades an authorization code for a token.
func Exchange(ctx context.Context, cfg *oauth2.Config, code string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, error) {
	tok, err := cfg.Exchange(ctx, code, opts...)
	return issued(tok, err, "the token endpoint", cfg.Endpoint.TokenURL)
}

// Revoke asks the provider to forget a refresh token (RFC 7009). Callers
// treat failure as a warning: the local session is forgotten regardless.
func Revoke(ctx context.Context, client *http.Client, endpoint string, cfg *oauth2.Config, refreshToken string) error {
	if err := urls.Check(endpoint); err != nil {
		return fmt.Errorf("revocation endpoint: %w", err)
	}
	form := url.Values{"token": {refreshToken}, "token_type_hint": {"refresh_token"}}
	if cfg.ClientSecret == "" {
		form.Set("client_id", cfg.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cfg.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(cfg.ClientID), url.QueryEscape(cfg.ClientSecret))
	}
	resp, err := client.Do(req)
	if err != nil {
		return explain(err, "the revocation endpoint", endpoint)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the revocation endpoint answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return nil
}
