package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/jsonobj"
)

// Decoding without reflection. encoding/json decodes a struct by building,
// on first use, its fields and those of every type it holds (Meta, its
// times, Background, and an encoder for each) — 5–8 % of a cached get's
// whole run, paid again by every process. Decode instead checks the entry
// with json.Valid and reads the members it knows (package jsonobj) from a
// table, with encoding/json's rules: keys match exactly or
// case-insensitively (the last one wins), null leaves a field as it is, a
// value of the wrong type is an error naming the field (the first one,
// after the whole entry has been read), and a time or number that does not
// parse stops at once.
// FuzzDecodeMatchesReference holds it to encoding/json.

// Decode parses a cache entry. Content that is not a JSON object, or whose
// known fields have the wrong types, is ErrCorrupt.
//
// It is one pass over the data: the fields it does not manage are kept as
// the data, and split into a map only if the entry is written back.
func Decode(data []byte) (*Entry, error) {
	i := jsonobj.SkipSpace(data, 0)
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
	d.object("", data[i:], []jsonobj.Field{
		field("access_token", d.str(&e.AccessToken)),
		field("refresh_token", d.str(&e.RefreshToken)),
		field("token_type", d.str(&e.TokenType)),
		field("id_token", d.str(&e.IDToken)),
		field("expires_at", d.number(&expiresAt)),
		field("scope", func(_ string, v []byte) bool { scope = v; return true }),
		field("token_url", d.str(&e.TokenURL)),
		field(Namespace, objectOf(&d, &e.Meta, d.metaFields)),
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
			s, _ = jsonobj.Unquote(scope)
			e.Scope, e.scopeIsStr = strings.Fields(s), true
		} else if !stringList(scope, &e.Scope) {
			return nil, fmt.Errorf("%w: scope is neither a string nor a list", ErrCorrupt)
		}
	}
	return e, nil
}

// decoder holds the outcome of one Decode: the first wrong type (reported
// once the whole entry is read, as encoding/json does), or a value that
// stopped the decoding.
type decoder struct {
	err     error
	stopped bool
	path    string // of the object being read, as encoding/json names it
}

func (d *decoder) wrongType(name string) {
	if d.err == nil {
		d.err = fmt.Errorf("field %s has the wrong type", d.path+name)
	}
}

// stop ends the decoding with a malformed value (a time or number that does
// not parse), as encoding/json does; it names no field.
func (d *decoder) stop() {
	d.err, d.stopped = errMalformed, true
}

var errMalformed = errors.New("malformed")

func field(name string, read func(name string, value []byte) bool) jsonobj.Field {
	return jsonobj.Field{Name: name, Read: read}
}

// object reads the JSON object v (checked by json.Valid), the value of the
// member name ("" at the top), for its fields.
func (d *decoder) object(name string, v []byte, fields []jsonobj.Field) {
	outer := d.path
	if name != "" {
		d.path += name + "."
	}
	jsonobj.ReadFields(v, fields)
	d.path = outer
}

func (d *decoder) str(p *string) func(string, []byte) bool {
	return func(name string, v []byte) bool {
		if !jsonobj.String(v, p) {
			d.wrongType(name)
		}
		return !d.stopped
	}
}

func (d *decoder) boolean(p *bool) func(string, []byte) bool {
	return func(name string, v []byte) bool {
		switch v[0] {
		case 't', 'f':
			*p = v[0] == 't'
		case 'n':
		default:
			d.wrongType(name)
		}
		return !d.stopped
	}
}

// number is a json.Number: a number, or a string that holds one.
func (d *decoder) number(p *json.Number) func(string, []byte) bool {
	return func(name string, v []byte) bool {
		switch v[0] {
		case '"':
			if json.Unmarshal(v, p) != nil {
				d.stop()
			}
		case 'n':
		case 't', 'f', '{', '[':
			d.wrongType(name)
		default:
			*p = json.Number(v)
		}
		return !d.stopped
	}
}

func (d *decoder) strings(p *[]string) func(string, []byte) bool {
	return func(name string, v []byte) bool {
		switch v[0] {
		case '[':
			if !stringList(v, p) {
				d.wrongType(name)
			}
		case 'n':
			*p = nil
		default:
			d.wrongType(name)
		}
		return !d.stopped
	}
}

func (d *decoder) time(p *time.Time) func(string, []byte) bool {
	return func(name string, v []byte) bool {
		if p.UnmarshalJSON(v) != nil {
			d.stop()
		}
		return !d.stopped
	}
}

// objectOf reads a member whose value is an object into *p, allocated on
// first use (a second member of the same name reads into the same one, as
// encoding/json does), or null.
func objectOf[T any](d *decoder, p **T, fields func(*T) []jsonobj.Field) func(string, []byte) bool {
	return func(name string, v []byte) bool {
		switch v[0] {
		case '{':
			if *p == nil {
				*p = new(T)
			}
			d.object(name, v, fields(*p))
		case 'n':
			*p = nil
		default:
			d.wrongType(name)
		}
		return !d.stopped
	}
}

func (d *decoder) metaFields(m *Meta) []jsonobj.Field {
	return []jsonobj.Field{
		field("provider", d.str(&m.Provider)),
		field("client_id", d.str(&m.ClientID)),
		field("flow", d.str(&m.Flow)),
		field("subject", d.str(&m.Subject)),
		field("profile", d.str(&m.Profile)),
		field("updated", d.time(&m.Updated)),
		field("issuer", d.str(&m.Issuer)),
		field("auth_url", d.str(&m.AuthURL)),
		field("token_url", d.str(&m.TokenURL)),
		field("device_auth_url", d.str(&m.DeviceAuthURL)),
		field("revocation_url", d.str(&m.RevocationURL)),
		field("signin_url", d.str(&m.SignInURL)),
		field("scopes", d.strings(&m.Scopes)),
		field("trust_hosts", d.strings(&m.TrustHosts)),
		field("api_base", d.str(&m.APIBase)),
		field("confidential", d.boolean(&m.Confidential)),
		field("refresh_token_sha256", d.str(&m.RefreshTokenSHA256)),
		field("issued", d.time(&m.Issued)),
		field("background_refresh", objectOf(d, &m.Background, d.backgroundFields)),
	}
}

func (d *decoder) backgroundFields(b *Background) []jsonobj.Field {
	return []jsonobj.Field{
		field("at", d.time(&b.At)),
		field("result", d.str(&b.Result)),
		field("detail", d.str(&b.Detail)),
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
	jsonobj.Items(v, func(item []byte) {
		s, isString := jsonobj.Unquote(item)
		list = append(list, s)
		ok = ok && (isString || item[0] == 'n')
	})
	*p = list
	return ok
}
