package profile

import (
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/store"
)

// Only what can be renewed without a person is renewed in the background.
func TestRenewAhead(t *testing.T) {
	now := time.Now()
	user := Settings{Profile: Profile{Issuer: "https://idp.example", ClientID: "c"}}
	service := Settings{Profile: Profile{Issuer: "https://idp.example", ClientID: "c"}, ClientSecret: "s", SecretSupplied: true}
	entry := func(left time.Duration, refresh string) *store.Entry {
		return &store.Entry{AccessToken: "a", RefreshToken: refresh, ExpiresAt: now.Add(left),
			Meta: &store.Meta{Issued: now.Add(left - time.Hour)}}
	}
	tests := []struct {
		name  string
		s     Settings
		e     *store.Entry
		ahead time.Duration
		want  bool
	}{
		{"user, refresh token, inside the window", user, entry(5*time.Minute, "r"), store.AutoRefreshAhead, true},
		{"user, refresh token, outside the window", user, entry(30*time.Minute, "r"), store.AutoRefreshAhead, false},
		{"user without a refresh token: only a sign-in could renew", user, entry(5*time.Minute, ""), store.AutoRefreshAhead, false},
		{"service account: client credentials", service, entry(5*time.Minute, ""), store.AutoRefreshAhead, true},
		{"turned off", user, entry(5*time.Minute, "r"), 0, false},
		{"no entry", user, nil, store.AutoRefreshAhead, false},
	}
	for _, tt := range tests {
		if got := tt.s.RenewAhead(tt.e, tt.ahead, now); got != tt.want {
			t.Errorf("%s: RenewAhead = %v, want %v", tt.name, got, tt.want)
		}
	}
}
