package cliargs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/store"
)

// --refresh-ahead 0s turns refresh ahead off; not setting it anywhere is the
// default window, which is not the same thing.
func TestResolveRefreshAhead(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	os.WriteFile(cfg, []byte(`{"profiles":{"off":{"refresh_ahead":"0s"},"five":{"refresh_ahead":"5m"},"plain":{},"bad":{"refresh_ahead":"-1m"}}}`), 0o600)
	d := func(v time.Duration) *time.Duration { return &v }
	tests := []struct {
		profile string
		flag    *time.Duration
		want    time.Duration
		errHas  string
	}{
		{profile: "plain", want: store.AutoRefreshAhead},
		{profile: "plain", flag: d(0), want: 0},
		{profile: "plain", flag: d(2 * time.Minute), want: 2 * time.Minute},
		{profile: "off", want: 0},
		{profile: "five", want: 5 * time.Minute},
		{profile: "off", flag: d(time.Minute), want: time.Minute},
		{profile: "five", flag: d(0), want: 0},
		{profile: "plain", flag: d(-time.Minute), errHas: "--refresh-ahead"},
		{profile: "bad", errHas: "--refresh-ahead"},
	}
	for _, tt := range tests {
		g := Globals{Config: cfg, Profile: tt.profile, CacheDir: dir, RefreshAhead: tt.flag,
			Issuer: "https://idp.example", ClientID: "c"}
		r, err := Resolve(g, strings.NewReader(""))
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("profile %s, flag %v: err = %v, want one naming %s", tt.profile, tt.flag, err, tt.errHas)
			}
			continue
		}
		if err != nil || r.RefreshAhead != tt.want {
			t.Errorf("profile %s, flag %v: RefreshAhead = %v (%v), want %v", tt.profile, tt.flag, r.RefreshAhead, err, tt.want)
		}
	}
}

// The background refresh is our own process: it gets the secrets that the
// full command line took out of its environment (and nobody else does).
func TestOwnEnvironPutsTakenSecretsBack(t *testing.T) {
	t.Setenv(ClientSecretEnv, "s3cret-for-the-background")
	TakeSecretEnv()
	t.Cleanup(func() { delete(takenEnv, ClientSecretEnv) })
	if _, ok := os.LookupEnv(ClientSecretEnv); ok {
		t.Fatal("the secret is still in the environment")
	}
	if !slices.Contains(OwnEnviron(), ClientSecretEnv+"=s3cret-for-the-background") {
		t.Fatal("OwnEnviron lacks the taken secret")
	}
}
