package store

import (
	"crypto/sha256"
	"encoding/hex"
)

// noRefreshToken is the fingerprint of an entry without a refresh token.
const noRefreshToken = "none"

// fingerprint is a short SHA-256 fingerprint of a refresh token: enough to
// tell one token from another, and not the token.
func fingerprint(refreshToken string) string {
	if refreshToken == "" {
		return noRefreshToken
	}
	sum := sha256.Sum256([]byte(refreshToken))
	return hex.EncodeToString(sum[:8])
}

// Bind records the entry's current refresh token in its record, so that a
// later rewrite by another program can be told apart (see Bound).
func (e *Entry) Bind() {
	if e.Meta != nil {
		e.Meta.RefreshTokenSHA256 = fingerprint(e.RefreshToken)
	}
}

// Bound reports whether the entry's record describes the tokens it holds:
// false when another program (the Python client) has since signed in again
// under the same file, keeping our record beside its tokens. A record
// without a fingerprint (written before records were bound) counts as
// bound. It hashes, so call it only when the record's identity matters.
func (e *Entry) Bound() bool {
	if e.Meta == nil {
		return false
	}
	fp := e.Meta.RefreshTokenSHA256
	return fp == "" || fp == fingerprint(e.RefreshToken)
}

// ForgetRefreshToken drops the refresh token (the provider refused it),
// keeping the record bound if it was.
func (e *Entry) ForgetRefreshToken() {
	bound := e.Meta != nil && e.Bound()
	e.RefreshToken = ""
	if bound {
		e.Bind()
	}
}
