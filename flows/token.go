package flows

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"github.com/fourinsight-token/fourinsight-token/store"
	"golang.org/x/oauth2"
)

// JWTClaims decodes the payload of a JWT into v without verifying it. It is
// for reading what a token says about itself (expiry, subject, nonce from the
// token endpoint itself); it reports false for anything that is not a JWT.
func JWTClaims(token string, v any) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	return err == nil && json.Unmarshal(payload, v) == nil
}

// jwtExpiry is a JWT's exp claim, or the zero time.
func jwtExpiry(token string) time.Time {
	var c struct {
		Exp json.Number `json:"exp"`
	}
	if !JWTClaims(token, &c) {
		return time.Time{}
	}
	f, err := c.Exp.Float64()
	if err != nil || f <= 0 || f > 1e11 || math.IsNaN(f) {
		return time.Time{}
	}
	return time.Unix(int64(f), 0)
}

// issued checks a token endpoint's answer before anything is cached or
// printed, and turns errors into ones that say what happened (explain).
//
//   - access_token must be an RFC 6750 bearer token (b64token): anything
//     else, a line break above all, would inject headers or lines into every
//     consumer that prints it.
//   - token_type must be Bearer (any case) or absent: a token of another type
//     (mac, DPoP) is not usable as "Authorization: Bearer".
//   - an expires_in of zero or less is never served as valid: the token's
//     own exp claim is used when it is a JWT that says it is still valid,
//     otherwise the answer is refused. Without expires_in, a JWT's exp is
//     used; with neither, Expiry stays zero and the caller applies its
//     default lifetime.
func issued(tok *oauth2.Token, err error, what, endpoint string) (*oauth2.Token, error) {
	if err != nil {
		return nil, explain(err, what, endpoint)
	}
	if err := checkToken(tok, time.Now()); err != nil {
		return nil, fmt.Errorf("%w: %s at %s: %v", ErrMalformed, what, hostOf(endpoint), err)
	}
	return tok, nil
}

func checkToken(tok *oauth2.Token, now time.Time) error {
	if !store.IsBearerToken(tok.AccessToken) {
		return errors.New("its access_token is not a bearer token (RFC 6750 allows letters, digits, -._~+/ and trailing =); nothing was saved")
	}
	if tt := tok.TokenType; tt != "" && !strings.EqualFold(tt, "bearer") {
		return fmt.Errorf("it issued a token of type %q, not Bearer; fourinsight-token hands out bearer tokens only", printable.Cut(tt, 40))
	}
	exp := jwtExpiry(tok.AccessToken)
	if in, ok := expiresIn(tok); ok && in <= 0 {
		if !exp.After(now) {
			return fmt.Errorf("it issued a token that has already expired (expires_in %d)", in)
		}
		tok.Expiry = exp
	}
	if tok.Expiry.IsZero() && exp.After(now) {
		tok.Expiry = exp
	}
	return nil
}

// expiresIn is the answer's expires_in, when it sent one.
func expiresIn(tok *oauth2.Token) (int64, bool) {
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		return int64(v), true
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case string: // form-encoded answers, and some providers' JSON
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	}
	return 0, false
}
