// Package urls holds the rules for the URLs fourinsight-token talks to.
//
// It stands apart from package flows because the fast front and the
// settings (broker/profile) check URLs without linking flows' network code:
// it imports no network code, not even package net.
package urls

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/fourinsight-token/fourinsight-token/internal/printable"
)

// DefaultRedirect is the loopback redirect of the browser flow when none is
// configured: 127.0.0.1, any free port.
const DefaultRedirect = "http://127.0.0.1:0/callback"

// Check accepts https URLs, and plain http only for loopback hosts, where
// nothing crosses a network. It is the one rule for every endpoint, wherever
// it came from (flag, environment, config, discovery, a cache entry, a pasted
// package). URLs with user info (https://user:pw@host/) are refused: the
// password would end up in logs, status and the cache file. Its errors show
// the URL as Show renders it, never a password or query values.
func Check(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s is not an absolute URL", Show(raw))
	}
	if u.User != nil {
		return fmt.Errorf("%s carries a user name or password; remove it (credentials never go in URLs)", Show(raw))
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%s must use https (plain http is allowed only for localhost)", Show(raw))
}

// Show renders a URL (or what was meant to be one) for messages: without
// user info, query values or fragment, without control characters, and
// shortened, so that pasted or hostile input is never echoed in full.
func Show(raw string) string {
	s := raw
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		c := *u
		c.User = nil
		if c.RawQuery != "" {
			c.RawQuery = "…"
		}
		c.Fragment = ""
		s = c.String()
	} else if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(printable.Cut(s, 200))
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil && ip.Unmap().IsLoopback()
}

// Redirect returns the redirect URL (path filled in) and the address to
// listen on for it.
func Redirect(raw string) (*url.URL, string, error) {
	if raw == "" {
		raw = DefaultRedirect
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, "", fmt.Errorf("the redirect URL %q must be a plain http://127.0.0.1:PORT/PATH loopback address", raw)
	}
	var bind string
	switch u.Hostname() {
	case "127.0.0.1", "localhost":
		bind = "127.0.0.1" // never all interfaces, and never a name lookup
	case "::1":
		bind = "::1"
	default:
		return nil, "", fmt.Errorf("the redirect URL %q must name 127.0.0.1 (or localhost, [::1]): the sign-in listens on this machine's loopback interface only", raw)
	}
	port := u.Port()
	if port == "" {
		port = "0"
	}
	if u.Path == "" {
		u.Path = "/callback"
	}
	return u, joinHostPort(bind, port), nil
}

// joinHostPort is net.JoinHostPort, without linking package net.
func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}
