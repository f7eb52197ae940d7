package broker

import (
	"cmp"
	"encoding/json"
	"strings"

	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/store"
	"golang.org/x/oauth2"
)

// providerExtras are token response fields worth keeping beside the standard
// ones (Azure AD and B2C send them; the Python client keeps them too).
var providerExtras = []string{"ext_expires_in", "expires_on", "not_before", "id_token_expires_in", "profile_info", "refresh_token_expires_in"}

// merge lays a token response over the previous entry, the way the Python
// client's cache does (dict.update), so fields we do not manage survive.
func merge(prev *store.Entry, tok *oauth2.Token) *store.Entry {
	e := &store.Entry{}
	if prev != nil {
		c := *prev
		e = &c
	}
	e.AccessToken = tok.AccessToken
	e.TokenType = tok.TokenType
	e.RefreshToken = tok.RefreshToken // x/oauth2 keeps the old one when a refresh returns none
	e.ExpiresAt = tok.Expiry
	if s, ok := tok.Extra("scope").(string); ok {
		e.Scope = strings.Fields(s)
	}
	if s, ok := tok.Extra("id_token").(string); ok && s != "" {
		e.IDToken = s
	}
	for _, k := range providerExtras {
		if v := tok.Extra(k); v != nil {
			if raw, err := json.Marshal(v); err == nil {
				e.SetExtra(k, raw)
			}
		}
	}
	return e
}

// subjectOf reads "sub" from the ID token, else from a JWT access token, for
// display in status. It does not verify: it is never used to decide anything.
func subjectOf(e *store.Entry) string {
	for _, jwt := range []string{e.IDToken, e.AccessToken} {
		var claims struct {
			Sub   string `json:"sub"`
			Email string `json:"email"`
			UPN   string `json:"preferred_username"`
		}
		if flows.JWTClaims(jwt, &claims) {
			if s := cmp.Or(claims.UPN, claims.Email, claims.Sub); s != "" {
				return s
			}
		}
	}
	return ""
}
