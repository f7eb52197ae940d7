package profile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		s      Settings
		errHas string
	}{
		{name: "built-in", s: Settings{Profile: Builtin4insight()}},
		{name: "plain http issuer", s: Settings{Profile: Profile{Issuer: "http://idp.example", ClientID: "c"}}, errHas: "https"},
		{name: "loopback http issuer", s: Settings{Profile: Profile{Issuer: "http://127.0.0.1:9999", ClientID: "c"}}},
		{name: "no client id", s: Settings{Profile: Profile{Issuer: "https://idp.example"}}, errHas: "no client id"},
		{name: "unknown flow", s: Settings{Profile: Profile{Issuer: "https://idp.example", ClientID: "c", Flow: "magic"}}, errHas: "unknown flow"},
		{name: "client flow without secret", s: Settings{Profile: Profile{Issuer: "https://idp.example", ClientID: "c", Flow: FlowClient}}, errHas: "needs a client secret"},
	}
	for _, tt := range tests {
		err := tt.s.Validate()
		if tt.errHas == "" && err != nil || tt.errHas != "" && (err == nil || !strings.Contains(err.Error(), tt.errHas) || !errors.Is(err, ErrConfig)) {
			t.Errorf("%s: Validate = %v, want %q", tt.name, err, tt.errHas)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), mode)
		os.Chmod(p, mode)
		return p
	}
	good := write("good.json", `{"default_profile":"corp","profiles":{"corp":{"issuer":"https://idp.example","client_id":"c","min_valid":"5m"},"4insight":{"trust_hosts":["extra.example"]}}}`, 0o644)
	c, err := LoadConfig(good, true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Profile("")
	if err != nil || p.Name != "corp" || p.Issuer != "https://idp.example" || p.MinValid == nil || time.Duration(*p.MinValid) != 5*time.Minute {
		t.Fatalf("default profile = %+v, %v", p, err)
	}
	b, _ := c.Profile("4insight")
	if b.SignInURL != "https://4insight.io/auth" || !slices.Contains(b.TrustHosts, "extra.example") || !slices.Contains(b.TrustHosts, "*.4insight.io") {
		t.Fatalf("4insight overlay = %+v", b)
	}
	if _, err := c.Profile("nope"); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "corp") {
		t.Fatalf("unknown profile: %v", err)
	}

	for name, tc := range map[string]struct {
		path     string
		explicit bool
		errHas   string
	}{
		"missing default file is fine": {path: filepath.Join(dir, "none.json")},
		"missing named file":           {path: filepath.Join(dir, "none.json"), explicit: true, errHas: "cannot read"},
		"typo in a key":                {path: write("typo.json", `{"profiles":{"x":{"isuer":"https://a"}}}`, 0o600), explicit: true, errHas: "isuer"},
		"bad duration":                 {path: write("dur.json", `{"profiles":{"x":{"timeout":"soon"}}}`, 0o600), explicit: true, errHas: "duration"},
		"secret readable by others":    {path: write("secret.json", `{"profiles":{"x":{"client_secret":"s"}}}`, 0o644), explicit: true, errHas: "chmod 600"},
		"secret private":               {path: write("private.json", `{"profiles":{"x":{"client_secret":"s"}}}`, 0o600), explicit: true},
	} {
		_, err := LoadConfig(tc.path, tc.explicit)
		if tc.errHas == "" && err != nil || tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)) {
			t.Errorf("%s: %v, want %q", name, err, tc.errHas)
		}
	}
}

// Settings name who an entry belongs to; the client flow and the user
// flows of one profile are different identities.
func TestIdentity(t *testing.T) {
	user := Settings{Profile: Builtin4insight()}
	svc := Settings{Profile: Overlay(Builtin4insight(), Profile{ClientID: "svc"}), SecretSupplied: true}
	if id := user.Identity(); id.Provider != "https://4insight.io/auth" || id.ClientID != "b6c8c4d4-5fc1-4bba-b46c-8f6a6cc9843d" {
		t.Errorf("user identity = %+v", id)
	}
	if id := svc.Identity(); !strings.HasPrefix(id.Provider, "https://login.microsoftonline.com/") || id.ClientID != "svc" {
		t.Errorf("service identity = %+v", id)
	}
}
