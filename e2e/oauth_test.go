package e2e

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"golang.org/x/oauth2"
)

// exchangePackage redeems a paste package as the Python client would.
func exchangePackage(t *testing.T, p *testop.Provider, pkg string) *oauth2.Token {
	t.Helper()
	var v struct{ Endpoint, Code string }
	if err := json.Unmarshal([]byte(pkg), &v); err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{ClientID: testop.UserClientID, ClientSecret: testop.UserClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: v.Endpoint, AuthStyle: oauth2.AuthStyleInHeader}}
	tok, err := cfg.Exchange(context.Background(), v.Code)
	if err != nil {
		t.Fatalf("exchanging the code: %v", err)
	}
	secrets.Secret(tok.AccessToken)
	secrets.Secret(tok.RefreshToken)
	return tok
}
