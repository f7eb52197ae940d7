package profile

import (
	"errors"
	"strings"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/store"
)

// A session made with `login -s web --issuer X --client-id Y` records how.
func webSession() *store.Entry {
	e := &store.Entry{
		AccessToken: "at", RefreshToken: "rt-1", TokenURL: "https://idp.example/oauth/token",
		Meta: &store.Meta{
			Provider: "https://idp.example", ClientID: "native", Flow: FlowBrowser, Profile: CustomProfile,
			Issuer: "https://idp.example", TokenURL: "https://idp.example/oauth/token",
			Scopes: []string{"openid", "offline_access", "api"},
		},
	}
	e.Bind()
	return e
}

// The call's settings: the built-in profile, plus what the user chose.
func builtin(c Choice) Settings {
	p := Builtin4insight()
	return Settings{Profile: p, ClientSecret: p.PublicClientSecret, Chosen: c}
}

func TestForEntry(t *testing.T) {
	tests := []struct {
		name    string
		s       Settings
		entry   func() *store.Entry
		adopted bool
		errIs   error
		errHas  []string
	}{
		{name: "the Python client's entry is used with the current settings", s: builtin(Choice{}),
			entry: func() *store.Entry { return &store.Entry{AccessToken: "at", RefreshToken: "rt"} }},
		{name: "no provider chosen: the recorded settings", s: builtin(Choice{}), entry: webSession, adopted: true},
		{name: "--flow alone chooses no provider", s: builtin(Choice{Flow: FlowDevice}), entry: webSession, adopted: true},
		{name: "the recorded client chosen again", s: builtin(Choice{ClientID: "native"}), entry: webSession, adopted: true},
		{name: "the same provider and client chosen", entry: webSession,
			s: Settings{Profile: Profile{Name: CustomProfile, Issuer: "https://idp.example", ClientID: "native"}, Chosen: Choice{Issuer: "https://idp.example", ClientID: "native"}}},
		{name: "another issuer chosen", s: builtin(Choice{Issuer: "https://other.example"}), entry: webSession, errIs: ErrMismatch,
			errHas: []string{"https://idp.example", "client native", "run without provider settings, or with --issuer https://idp.example --client-id native", "fourinsight-token login -f -s web"}},
		{name: "another client chosen", s: builtin(Choice{ClientID: "other"}), entry: webSession, errIs: ErrMismatch,
			errHas: []string{"--issuer https://idp.example --client-id native"}},
		{name: "a profile chosen", s: builtin(Choice{Profile: DefaultProfile}), entry: webSession, errIs: ErrMismatch,
			errHas: []string{"login -f -s web"}},
		{name: "a session made with a config profile", s: builtin(Choice{ClientID: "other"}), errIs: ErrMismatch,
			entry:  func() *store.Entry { e := webSession(); e.Meta.Profile = "corp"; return e },
			errHas: []string{"run without provider settings, or with --profile corp;"}},
		{name: "the config file's default profile", s: builtin(Choice{Profile: "local", ByConfig: true}), entry: webSession, errIs: ErrMismatch,
			errHas: []string{"to use it, run with --issuer https://idp.example --client-id native;"}},
		{name: "rewritten by the Python client: its entry now", s: builtin(Choice{Profile: DefaultProfile}),
			entry: func() *store.Entry { e := webSession(); e.RefreshToken = "python-signed-in-again"; return e }},
		{name: "a record older than the settings it keeps", s: builtin(Choice{}), errIs: ErrMismatch, errHas: []string{"run with the settings it was made with"},
			entry: func() *store.Entry {
				return &store.Entry{AccessToken: "at", Meta: &store.Meta{Provider: "https://idp.example", ClientID: "native"}}
			}},
		{name: "a recorded issuer over plain http", s: builtin(Choice{}), errIs: ErrConfig, errHas: []string{"https"},
			entry: func() *store.Entry {
				e := webSession()
				e.Meta.Issuer = "http://idp.example"
				e.Meta.Provider = e.Meta.Issuer
				return e
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.entry()
			use, adopted, err := tt.s.ForEntry("web", e)
			if tt.errIs != nil {
				if !errors.Is(err, tt.errIs) {
					t.Fatalf("err = %v, want %v", err, tt.errIs)
				}
				for _, h := range tt.errHas {
					if !strings.Contains(err.Error(), h) {
						t.Errorf("the message does not say %q: %v", h, err)
					}
				}
				if strings.Contains(err.Error(), "logout") {
					t.Errorf("the advice names logout: %v", err)
				}
				return
			}
			if err != nil || adopted != tt.adopted {
				t.Fatalf("adopted = %v, err = %v; want adopted %v", adopted, err, tt.adopted)
			}
			if !adopted {
				if use.Profile.Name != tt.s.Profile.Name {
					t.Fatalf("settings of profile %q used, want the call's %q", use.Profile.Name, tt.s.Profile.Name)
				}
				return
			}
			p := use.Profile
			if p.Issuer != "https://idp.example" || p.ClientID != "native" || p.SignInURL != "" || p.ServiceTokenURL != "" {
				t.Fatalf("recorded settings not used: %+v", p)
			}
			if use.ClientSecret != "" {
				t.Fatal("the built-in profile's secret would be sent to another provider's client")
			}
			if id := use.Identity(); id.Provider != e.Meta.Provider || id.ClientID != e.Meta.ClientID {
				t.Fatalf("the recorded settings name %v, the record %s %s", id, e.Meta.Provider, e.Meta.ClientID)
			}
			if p.Flow != tt.s.Chosen.Flow {
				t.Fatalf("flow %q, want the chosen %q", p.Flow, tt.s.Chosen.Flow)
			}
		})
	}
}

// An entry the Python client rewrote with another sign-in loses our record:
// it is neither refused under the profile that matches its tokens nor
// served as ours under the one that made it.
func TestForEntryDropsARecordThatNoLongerDescribesTheTokens(t *testing.T) {
	e := webSession()
	e.RefreshToken = "python-signed-in-again"
	if _, _, err := builtin(Choice{}).ForEntry("web", e); err != nil || e.Meta != nil {
		t.Fatalf("err = %v, record = %+v", err, e.Meta)
	}
	e = webSession()
	e.ForgetRefreshToken() // the provider refused it: still our session
	if _, adopted, err := builtin(Choice{}).ForEntry("web", e); err != nil || !adopted {
		t.Fatalf("after forgetting the refresh token: adopted %v, err %v", adopted, err)
	}
}

// A secret is never recorded: the one given with the call is used, and a
// client that needs one says how to give it before the provider is asked.
func TestRecordedSecret(t *testing.T) {
	e := webSession()
	e.Meta.Confidential, e.Meta.Profile = true, "corp"
	use, _, err := builtin(Choice{}).ForEntry("web", e)
	if err != nil {
		t.Fatal(err)
	}
	if err := use.CheckSecret("web"); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--profile corp") || !strings.Contains(err.Error(), "FOURINSIGHT_CLIENT_SECRET") {
		t.Fatalf("CheckSecret = %v", err)
	}
	s := builtin(Choice{})
	s.ClientSecret, s.SecretSupplied, s.SecretGiven = "given", true, true
	use, _, err = s.ForEntry("web", e)
	if err != nil || use.ClientSecret != "given" || use.CheckSecret("web") != nil || use.ClientFlow() {
		t.Fatalf("with a secret given: %v, secret %q, client flow %v", err, use.ClientSecret, use.ClientFlow())
	}

	// A public client is sent no secret, even one given for the call.
	e.Meta.Confidential = false
	if use, _, _ = s.ForEntry("web", e); use.ClientSecret != "" {
		t.Fatal("a secret would be sent for a public client")
	}

	// A service account's session signs in as one again.
	svc := webSession()
	svc.Meta.Flow, svc.Meta.Confidential = FlowClient, true
	use, _, err = s.ForEntry("svc", svc)
	if err != nil || !use.ClientFlow() || use.Validate() != nil {
		t.Fatalf("service session: %v, client flow %v, validate %v", err, use.ClientFlow(), use.Validate())
	}
}
