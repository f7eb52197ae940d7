package broker

import (
	"context"
	"fmt"

	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// Renew replaces an access token the API rejected (HTTP 401) although it
// had not expired: revoked, or signed with a key the API no longer trusts.
// Under the session's lock it reads the entry again; when another process
// already replaced the rejected token, that newer token is the answer.
// Otherwise it refreshes (a service session gets a new client-credentials
// token). It never starts an interactive sign-in: a caller in the middle
// of an API call has nobody to ask, so that ends in ErrSignInRequired.
func (b *Broker) Renew(ctx context.Context, key, rejected string) (*store.Entry, error) {
	if b.Store == nil { // --no-store: nothing cached, nothing to re-read
		if b.Settings.ClientFlow() {
			return b.signIn(ctx, key, nil, "")
		}
		return nil, fmt.Errorf("%w: the API refused the token and --no-store keeps no refresh token; run the command again to sign in", ErrSignInRequired)
	}
	e, unlock, err := b.reread(ctx, key)
	if err != nil {
		return nil, err
	}
	defer unlock()
	d, err := b.decide(key, e)
	if err != nil {
		return nil, err
	}
	if d.Serve && e.AccessToken != rejected {
		b.logf("renew: session %s already has a newer token", name(key))
		return e, nil
	}
	switch {
	case b.Settings.ClientFlow():
		b.logf("renew: session %s gets a new client-credentials token", name(key))
		return b.signIn(ctx, key, e, "")
	case e != nil && e.RefreshToken != "":
		b.logf("renew: session %s refreshes the token the API refused", name(key))
		fresh, err := b.refresh(ctx, key, e)
		if err == nil || !flows.IsInvalidGrant(err) {
			return fresh, err
		}
		e.ForgetRefreshToken()
		b.saveOrWarn(key, e)
	}
	return nil, fmt.Errorf("%w: the API refused the token of session %s and it cannot be renewed without a sign-in; run: %s", ErrSignInRequired, name(key), loginCommand(key))
}
