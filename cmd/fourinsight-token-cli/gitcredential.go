package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows/urls"
	"github.com/fourinsight-token/fourinsight-token/internal/gitcred"
)

// gitUsername is the username answered when git did not send one. Servers
// that take a token as the password of HTTP Basic ignore the username.
const gitUsername = "fourinsight-token"

// gitCredential answers git: get hands out a token, erase forgets the access
// token git reports as rejected (so the next get refreshes), store does
// nothing (the cache already holds the token). stdout carries only
// protocol lines; every message goes to stderr.
func (a *app) gitCredential(ctx context.Context) error {
	attrs, err := gitcred.Parse(a.stdin)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	switch op := a.cli.GitCredential.Operation; op {
	case "get":
		return a.gitGet(ctx, attrs)
	case "erase":
		return a.gitErase(ctx, attrs)
	case "store":
		a.debugf("git-credential store: nothing to do; the token cache keeps the token")
		return nil
	default:
		// gitcredentials(7): a helper silently ignores operations it does
		// not know, leaving room for new ones.
		a.debugf("git-credential: ignoring unknown operation %q", op)
		return nil
	}
}

func (a *app) gitGet(ctx context.Context, attrs gitcred.Attributes) error {
	protocol, host := gitTarget(attrs)
	if !gitMayAnswer(protocol, host) {
		// Not a request a bearer token answers (a certificate passphrase,
		// plain http to another machine): say nothing so git asks elsewhere.
		a.debugf("git-credential get: not answering for protocol %q host %q (only https, or http on loopback)", protocol, host)
		return nil
	}
	e, key, err := a.token(ctx, false, true)
	if err != nil {
		return err
	}
	var out gitcred.Attributes
	if attrs.HasCapability("authtype") {
		// git 2.46+: hand over the Authorization header's parts. ephemeral:
		// other helpers must not store a token this short-lived.
		out = gitcred.Attributes{
			{Key: "capability[]", Value: "authtype"},
			{Key: "authtype", Value: "Bearer"},
			{Key: "credential", Value: e.AccessToken},
			{Key: "ephemeral", Value: "1"},
		}
	} else {
		user := attrs.Get("username")
		if user == "" {
			user = gitUsername
		}
		out = gitcred.Attributes{{Key: "username", Value: user}, {Key: "password", Value: e.AccessToken}}
	}
	if !e.ExpiresAt.IsZero() {
		out = append(out, gitcred.Attribute{Key: "password_expiry_utc", Value: strconv.FormatInt(e.ExpiresAt.Unix(), 10)})
	}
	a.debugf("git-credential get: answering for %s://%s with the token of session %s", protocol, host, profile.SessionName(key))
	return gitcred.Write(a.stdout, out)
}

// gitErase drops the session's access token when it is the one git
// reports (after the server answered 401), keeping the refresh token, so
// that the next get refreshes instead of handing out the same token.
func (a *app) gitErase(ctx context.Context, attrs gitcred.Attributes) error {
	tok := attrs.Get("password")
	if tok == "" {
		tok = attrs.Get("credential")
	}
	if tok == "" {
		a.debugf("git-credential erase: no password or credential given; nothing to do")
		return nil
	}
	b, key, err := a.setup()
	if err != nil {
		return err
	}
	if b.Store == nil {
		return nil
	}
	dropped, err := b.Drop(ctx, key, tok)
	if err != nil {
		return err
	}
	if dropped {
		a.debugf("git-credential erase: dropped the access token of session %s; the next get refreshes", profile.SessionName(key))
	} else {
		a.debugf("git-credential erase: session %s no longer holds that token; nothing to do", profile.SessionName(key))
	}
	return nil
}

// gitTarget is the protocol and host git asks about, from the attributes or
// from url= (which callers of helpers other than git may send).
func gitTarget(attrs gitcred.Attributes) (protocol, host string) {
	protocol, host = attrs.Get("protocol"), attrs.Get("host")
	if protocol == "" {
		if u, err := url.Parse(attrs.Get("url")); err == nil {
			protocol, host = u.Scheme, u.Host
		}
	}
	return strings.ToLower(protocol), host
}

// gitMayAnswer: a token goes only over https, or over http to this machine.
func gitMayAnswer(protocol, host string) bool {
	switch protocol {
	case "https":
		return host != ""
	case "http":
		return isLoopback(host)
	}
	return false
}

func isLoopback(hostport string) bool {
	h := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		h = hh
	}
	return urls.IsLoopback(h)
}

// debugf logs under -v, like the broker's debug log.
func (a *app) debugf(format string, args ...any) {
	if a.cli.Verbose {
		fmt.Fprintf(a.stderr, "fourinsight-token: debug: "+format+"\n", args...)
	}
}
