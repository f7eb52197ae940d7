package kinderr

import (
	"errors"
	"testing"
)

func TestNew(t *testing.T) {
	kind := errors.New("keyring")
	err := New(kind, "session %s is elsewhere", "ws0")
	if !errors.Is(err, kind) || err.Error() != "session ws0 is elsewhere" {
		t.Fatalf("err = %q, Is(kind) = %v", err, errors.Is(err, kind))
	}
}
