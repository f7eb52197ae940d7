package main

import (
	"context"
	"fmt"

	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/internal/gitcred"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// gitCredential answers git: get hands out a token, erase forgets the access
// token git reports as rejected (so the next get refreshes), store does
// nothing (the cache already holds the token). stdout carries only
// protocol lines; every message goes to stderr.
func (a *app) gitCredential(ctx context.Context) error {
	attrs, err := cliargs.ReadGitRequest(a.stdin)
	if err != nil {
		return err
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
	if !cliargs.GitMayAnswer(attrs, a.debugf) {
		return nil
	}
	e, key, err := a.token(ctx, false, true)
	if err != nil {
		return err
	}
	return cliargs.WriteGitAnswer(a.stdout, attrs, e, key, a.debugf)
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
