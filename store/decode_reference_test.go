package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// decodeReference is Decode done by encoding/json: the whole entry into a map,
// then the known fields through a json.Decoder. FuzzDecodeMatchesReference holds Decode to it.
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
		`{"fourinsight_token":{"provider":"https://p","client_id":"c","flow":"browser","subject":"s","profile":"4insight","updated":"2025-01-01T00:00:00Z","issuer":"https://i","auth_url":"a","token_url":"t","device_auth_url":"d","revocation_url":"r","signin_url":"u","scopes":["openid",null],"trust_hosts":[],"api_base":"b","confidential":true,"refresh_token_sha256":"h","issued":"2025-01-01T00:00:00.5+01:00","background_refresh":{"at":"2025-01-01T00:00:00Z","result":"renewed","detail":"x"}}}`,
		`{"fourinsight_token":{"scopes":["a",5],"client_id":7}}`, `{"fourinsight_token":{"confidential":"yes"}}`, `{"fourinsight_token":{"issued":5}}`,
		`{"fourinsight_token":{"background_refresh":{"at":null,"result":1}}}`, `{"fourinsight_token":{"background_refresh":[]}}`,
		`{"fourinsight_token":{"client_id":"a"},"fourinsight_token":{"flow":"b"}}`, `{"fourinsight_token":{"client_id":"a"},"fourinsight_token":null}`,
		`{"Access_Token":"a","acce\u017fs_token":"b","\u212a":1,"access\u005ftoken":"c"}`, `{"access_token":"a\nb\u00e9\ud83d\ude00"}`,
		`{"access_token":true,"expires_at":"soon"}`, `{"expires_at":[1]}`, `{"expires_at":"1e3"}`, `{"scope":"a b","scope":["c"]}`,
		`{"refresh_token":null,"refresh_token":"r","token_type":{"a":"}"},"id_token":["]"]}`,
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

// wire is what Decode read through encoding/json before it read without
// reflection.
type wire struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	TokenType    string          `json:"token_type"`
	IDToken      string          `json:"id_token"`
	ExpiresAt    json.Number     `json:"expires_at"`
	Scope        json.RawMessage `json:"scope"`
	TokenURL     string          `json:"token_url"`
	Meta         *Meta           `json:"fourinsight_token"`
}

// fieldOf names the offending field of a type error without echoing values.
func fieldOf(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "field " + te.Field + " has the wrong type"
	}
	return "malformed"
}

// TestDecodeKnowsEveryRecordedField: a field added to Meta or Background is
// read back by Decode (which lists the fields it knows, without reflection).
func TestDecodeKnowsEveryRecordedField(t *testing.T) {
	var m Meta
	m.Background = new(Background)
	fill(t, reflect.ValueOf(&m).Elem())
	fill(t, reflect.ValueOf(m.Background).Elem())
	data, err := (&Entry{AccessToken: "a", Meta: &m}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	e, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e.Meta, &m) {
		t.Errorf("Decode lost recorded fields (add them to store/decode.go):\n got %+v %+v\nwant %+v %+v", e.Meta, e.Meta.Background, &m, m.Background)
	}
}

// fill gives every field of the struct v a value other than its zero.
func fill(t *testing.T, v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Interface().(type) {
		case string:
			f.SetString(v.Type().Field(i).Name)
		case bool:
			f.SetBool(true)
		case []string:
			f.Set(reflect.ValueOf([]string{v.Type().Field(i).Name, ""}))
		case time.Time:
			f.Set(reflect.ValueOf(time.Date(2026, 11, 30, 12, i, 0, 500, time.UTC)))
		case *Background:
			if f.IsNil() {
				t.Fatalf("%s: fill it before", v.Type().Field(i).Name)
			}
		default:
			t.Fatalf("%s.%s: fill does not know %s", v.Type(), v.Type().Field(i).Name, f.Type())
		}
	}
}
