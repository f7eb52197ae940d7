package broker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// SessionInfo is what status shows of a session. It never holds a token.
type SessionInfo struct {
	Session      string    `json:"session"`
	Flow         string    `json:"flow,omitempty"`
	Provider     string    `json:"provider,omitempty"`
	TokenHost    string    `json:"token_host,omitempty"`
	ClientID     string    `json:"client_id,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	Valid        bool      `json:"valid"`
	RefreshToken bool      `json:"refresh_token"`
	Subject      string    `json:"subject,omitempty"`
	WrittenBy    string    `json:"written_by,omitempty"` // fourinsight-token or python
	Problem      string    `json:"problem,omitempty"`
	// Unusable: a file named like an entry that no session can use (the
	// Python client takes any session_key); Problem says why.
	Unusable bool `json:"unusable,omitempty"`
	// BackgroundRefresh is the outcome of the last background refresh.
	BackgroundRefresh *store.Background `json:"background_refresh,omitempty"`
}

// FlowPython is the flow status shows for an entry the Python client
// wrote: its UserSession's sign-in.
const FlowPython = "python"

// unusableLister is a Store (the file store) that can list the files no
// session key can name.
type unusableLister interface {
	Unusable() ([]string, error)
}

// Sessions describes every cached session, or only key when one is given.
func (b *Broker) Sessions(only *string) ([]SessionInfo, error) {
	if b.Store == nil {
		return nil, nil
	}
	keys := []string{}
	if only != nil {
		keys = append(keys, *only)
	} else {
		var err error
		if keys, err = b.Store.Keys(); err != nil {
			return nil, err
		}
	}
	var out []SessionInfo
	for _, k := range keys {
		info := SessionInfo{Session: k}
		e, err := b.Store.Load(k)
		switch {
		case errors.Is(err, store.ErrNotFound) && only != nil:
			continue
		case err != nil:
			info.Problem = err.Error()
		default:
			info.ExpiresAt = e.ExpiresAt
			info.Valid = e.ValidFor(0, time.Now())
			info.RefreshToken = e.RefreshToken != ""
			info.Subject = subjectOf(e)
			info.WrittenBy, info.Flow = "python", FlowPython
			if u, err := url.Parse(e.TokenURL); err == nil {
				info.TokenHost = u.Host
			}
			if m := e.Meta; m != nil && e.Bound() { // else the Python client signed in again under it
				info.WrittenBy = "fourinsight-token"
				info.Flow, info.Provider, info.ClientID = m.Flow, m.Provider, m.ClientID
				info.Subject = cmp.Or(m.Subject, info.Subject)
				info.BackgroundRefresh = m.Background
			}
		}
		out = append(out, info)
	}
	if l, ok := b.Store.(unusableLister); ok && only == nil {
		names, err := l.Unusable()
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			why := fmt.Sprintf("%q is not a session key fourinsight-token can use (1-64 letters, digits, '.', '_' or '-', starting with a letter or digit); in Python, use such a session_key", n)
			if store.CheckKey(n) == nil {
				why = "not a regular file; remove it"
			}
			out = append(out, SessionInfo{Session: n, Unusable: true, Problem: why})
		}
	}
	return out, nil
}

// Logout forgets the session after asking the provider to revoke its refresh
// token, where the provider offers revocation. Revocation is best effort: a
// failure is reported, and the session is forgotten all the same.
func (b *Broker) Logout(ctx context.Context, key string) (found bool, err error) {
	unlock, err := b.lock(ctx, key)
	if err != nil {
		return false, err
	}
	defer unlock()
	e, err := b.Store.Load(key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err == nil && e.RefreshToken != "" {
		b.revoke(ctx, key, e)
	}
	return true, b.Store.Delete(key)
}

func (b *Broker) revoke(ctx context.Context, key string, e *store.Entry) {
	if err := b.use(key, e); err != nil {
		// Settings chosen for another provider: the session is still
		// revoked as it records, though without this call's secret, which
		// belongs to the other client.
		s := *b.chosen
		s.ClientSecret, s.SecretGiven, s.Chosen = "", false, profile.Choice{}
		if !errors.Is(err, profile.ErrMismatch) || !e.Bound() {
			b.logf("logout: session %s: %v; not revoking", name(key), err)
			return
		}
		if b.Settings, err = s.Recorded(e.Meta); err != nil {
			b.logf("logout: session %s was made with other settings that cannot be used (%v); not revoking", name(key), err)
			return
		}
		b.endpoints, b.adopted = nil, true
	}
	if err := b.Settings.CheckSecret(key); err != nil {
		b.warn("could not revoke the refresh token of session %s (%v); it is forgotten here only", name(key), err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*b.HTTP.Timeout+time.Second)
	defer cancel()
	ep := b.Settings.Profile.RevocationURL
	if ep == "" && b.Settings.Profile.Issuer != "" {
		eps, err := b.resolveEndpoints(ctx)
		if err != nil {
			b.warn("could not look up the revocation endpoint (%v); forgetting session %s locally only", err, name(key))
			return
		}
		ep = eps.Revocation
	}
	if ep == "" {
		b.warn("%s names no revocation endpoint, so the refresh token of session %s cannot be revoked; it is forgotten here only", b.providerName(), name(key))
		return
	}
	if _, err := b.withHTTP(ctx); err != nil {
		b.warn("%v", err)
		return
	}
	cfg, _ := b.oauthConfig(ctx, true)
	if err := flows.Revoke(ctx, b.httpClient, ep, cfg, e.RefreshToken); err != nil {
		b.warn("could not revoke the refresh token of session %s (%v); it was forgotten locally", name(key), err)
		return
	}
	b.logf("logout: revoked the refresh token of session %s", name(key))
}

// Drop forgets the session's access token if it is still accessToken (a
// consumer, such as git after a 401, reported it as rejected), keeping the
// refresh token so the next call refreshes instead of signing in.
func (b *Broker) Drop(ctx context.Context, key, accessToken string) (bool, error) {
	e, unlock, err := b.reread(ctx, key)
	if err != nil {
		return false, err
	}
	defer unlock()
	if e == nil || e.AccessToken != accessToken {
		return false, nil
	}
	e.AccessToken = ""
	e.ExpiresAt = time.Time{}
	return true, b.Store.Save(key, e)
}
