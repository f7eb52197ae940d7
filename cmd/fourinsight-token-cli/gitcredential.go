package main

import (
	"context"
	"fmt"

	"github.com/fourinsight-token/fourinsight-token/internal/gitcred"
	"github.com/fourinsight-token/fourinsight-token/store"
)

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
	protocol, host := attrs.Target()
	if !gitcred.MayAnswer(protocol, host) {
		a.debugf("git-credential get: not answering for protocol %q host %q (only https, or http on loopback)", protocol, host)
		return nil
	}
	e, key, err := a.token(ctx, false, true)
	if err != nil {
		return err
	}
	a.debugf("git-credential get: answering for %s://%s with the token of session %s", protocol, host, store.SessionName(key))
	return gitcred.Write(a.stdout, gitcred.Answer(attrs, e.AccessToken, e.ExpiresAt))
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
		a.debugf("git-credential erase: dropped the access token of session %s; the next get refreshes", store.SessionName(key))
	} else {
		a.debugf("git-credential erase: session %s no longer holds that token; nothing to do", store.SessionName(key))
	}
	return nil
}

// debugf logs under -v, like the broker's debug log.
func (a *app) debugf(format string, args ...any) {
	if a.cli.Verbose {
		fmt.Fprintf(a.stderr, "fourinsight-token: debug: "+format+"\n", args...)
	}
}
