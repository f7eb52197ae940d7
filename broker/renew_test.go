package broker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// A token the API rejected is renewed once: the first caller gets a new
// one, a caller that reports the same rejected token later gets that new
// one without another grant, and a session that only a sign-in could renew
// fails with ErrSignInRequired instead of prompting.
func TestRenew(t *testing.T) {
	p, err := testop.Start(testop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := store.File{Dir: t.TempDir()}
	b := &Broker{
		Settings: profile.Settings{Profile: profile.Profile{Name: "t", Issuer: p.Issuer(), ClientID: testop.ServiceClientID},
			ClientSecret: testop.ServiceClientSecret, SecretSupplied: true},
		Store: f, Locks: f, MinValid: time.Minute, LockTimeout: time.Minute, LoginTimeout: time.Minute,
		HTTP: flows.HTTPOptions{Timeout: 5 * time.Second},
	}
	ctx := context.Background()
	first, err := b.Token(ctx, "svc", false)
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := b.Renew(ctx, "svc", first.AccessToken)
	if err != nil || renewed.AccessToken == first.AccessToken {
		t.Fatalf("renew: %v (same token: %v)", err, err == nil && renewed.AccessToken == first.AccessToken)
	}
	again, err := b.Renew(ctx, "svc", first.AccessToken)
	if err != nil || again.AccessToken != renewed.AccessToken {
		t.Fatalf("second report of the same rejected token: %v", err)
	}
	if n := p.Count("client_credentials"); n != 2 {
		t.Fatalf("%d grants, want 2", n)
	}

	// A user session without a refresh token: only a sign-in would help.
	b = &Broker{
		Settings: profile.Settings{Profile: profile.Profile{Name: "t", Issuer: p.Issuer(), ClientID: testop.NativeClientID, Flow: "browser"}},
		Store:    f, Locks: f, MinValid: time.Minute, LockTimeout: time.Minute, LoginTimeout: time.Minute,
		HTTP: flows.HTTPOptions{Timeout: 5 * time.Second},
	}
	f.Save("user", &store.Entry{AccessToken: "rejected-token", ExpiresAt: time.Now().Add(time.Hour)})
	if _, err := b.Renew(ctx, "user", "rejected-token"); !errors.Is(err, ErrSignInRequired) {
		t.Fatalf("renew without a refresh token: %v, want ErrSignInRequired", err)
	}
}
