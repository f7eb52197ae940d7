package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/safefile"
)

// Outage remembers that the provider did not answer a refresh or sign-in of
// the session, so that the callers queued behind the one that tried share
// its failure instead of each running the whole retry cycle again. It never
// holds a secret.
type Outage struct {
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}

// outagePath is the marker beside the session's lock, hidden like the
// sign-in memory.
func (f File) outagePath(key string) string {
	return filepath.Join(f.Dir, "."+filepath.Base(f.Path(key))+".outage")
}

// RememberOutage records the provider's failure to answer. Callers hold the
// session's lock.
func (f File) RememberOutage(key string, o Outage) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	data, err := json.Marshal(o)
	if err != nil {
		return err
	}
	if err := f.writeAtomic(f.outagePath(key), data, false); err != nil {
		return fmt.Errorf("cannot remember the provider outage: %w", err)
	}
	return nil
}

// LastOutage returns the session's last remembered outage, or nil when there
// is none or the marker cannot be read (it is only a hint).
func (f File) LastOutage(key string) *Outage {
	if CheckKey(key) != nil {
		return nil
	}
	data, err := safefile.Read(f.outagePath(key), markerOptions)
	if err != nil {
		return nil
	}
	var o Outage
	if json.Unmarshal(data, &o) != nil || o.At.IsZero() {
		return nil
	}
	return &o
}
