package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// decodeReference is Decode as it was before it was made single-pass with a
// lazily decoded field map: the whole entry into a map, then the known fields
// through a json.Decoder. FuzzDecodeMatchesReference holds Decode to it.
func decodeReference(data []byte) (*Entry, map[string]json.RawMessage, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return nil, nil, ErrCorrupt
	}
	var w wire
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&w); err != nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrCorrupt, fieldOf(err))
	}
	e := &Entry{
		AccessToken:  w.AccessToken,
		RefreshToken: w.RefreshToken,
		TokenType:    w.TokenType,
		IDToken:      w.IDToken,
		TokenURL:     w.TokenURL,
		Meta:         w.Meta,
	}
	if w.ExpiresAt != "" {
		f, err := w.ExpiresAt.Float64()
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
			return nil, nil, fmt.Errorf("%w: expires_at is not epoch seconds", ErrCorrupt)
		}
		sec, frac := math.Modf(f)
		e.ExpiresAt = time.Unix(int64(sec), int64(frac*1e9))
	}
	if len(w.Scope) > 0 && string(w.Scope) != "null" {
		var s string
		if json.Unmarshal(w.Scope, &s) == nil {
			e.Scope, e.scopeIsStr = strings.Fields(s), true
		} else if json.Unmarshal(w.Scope, &e.Scope) != nil {
			return nil, nil, fmt.Errorf("%w: scope is neither a string nor a list", ErrCorrupt)
		}
	}
	return e, raw, nil
}

func FuzzDecodeMatchesReference(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":3599,"expires_at":1732851234.56789,"scope":["openid","offline_access"],"token_url":"https://login/t","ext_expires_in":3599}`,
		`{"access_token":"a","expires_at":1732851234,"scope":"openid email","fourinsight_token":{"provider":"p","client_id":"c","updated":"2025-01-01T00:00:00Z"}}`,
		` {}`, `{"access_token": "ab`, `["a"]`, `null`, ``, `"x"`, `5`, `{} {}`, `{"a":1} x`, `{"access_token":5}`,
		`{"expires_at":"soon"}`, `{"expires_at":"12"}`, `{"expires_at":-5}`, `{"scope":[1,2]}`, `{"scope":null}`,
		`{"fourinsight_token":{"updated":"yesterday"}}`, `{"fourinsight_token":5}`, `{"ACCESS_TOKEN":"a","access_token":"b"}`,
		"\t\r\n{\"x\":[]}", `{"access_token":"\xff"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode(data)
		want, wantRaw, wantErr := decodeReference(data)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("Decode(%q): error %v, before %v", data, err, wantErr)
		}
		if err != nil {
			return
		}
		gotRaw := got.fields()
		if (len(gotRaw) != 0 || len(wantRaw) != 0) && !reflect.DeepEqual(gotRaw, wantRaw) {
			t.Fatalf("Decode(%q): fields %v, before %v", data, gotRaw, wantRaw)
		}
		want.raw = &lazyFields{m: wantRaw, done: true}
		// Encode writes expires_in for a future expiry, which depends on the
		// instant; compare the encodings of entries without one.
		a, errA := got.Encode()
		b, errB := want.Encode()
		if fmt.Sprint(errA) != fmt.Sprint(errB) || (!got.ExpiresAt.After(time.Now()) && !bytes.Equal(a, b)) {
			t.Fatalf("Encode after Decode(%q): %s / %v, before %s / %v", data, a, errA, b, errB)
		}
		got.raw, want.raw = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q) = %+v, before %+v", data, got, want)
		}
	})
}
