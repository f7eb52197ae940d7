package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Decoding without reflection. encoding/json decodes a struct by building,
// on first use, its fields and those of every type it holds (Meta, its
// times, Background, and an encoder for each) — about a third of a cached
// get's whole run, paid again by every process. Decode instead checks the
// entry with json.Valid and reads the members it knows from a table, with
// encoding/json's rules: keys match exactly or case-insensitively (the last
// one wins), null leaves a field as it is, a value of the wrong type is an
// error naming the field (the first one, after the whole entry has been
// read), and a time or number that does not parse stops at once.
// FuzzDecodeMatchesReference holds it to encoding/json.

// Decode parses a cache entry. Content that is not a JSON object, or whose
// known fields have the wrong types, is ErrCorrupt.
//
// It is one pass over the data: the fields it does not manage are kept as
// the data, and split into a map only if the entry is written back.
func Decode(data []byte) (*Entry, error) {
	i := skipSpace(data, 0)
	if i == len(data) {
		return nil, errTorn // empty
	}
	if data[i] != '{' {
		return nil, ErrCorrupt // JSON that is not an object
	}
	if !json.Valid(data) {
		return nil, errTorn // cut short, or not JSON
	}
	var (
		e         = &Entry{raw: &lazyFields{src: bytes.Clone(data)}} // the caller may reuse data
		expiresAt json.Number
		scope     []byte
		d         decoder
	)
	d.object("", data[i:], []member{
		{"access_token", d.str(&e.AccessToken)},
		{"refresh_token", d.str(&e.RefreshToken)},
		{"token_type", d.str(&e.TokenType)},
		{"id_token", d.str(&e.IDToken)},
		{"expires_at", d.number(&expiresAt)},
		{"scope", func(_ string, v []byte) { scope = v }},
		{"token_url", d.str(&e.TokenURL)},
		{Namespace, d.meta(&e.Meta)},
	})
	if d.err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, d.err)
	}
	if expiresAt != "" {
		f, err := expiresAt.Float64()
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
			return nil, fmt.Errorf("%w: expires_at is not epoch seconds", ErrCorrupt)
		}
		sec, frac := math.Modf(f)
		e.ExpiresAt = time.Unix(int64(sec), int64(frac*1e9))
	}
	if len(scope) > 0 && string(scope) != "null" {
		var s string
		if scope[0] == '"' {
			s, _ = unquote(scope)
			e.Scope, e.scopeIsStr = strings.Fields(s), true
		} else if !stringList(scope, &e.Scope) {
			return nil, fmt.Errorf("%w: scope is neither a string nor a list", ErrCorrupt)
		}
	}
	return e, nil
}

// A member is one known key of an object and what to do with its value.
type member struct {
	name   string
	decode func(path string, value []byte)
}

// decoder holds the outcome of one Decode: the first wrong type (reported
// once the whole entry is read, as encoding/json does), or a value that
// stopped the decoding.
type decoder struct {
	err     error
	stopped bool
}

func (d *decoder) wrongType(path string) {
	if d.err == nil {
		d.err = fmt.Errorf("field %s has the wrong type", path)
	}
}

// stop ends the decoding with a malformed value (a time or number that does
// not parse), as encoding/json does; it names no field.
func (d *decoder) stop() {
	d.err, d.stopped = errMalformed, true
}

var errMalformed = errors.New("malformed")

// object calls the member of each key of the JSON object v (checked by
// json.Valid) whose name is the key, or else equal to it ignoring case.
func (d *decoder) object(path string, v []byte, members []member) {
	i := skipSpace(v, 1)
	for !d.stopped && v[i] != '}' {
		end := valueEnd(v, i)
		key := v[i:end]
		i = skipSpace(v, skipSpace(v, end)+1) // past the colon
		end = valueEnd(v, i)
		value := v[i:end]
		i = skipSpace(v, end)
		if v[i] == ',' {
			i = skipSpace(v, i+1)
		}
		if m := find(members, key); m != nil {
			m.decode(join(path, m.name), value)
		}
	}
}

func find(members []member, quoted []byte) *member {
	key, ok := unquote(quoted)
	if !ok {
		return nil
	}
	for i := range members {
		if members[i].name == key {
			return &members[i]
		}
	}
	for i := range members {
		if strings.EqualFold(members[i].name, key) {
			return &members[i]
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (d *decoder) str(p *string) func(string, []byte) {
	return func(path string, v []byte) {
		switch v[0] {
		case '"':
			*p, _ = unquote(v)
		case 'n':
		default:
			d.wrongType(path)
		}
	}
}

func (d *decoder) boolean(p *bool) func(string, []byte) {
	return func(path string, v []byte) {
		switch v[0] {
		case 't', 'f':
			*p = v[0] == 't'
		case 'n':
		default:
			d.wrongType(path)
		}
	}
}

// number is a json.Number: a number, or a string that holds one.
func (d *decoder) number(p *json.Number) func(string, []byte) {
	return func(path string, v []byte) {
		switch v[0] {
		case '"':
			if json.Unmarshal(v, p) != nil {
				d.stop()
			}
		case 'n':
		case 't', 'f', '{', '[':
			d.wrongType(path)
		default:
			*p = json.Number(v)
		}
	}
}

func (d *decoder) strings(p *[]string) func(string, []byte) {
	return func(path string, v []byte) {
		switch v[0] {
		case '[':
			if !stringList(v, p) {
				d.wrongType(path)
			}
		case 'n':
			*p = nil
		default:
			d.wrongType(path)
		}
	}
}

func (d *decoder) time(p *time.Time) func(string, []byte) {
	return func(_ string, v []byte) {
		if p.UnmarshalJSON(v) != nil {
			d.stop()
		}
	}
}

func (d *decoder) meta(p **Meta) func(string, []byte) {
	return func(path string, v []byte) {
		switch v[0] {
		case '{':
			if *p == nil {
				*p = new(Meta)
			}
			m := *p
			d.object(path, v, []member{
				{"provider", d.str(&m.Provider)},
				{"client_id", d.str(&m.ClientID)},
				{"flow", d.str(&m.Flow)},
				{"subject", d.str(&m.Subject)},
				{"profile", d.str(&m.Profile)},
				{"updated", d.time(&m.Updated)},
				{"issuer", d.str(&m.Issuer)},
				{"auth_url", d.str(&m.AuthURL)},
				{"token_url", d.str(&m.TokenURL)},
				{"device_auth_url", d.str(&m.DeviceAuthURL)},
				{"revocation_url", d.str(&m.RevocationURL)},
				{"signin_url", d.str(&m.SignInURL)},
				{"scopes", d.strings(&m.Scopes)},
				{"trust_hosts", d.strings(&m.TrustHosts)},
				{"api_base", d.str(&m.APIBase)},
				{"confidential", d.boolean(&m.Confidential)},
				{"refresh_token_sha256", d.str(&m.RefreshTokenSHA256)},
				{"issued", d.time(&m.Issued)},
				{"background_refresh", d.background(&m.Background)},
			})
		case 'n':
			*p = nil
		default:
			d.wrongType(path)
		}
	}
}

func (d *decoder) background(p **Background) func(string, []byte) {
	return func(path string, v []byte) {
		switch v[0] {
		case '{':
			if *p == nil {
				*p = new(Background)
			}
			b := *p
			d.object(path, v, []member{
				{"at", d.time(&b.At)},
				{"result", d.str(&b.Result)},
				{"detail", d.str(&b.Detail)},
			})
		case 'n':
			*p = nil
		default:
			d.wrongType(path)
		}
	}
}

// stringList decodes a JSON array of strings (nulls are empty strings).
// ok is false if an item is not a string.
func stringList(v []byte, p *[]string) (ok bool) {
	if v[0] != '[' {
		return false
	}
	list := (*p)[:0]
	if *p == nil {
		list = []string{}
	}
	ok = true
	for i := skipSpace(v, 1); v[i] != ']'; {
		end := valueEnd(v, i)
		switch v[i] {
		case '"':
			s, _ := unquote(v[i:end])
			list = append(list, s)
		case 'n':
			list = append(list, "")
		default:
			list, ok = append(list, ""), false
		}
		i = skipSpace(v, end)
		if v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	*p = list
	return ok
}

// unquote returns the JSON string v as Go text. Plain ASCII without escapes
// is sliced; anything else goes through encoding/json, which also replaces
// invalid UTF-8 as it always has. ok is false if v is not a string.
func unquote(v []byte) (s string, ok bool) {
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

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value that starts at v[i],
// in data that json.Valid accepted.
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
