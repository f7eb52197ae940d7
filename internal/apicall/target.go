// Package apicall makes authenticated calls to the profile's REST API, as
// the Python client's sessions do: relative paths against the API base,
// the token sent only to the API's own host, safe retries, one renewal of a
// rejected token, and OData paging (@odata.nextLink) streamed item by item.
package apicall

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/fourinsight-token/fourinsight-token/flows/urls"
)

// ErrNotAllowed: the URL is not one the token may be sent to (exit 2).
var ErrNotAllowed = errors.New("refused")

// Target says where the session's token may go.
type Target struct {
	// Base is the API base (api_base); relative paths resolve against it,
	// and its scheme and host are where the token goes.
	Base *url.URL
	// TrustHosts are other hosts absolute URLs may name (api_trust_hosts;
	// "*.example.com" for subdomains). They must use https (or loopback http).
	TrustHosts []string
	// RefuseInternal refuses paths containing "internal", as the Python
	// client does for 4insight.
	RefuseInternal bool
}

// ParseBase checks an API base URL (https, or http on loopback only).
func ParseBase(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: no API base: set --api-base, FOURINSIGHT_API_BASE or api_base in the profile", ErrNotAllowed)
	}
	if err := urls.Check(raw); err != nil {
		return nil, fmt.Errorf("%w: the API base %v", ErrNotAllowed, err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: the API base: %v", ErrNotAllowed, err)
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// Resolve turns a PATH or URL from the command line into the URL to call,
// refusing what the token must not be sent to.
func (t Target) Resolve(raw string) (*url.URL, error) {
	raw = strings.ReplaceAll(raw, " ", "%20") // OData filters are typed with spaces
	ref, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a path or URL: %v", ErrNotAllowed, raw, err)
	}
	var u *url.URL
	if ref.Scheme == "" && ref.Host == "" {
		c := *t.Base
		c.Path = strings.TrimSuffix(t.Base.Path, "/") + "/" + strings.TrimPrefix(ref.Path, "/")
		c.RawPath = ""
		c.RawQuery = ref.RawQuery
		u = &c
	} else {
		u = ref
		u.Fragment, u.User = "", nil // the session's token is the only credential sent
		if err := t.CheckHost(u); err != nil {
			return nil, err
		}
	}
	if t.RefuseInternal && strings.Contains(strings.ToLower(u.Path), "internal") {
		return nil, fmt.Errorf("%w: %s is an internal endpoint of the 4insight API, which is not for use by clients (the Python client refuses it too)", ErrNotAllowed, u.Path)
	}
	return u, nil
}

// CheckHost accepts URLs on the API base's scheme and host, and on the
// trusted hosts over https (or http on loopback).
func (t Target) CheckHost(u *url.URL) error {
	if SameOrigin(u, t.Base) {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range t.TrustHosts {
		h = strings.ToLower(h)
		match := host == h
		if sub, ok := strings.CutPrefix(h, "*."); ok {
			match = strings.HasSuffix(host, "."+sub)
		}
		if match && urls.Check(u.String()) == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: %s://%s is not the API (%s://%s); the token is sent only there. To send it to this host too, add it to api_trust_hosts in the profile", ErrNotAllowed, u.Scheme, u.Host, t.Base.Scheme, t.Base.Host)
}

// SameOrigin: same scheme, host and port.
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u.Host + ":443"
	case "http":
		return u.Host + ":80"
	}
	return u.Host
}

// Redacted is u for messages and logs: query values replaced by "…", so
// filters and keys in them stay out of logs.
func Redacted(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = RedactQuery(u.RawQuery)
	return c.String()
}

// RedactQuery keeps the names of a query and hides its values.
func RedactQuery(q string) string {
	if q == "" {
		return ""
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		if k, _, ok := strings.Cut(p, "="); ok {
			parts[i] = k + "=…"
		}
	}
	return strings.Join(parts, "&")
}
