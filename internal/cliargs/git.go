package cliargs

import (
	"fmt"
	"io"

	"github.com/fourinsight-token/fourinsight-token/internal/gitcred"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// Git's credential helper protocol, as both the front and the full command
// line answer "git-credential get": the same reading, the same decision
// and the same answer, whoever gives it.

// ReadGitRequest reads git's request; input that is not one is a usage
// error (exit 2), which never repeats the input (it may hold a password).
func ReadGitRequest(r io.Reader) (gitcred.Attributes, error) {
	attrs, err := gitcred.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return attrs, nil
}

// GitMayAnswer reports whether a bearer token answers this request
// (gitcred.MayAnswer): otherwise nothing is said, so that git asks
// elsewhere.
func GitMayAnswer(req gitcred.Attributes, debug func(string, ...any)) bool {
	protocol, host := req.Target()
	if !gitcred.MayAnswer(protocol, host) {
		debug("git-credential get: not answering for protocol %q host %q (only https, or http on loopback)", protocol, host)
		return false
	}
	return true
}

// WriteGitAnswer answers the request with the entry's token.
func WriteGitAnswer(w io.Writer, req gitcred.Attributes, e *store.Entry, key string, debug func(string, ...any)) error {
	protocol, host := req.Target()
	debug("git-credential get: answering for %s://%s with the token of session %s", protocol, host, store.SessionName(key))
	return gitcred.Write(w, gitcred.Answer(req, e.AccessToken, e.ExpiresAt))
}
