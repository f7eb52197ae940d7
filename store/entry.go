// Package store keeps one token entry per session key and the locks that
// serialise the work on it. Sessions kept in the OS keyring instead are
// package store/keyring's; this package holds only the markers that say so.
//
// The file format is the one the official Python client (fourinsight.api)
// reads and writes, so a sign-in in either tool serves both: the token
// response fields at the top level, plus token_url. Fields this tool adds live
// under the Namespace key, and fields neither tool knows are kept as they are.
package store

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
)

// Namespace is the top-level key under which fourinsight-token keeps its own
// fields. The Python client ignores it; an entry without it was written by the
// Python client.
const Namespace = "fourinsight_token"

// Meta is what fourinsight-token records about how an entry was made: who
// made it, so that a session made for one provider or client is never
// silently used for another, and everything but a secret needed to use it
// again (refresh, sign in again, revoke) when no provider is chosen.
type Meta struct {
	Provider string    `json:"provider,omitempty"` // issuer, sign-in page or token URL the settings named
	ClientID string    `json:"client_id,omitempty"`
	Flow     string    `json:"flow,omitempty"`
	Subject  string    `json:"subject,omitempty"`
	Profile  string    `json:"profile,omitempty"`
	Updated  time.Time `json:"updated,omitempty"`

	// The provider settings the session was made with. Entries recorded
	// before these were kept have none, and are not reused for them.
	Issuer        string   `json:"issuer,omitempty"`
	AuthURL       string   `json:"auth_url,omitempty"`
	TokenURL      string   `json:"token_url,omitempty"`
	DeviceAuthURL string   `json:"device_auth_url,omitempty"`
	RevocationURL string   `json:"revocation_url,omitempty"`
	SignInURL     string   `json:"signin_url,omitempty"`
	Scopes        []string `json:"scopes,omitempty"`
	TrustHosts    []string `json:"trust_hosts,omitempty"`
	APIBase       string   `json:"api_base,omitempty"`
	// Confidential: the client sent a secret (which is never recorded).
	Confidential bool `json:"confidential,omitempty"`
	// RefreshTokenSHA256 binds the record to the tokens it describes: the
	// fingerprint of the refresh token when it was written ("none" without
	// one). Another program that signs in again under the same file (the
	// Python client keeps our key when it rewrites an entry) leaves it
	// describing tokens that are gone. Empty in records older than binding.
	RefreshTokenSHA256 string `json:"refresh_token_sha256,omitempty"`

	// Issued is when the access token was received, so that its lifetime
	// (and the refresh-ahead window, a third of it) is known.
	Issued time.Time `json:"issued,omitzero"`
	// Background is the outcome of the session's last background refresh.
	Background *Background `json:"background_refresh,omitempty"`
}

// Entry is one session's cached token. The zero ExpiresAt means the expiry is
// unknown, which is treated as expired.
type Entry struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	IDToken      string
	ExpiresAt    time.Time
	Scope        []string
	TokenURL     string
	Meta         *Meta // nil for entries written by the Python client

	raw        *lazyFields // every field as read, for round trips
	scopeIsStr bool        // scope was stored as one string
}

// lazyFields holds every top-level field of a decoded entry, decoded from src
// on first use: only a write needs them, and the cached get never writes.
// Copies of an Entry share them, as they shared the map that was here before.
type lazyFields struct {
	once sync.Once
	src  []byte // a JSON object, checked by Decode
	m    map[string]json.RawMessage
	done bool // m was set directly; src is not used
}

// fields returns the entry's top-level fields as read (nil if none).
func (e *Entry) fields() map[string]json.RawMessage {
	if e.raw == nil {
		return nil
	}
	l := e.raw
	l.once.Do(func() {
		if !l.done && l.src != nil {
			// Decode already checked that src is one JSON object.
			json.Unmarshal(l.src, &l.m) //nolint:errcheck
		}
		l.src, l.done = nil, true
	})
	return l.m
}

// ValidFor reports whether the entry can serve: its access token is a bearer
// token that stays valid for at least d from now. An expiry that is unknown,
// now or past never serves, and neither does a token that could inject lines
// or headers into what consumers print.
func (e *Entry) ValidFor(d time.Duration, now time.Time) bool {
	return e != nil && e.ExpiresAt.After(now) && e.ExpiresAt.Sub(now) >= d && IsBearerToken(e.AccessToken)
}

// IsBearerToken reports whether s is an RFC 6750 bearer token (b64token):
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". Nothing else
// is handed out: a space or line break would split the header or line that
// every consumer builds from it.
func IsBearerToken(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}

// ErrCorrupt is returned for cache content that is not a JSON object.
var ErrCorrupt = errors.New("cache entry is not valid JSON")

// errTorn is ErrCorrupt for content that may be cut short: empty, or not
// JSON. The Python client rewrites a file in place (truncate, then write),
// so a read can land in the middle of that; File.Load reads it again.
var errTorn error = tornError{}

type tornError struct{}

func (tornError) Error() string { return ErrCorrupt.Error() }
func (tornError) Unwrap() error { return ErrCorrupt }

// Encode renders the entry, keeping every field it was decoded with that it
// does not manage itself.
func (e *Entry) Encode() ([]byte, error) {
	raw := e.fields()
	out := make(map[string]any, len(raw)+8)
	for k, v := range raw {
		out[k] = v
	}
	set := func(k, v string) {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	set("access_token", e.AccessToken)
	set("refresh_token", e.RefreshToken)
	set("token_type", e.TokenType)
	set("id_token", e.IDToken)
	set("token_url", e.TokenURL)
	if e.ExpiresAt.IsZero() {
		delete(out, "expires_at")
	} else {
		// The Python client writes float epoch seconds; so do we.
		out["expires_at"] = float64(e.ExpiresAt.UnixMilli()) / 1000
		if in := time.Until(e.ExpiresAt); in > 0 {
			out["expires_in"] = int64(in.Seconds())
		}
	}
	switch {
	case e.Scope == nil:
		delete(out, "scope")
	case e.scopeIsStr:
		out["scope"] = strings.Join(e.Scope, " ")
	default:
		out["scope"] = e.Scope // a list, as oauthlib stores it
	}
	if e.Meta != nil {
		out[Namespace] = e.Meta
	}
	return json.MarshalIndent(out, "", "  ")
}

// Extra returns a top-level field this package does not manage, as raw JSON.
func (e *Entry) Extra(key string) (json.RawMessage, bool) {
	v, ok := e.fields()[key]
	return v, ok
}

// SetExtra sets a top-level field that this package does not manage (for
// example a token response field such as ext_expires_in); nil removes it.
func (e *Entry) SetExtra(key string, v json.RawMessage) {
	if e.raw == nil {
		e.raw = &lazyFields{}
	}
	m := e.fields()
	if m == nil {
		m = map[string]json.RawMessage{}
		e.raw.m = m
	}
	if v == nil {
		delete(m, key)
		return
	}
	m[key] = v
}
