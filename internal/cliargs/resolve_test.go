package cliargs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// --refresh-ahead 0 turns refresh ahead off; not setting it anywhere is the
// default window, which is not the same thing.
func TestResolveRefreshAhead(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	os.WriteFile(cfg, []byte(`{"profiles":{"off":{"refresh_ahead":"0s"},"five":{"refresh_ahead":"5m"},"plain":{},"bad":{"refresh_ahead":"-1m"}}}`), 0o600)
	tests := []struct {
		profile, flag string
		want          time.Duration
		errHas        string
	}{
		{profile: "plain", want: store.AutoRefreshAhead},
		{profile: "plain", flag: "0", want: 0},
		{profile: "plain", flag: "2m", want: 2 * time.Minute},
		{profile: "off", want: 0},
		{profile: "five", want: 5 * time.Minute},
		{profile: "off", flag: "1m", want: time.Minute},
		{profile: "five", flag: "0s", want: 0},
		{profile: "plain", flag: "soon", errHas: "--refresh-ahead"},
		{profile: "plain", flag: "-1m", errHas: "--refresh-ahead"},
		{profile: "bad", errHas: "refresh_ahead"},
	}
	for _, tt := range tests {
		g := Globals{Config: cfg, Profile: tt.profile, CacheDir: dir, RefreshAhead: tt.flag,
			Issuer: "https://idp.example", ClientID: "c"}
		r, err := Resolve(g, strings.NewReader(""))
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) || !errors.Is(err, profile.ErrConfig) {
				t.Errorf("profile %s, flag %q: err = %v, want a config error naming %s", tt.profile, tt.flag, err, tt.errHas)
			}
			continue
		}
		if err != nil || r.RefreshAhead != tt.want {
			t.Errorf("profile %s, flag %q: RefreshAhead = %v (%v), want %v", tt.profile, tt.flag, r.RefreshAhead, err, tt.want)
		}
	}
}
