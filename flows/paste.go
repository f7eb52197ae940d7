package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/fourinsight-token/fourinsight-token/flows/urls"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"golang.org/x/oauth2"
)

// ErrBadPackage: what the user pasted is not a sign-in package we may use.
var ErrBadPackage = errors.New("bad sign-in package")

// Package is what 4insight's sign-in page shows after a successful sign-in:
// the token endpoint to exchange the code at, and the code.
type Package struct {
	Endpoint string `json:"endpoint"`
	Code     string `json:"code"`
	// RedirectURI is sent with the code when the page names one (an extension
	// for providers that insist on it; 4insight's page does not).
	RedirectURI string `json:"redirect_uri,omitempty"`
}

// maxPackage bounds a pasted package; real ones are a few KiB.
const maxPackage = 64 << 10

// ParsePackage reads a pasted package. It accepts surrounding white space and
// a terminal's bracketed-paste markers, and nothing else: errors never echo
// the input, which holds a code.
func ParsePackage(s string) (Package, error) {
	s = strings.TrimSpace(strings.NewReplacer("\x1b[200~", "", "\x1b[201~", "").Replace(s))
	if s == "" {
		return Package{}, fmt.Errorf("%w: nothing was pasted", ErrBadPackage)
	}
	if len(s) > maxPackage {
		return Package{}, fmt.Errorf("%w: longer than %d bytes", ErrBadPackage, maxPackage)
	}
	var p Package
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	if err := dec.Decode(&p); err != nil || dec.More() {
		return Package{}, fmt.Errorf("%w: expected the JSON {\"endpoint\": ..., \"code\": ...} that the sign-in page shows; copy all of it", ErrBadPackage)
	}
	if p.Endpoint == "" || p.Code == "" {
		return Package{}, fmt.Errorf("%w: it needs both \"endpoint\" and \"code\"; copy all of what the sign-in page shows", ErrBadPackage)
	}
	if err := urls.Check(p.Endpoint); err != nil {
		return Package{}, fmt.Errorf("%w: endpoint %v", ErrBadPackage, err)
	}
	return p, nil
}

// CheckTrusted refuses an endpoint whose host is not in trusted, before any
// secret or code is sent. Patterns are host names or "*.domain" (any
// subdomain of domain, not domain itself).
func (p Package) CheckTrusted(trusted []string) error {
	u, err := url.Parse(p.Endpoint)
	if err != nil {
		return fmt.Errorf("%w: endpoint is not a URL", ErrBadPackage)
	}
	host := strings.ToLower(u.Hostname())
	if HostTrusted(host, trusted) {
		return nil
	}
	host = printable.Cut(host, 255)
	return fmt.Errorf("%w: a sign-in page asked to send your code to %s, which is not one of the profile's hosts; nothing was sent. "+
		"If you did not expect this, stop: the page may not be your provider's. "+
		"If your organisation runs its own provider there, add %q to trust_hosts of its profile in the config file (docs/configuration.md), or pass --trust-host %s for this call",
		ErrBadPackage, host, host, host)
}

// HostTrusted matches host against host names and "*.domain" patterns.
func HostTrusted(host string, trusted []string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, t := range trusted {
		t = strings.ToLower(strings.TrimSpace(t))
		if domain, ok := strings.CutPrefix(t, "*."); ok {
			if strings.HasSuffix(host, "."+domain) {
				return true
			}
		} else if t != "" && host == t {
			return true
		}
	}
	return false
}

// ExchangePackage trades the pasted code at the pasted endpoint, with the
// profile's client id and secret (the Python client's UserSession).
func ExchangePackage(ctx context.Context, cfg *oauth2.Config, p Package) (*oauth2.Token, error) {
	c := *cfg
	c.Endpoint.TokenURL = p.Endpoint
	c.RedirectURL = p.RedirectURI
	return Exchange(ctx, &c, p.Code)
}
