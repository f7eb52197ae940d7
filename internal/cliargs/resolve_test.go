package cliargs

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
)

// isolate gives the test an empty config directory and cache directory.
func isolate(t *testing.T) Globals {
	t.Helper()
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("HOME", home)
	t.Setenv("FOURINSIGHT_CLIENT_SECRET", "")
	return Globals{CacheDir: filepath.Join(home, "cache")}
}

// Someone trying 4insight's staging sign-in page names only the page: the
// 4insight client and trusted hosts stay, and the page's host is trusted.
func TestSignInURLAloneKeeps4insightClient(t *testing.T) {
	g := isolate(t)
	g.SignInURL = "https://staging.example.org/auth"
	r, err := Resolve(g, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	p := r.Settings.Profile
	builtin := profile.Builtin4insight()
	if p.Name != profile.DefaultProfile || p.ClientID != builtin.ClientID || r.Settings.ClientSecret != builtin.PublicClientSecret {
		t.Fatalf("profile %q client %q: want the built-in 4insight client", p.Name, p.ClientID)
	}
	if p.SignInURL != g.SignInURL {
		t.Fatalf("sign-in page = %q, want %q", p.SignInURL, g.SignInURL)
	}
	trusted := r.Settings.TrustedHosts()
	for _, h := range []string{"staging.example.org", "login.microsoftonline.com"} {
		if !flows.HostTrusted(h, trusted) {
			t.Errorf("%s is not trusted; trusted: %v", h, trusted)
		}
	}
	if got := r.Settings.Identity().Provider; got != g.SignInURL {
		t.Errorf("sessions are recorded as made at %q, want the page %q", got, g.SignInURL)
	}
}

// FOURINSIGHT_SIGNIN_URL sets it too; with an issuer it is another
// provider's page, and nothing of 4insight's applies.
func TestSignInURLFromEnvironmentAndWithIssuer(t *testing.T) {
	g := isolate(t)
	t.Setenv("FOURINSIGHT_SIGNIN_URL", "https://idp.example.com/paste")
	var c CLI
	if !ParseFast(nil, &c) {
		t.Fatal("ParseFast refused a plain get")
	}
	if c.SignInURL != "https://idp.example.com/paste" {
		t.Fatalf("FOURINSIGHT_SIGNIN_URL gave %q", c.SignInURL)
	}
	g.SignInURL, g.Issuer, g.ClientID = c.SignInURL, "https://idp.example.com", "cli"
	r, err := Resolve(g, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	p := r.Settings.Profile
	if p.Name != "custom" || p.SignInURL != g.SignInURL || slices.Contains(p.TrustHosts, "login.microsoftonline.com") {
		t.Fatalf("with --issuer: profile %q page %q trusted %v; want a custom profile with the page and none of 4insight's hosts", p.Name, p.SignInURL, p.TrustHosts)
	}
}

func TestSignInURLMustBeHTTPS(t *testing.T) {
	g := isolate(t)
	g.SignInURL = "http://example.org/auth"
	if _, err := Resolve(g, strings.NewReader("")); err == nil || !strings.Contains(err.Error(), "--signin-url") {
		t.Fatalf("an http sign-in page: err = %v, want one naming --signin-url", err)
	}
}
