// Package kinderr makes errors of a kind (errors.Is matches the kind) that
// read as their own message alone, without the kind's text in front: for
// messages that already say everything, such as the keyring's.
package kinderr

import "fmt"

type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// New returns an error that errors.Is matches to kind and that reads as the
// formatted message.
func New(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
