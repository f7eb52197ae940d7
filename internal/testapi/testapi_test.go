package testapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"golang.org/x/oauth2/clientcredentials"
)

func start(t *testing.T) (*API, string) {
	t.Helper()
	p, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	a, err := Start(context.Background(), Options{Issuer: p.Issuer()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	cc := clientcredentials.Config{ClientID: testop.ServiceClientID, ClientSecret: testop.ServiceClientSecret, TokenURL: p.TokenURL()}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return a, tok.AccessToken
}

func get(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(body, &m)
	return resp.StatusCode, m
}

func TestAcceptsOnlyTheProvidersTokens(t *testing.T) {
	a, tok := start(t)
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"provider's token", tok, 200},
		{"no token", "", 401},
		{"not a JWT", "opaque-token-value", 401},
		{"tampered payload", tampered, 401},
	} {
		if got, _ := get(t, a.URL()+"/v1.1/Campaigns/c001", tt.token); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	if a.Count("accepted") != 1 || a.Count("refused") != 3 || len(a.Tokens()) != 1 {
		t.Fatalf("accepted %d, refused %d, tokens %d", a.Count("accepted"), a.Count("refused"), len(a.Tokens()))
	}
}

func TestPagesFollowNextLink(t *testing.T) {
	a, tok := start(t)
	url, pages, items := a.URL()+"/v1.1/Campaigns", 0, 0
	for url != "" {
		status, m := get(t, url, tok)
		if status != 200 {
			t.Fatalf("%s: %d", url, status)
		}
		pages++
		items += len(m["value"].([]any))
		url, _ = m["@odata.nextLink"].(string)
	}
	if pages != 3 || items != 50 {
		t.Fatalf("%d pages, %d items; want 3, 50", pages, items)
	}
}

func TestFailNext(t *testing.T) {
	a, tok := start(t)
	a.FailNext(2, 503, "0")
	for i, want := range []int{503, 503, 200} {
		if got, _ := get(t, a.URL()+"/v1.1/Campaigns/c001", tok); got != want {
			t.Fatalf("request %d: %d, want %d", i+1, got, want)
		}
	}
	if a.Count("injected") != 2 {
		t.Fatalf("injected %d", a.Count("injected"))
	}
}

func TestTLS(t *testing.T) {
	p, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a, err := Start(context.Background(), Options{Issuer: p.Issuer(), TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	pool := x509.NewCertPool()
	if !strings.HasPrefix(a.URL(), "https://") || !pool.AppendCertsFromPEM(a.CertPEM()) {
		t.Fatalf("URL %s, certificate %q", a.URL(), a.CertPEM())
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(a.URL() + "/v1.1/Campaigns")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("status %d, want 401 without a token", resp.StatusCode)
	}
}
