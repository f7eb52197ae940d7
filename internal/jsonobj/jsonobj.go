// Package jsonobj reads the members of JSON objects without reflection.
//
// encoding/json decodes into a struct by building, on first use, the
// struct's fields and those of every type it holds, with an encoder for
// each: in a process that decodes one small document and exits — the fast
// front's cached get — that is a large part of its whole run. The front's
// readers (the cache entry, kubectl's request) check a document with
// json.Valid and then walk it with this package, picking the members they
// know; encoding/json still does the unescaping of any string that needs it.
//
// Every function takes data that json.Valid accepted; on anything else the
// result is undefined.
package jsonobj

import (
	"encoding/json"
	"strings"
)

// Members calls fn with each member of the JSON object v, in order, until fn
// returns false: the key as written (quoted, see Unquote) and the raw value.
func Members(v []byte, fn func(key, value []byte) bool) {
	for i := SkipSpace(v, 1); v[i] != '}'; {
		end := valueEnd(v, i)
		key := v[i:end]
		i = SkipSpace(v, SkipSpace(v, end)+1) // past the colon
		end = valueEnd(v, i)
		value := v[i:end]
		if !fn(key, value) {
			return
		}
		if i = SkipSpace(v, end); v[i] == ',' {
			i = SkipSpace(v, i+1)
		}
	}
}

// Items calls fn with each item of the JSON array v, in order.
func Items(v []byte, fn func(item []byte)) {
	for i := SkipSpace(v, 1); v[i] != ']'; {
		end := valueEnd(v, i)
		fn(v[i:end])
		if i = SkipSpace(v, end); v[i] == ',' {
			i = SkipSpace(v, i+1)
		}
	}
}

// Unquote returns the JSON string v as Go text, as encoding/json decodes it
// (invalid UTF-8 becomes U+FFFD). Plain ASCII without escapes is copied as
// it is; anything else goes through encoding/json. ok is false if v is not
// a string.
func Unquote(v []byte) (s string, ok bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	for _, c := range inner {
		if c < 0x20 || c >= 0x80 || c == '\\' {
			return s, json.Unmarshal(v, &s) == nil
		}
	}
	return string(inner), true
}

// String decodes the value v into *p as encoding/json decodes into a string
// field: a string is set, null leaves *p as it was, and anything else is
// the wrong type (ok false, *p unchanged).
func String(v []byte, p *string) (ok bool) {
	if v[0] == 'n' {
		return true
	}
	s, ok := Unquote(v)
	if ok {
		*p = s
	}
	return ok
}

// SkipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func SkipSpace(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value that starts at v[i].
func valueEnd(v []byte, i int) int {
	switch v[i] {
	case '"':
		for i++; v[i] != '"'; i++ {
			if v[i] == '\\' {
				i++
			}
		}
		return i + 1
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch v[i] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			case '"':
				i = valueEnd(v, i) - 1
			}
		}
	default: // a number, true, false or null
		for i < len(v) && !isDelimiter(v[i]) {
			i++
		}
		return i
	}
}

// isDelimiter reports whether c ends a number, true, false or null.
func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// A Field is a member an object is read for: Read gets the field's name and
// the member's raw value, and returns false to stop reading the object.
type Field struct {
	Name string
	Read func(name string, value []byte) bool
}

// ReadFields calls, for each member of the JSON object v in order, the Read
// of the field its key names — the key equal to the field's name, or else
// equal to it ignoring case, as encoding/json matches keys to struct fields
// — until a Read returns false. Members no field names are skipped.
func ReadFields(v []byte, fields []Field) {
	Members(v, func(k, value []byte) bool {
		key, ok := Unquote(k)
		if !ok {
			return true
		}
		f := -1
		for i := range fields {
			if fields[i].Name == key {
				f = i
				break
			}
		}
		for i := 0; f < 0 && i < len(fields); i++ {
			if strings.EqualFold(fields[i].Name, key) {
				f = i
			}
		}
		return f < 0 || fields[f].Read(fields[f].Name, value)
	})
}
