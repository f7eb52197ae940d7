package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
)

// Unusable lists the files in Dir named like entries ("token.NAME") that
// no session can use, by NAME: the Python client takes any session_key,
// so it may write "token.my notebook", and a directory or link may sit
// where an entry would. Keys leaves them out; status shows them.
func (f File) Unusable() ([]string, error) {
	names, err := os.ReadDir(f.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list the token cache: %w", err)
	}
	var out []string
	for _, n := range names {
		name := n.Name()
		key, ok := strings.CutPrefix(name, "token.")
		if !ok || key == "lock" || strings.HasSuffix(key, ".lock") {
			continue // not an entry, or a lock file
		}
		if CheckKey(key) != nil || !n.Type().IsRegular() {
			out = append(out, key)
		}
	}
	if info, err := os.Lstat(f.Path("")); err == nil && !info.Mode().IsRegular() {
		out = append(out, "")
	}
	sort.Strings(out)
	return out, nil
}
