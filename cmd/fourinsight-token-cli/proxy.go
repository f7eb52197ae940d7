package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/fourinsight-token/fourinsight-token/internal/apicall"
	"github.com/fourinsight-token/fourinsight-token/internal/proxy"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// proxy serves the authenticating loopback proxy until SIGINT or SIGTERM.
func (a *app) proxy(ctx context.Context) error {
	c := a.cli.Proxy
	for _, o := range c.AllowOrigin {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || strings.TrimPrefix(o, u.Scheme+"://") != u.Host {
			return fmt.Errorf("%w: --allow-origin %q is not an origin such as http://localhost:3000", errUsage, o)
		}
	}
	client, target, err := a.apiClient()
	if err != nil {
		return err
	}
	ln, err := proxy.Listen(c.Listen)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	// A token now, so that a sign-in (if one is needed) happens here in the
	// terminal rather than on the first request from some tool.
	if _, err := client.Tokens.Token(ctx); err != nil {
		ln.Close()
		return err
	}
	// Bodies pass through as the API sent them (no transparent gzip), in
	// large reads, also over TLS (proxy.ReadAhead).
	transport := client.HTTP.Transport.(*http.Transport).Clone()
	transport.DisableCompression = true
	transport.ReadBufferSize, transport.WriteBufferSize = 64<<10, 64<<10
	transport.DialContext = proxy.ReadAhead(transport.DialContext)
	p := &proxy.Proxy{
		Upstream:       target.Base,
		Tokens:         client.Tokens,
		Transport:      transport,
		AllowOrigins:   c.AllowOrigin,
		RefuseInternal: target.RefuseInternal,
		Log:            a.stderr,
	}
	fmt.Fprintf(a.stderr, "fourinsight-token proxy: listening on %s for %s (session %s); only your user can use it; stop with Ctrl-C\n",
		proxy.URL(ln), apicall.Redacted(target.Base), store.SessionName(a.cli.Session))
	if c.PrintURL {
		fmt.Fprintln(a.stdout, proxy.URL(ln))
	}
	if err := p.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(a.stderr, "fourinsight-token proxy: stopped")
	return nil
}
