package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantErr   bool
		token     string
		expiresAt int64
		scope     []string
	}{
		{name: "python client entry", in: `{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":3599,"expires_at":1732851234.56789,"scope":["openid","offline_access"],"token_url":"https://login/t","ext_expires_in":3599}`,
			token: "a", expiresAt: 1732851234, scope: []string{"openid", "offline_access"}},
		{name: "integer expires_at and string scope", in: `{"access_token":"a","expires_at":1732851234,"scope":"openid email"}`,
			token: "a", expiresAt: 1732851234, scope: []string{"openid", "email"}},
		{name: "no expiry", in: `{"access_token":"a"}`, token: "a"},
		{name: "empty object", in: `{}`},
		{name: "torn write", in: `{"access_token": "ab`, wantErr: true},
		{name: "not an object", in: `["a"]`, wantErr: true},
		{name: "null", in: `null`, wantErr: true},
		{name: "empty file", in: ``, wantErr: true},
		{name: "expires_at as string", in: `{"access_token":"a","expires_at":"soon"}`, wantErr: true},
		{name: "negative expires_at", in: `{"access_token":"a","expires_at":-5}`, wantErr: true},
		{name: "access_token not a string", in: `{"access_token":5}`, wantErr: true},
		{name: "scope of numbers", in: `{"scope":[1,2]}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Decode([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("err = %v, want ErrCorrupt", err)
				}
				if err != nil && strings.Contains(err.Error(), "ab") && tt.name == "torn write" {
					t.Fatalf("error echoes content: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.AccessToken != tt.token {
				t.Errorf("token %q, want %q", e.AccessToken, tt.token)
			}
			if got := e.ExpiresAt; (tt.expiresAt == 0) != got.IsZero() || (!got.IsZero() && got.Unix() != tt.expiresAt) {
				t.Errorf("expires_at %v, want %d", got, tt.expiresAt)
			}
			if strings.Join(e.Scope, " ") != strings.Join(tt.scope, " ") {
				t.Errorf("scope %v, want %v", e.Scope, tt.scope)
			}
		})
	}
}

// A decode-encode round trip keeps every field, including ones neither tool
// knows, and writes the managed ones in the Python client's types.
func TestEncodeKeepsUnknownFields(t *testing.T) {
	in := `{"access_token":"a","refresh_token":"r","expires_at":1732851234.5,"scope":["x"],"token_url":"https://t","nested":{"k":[1,2]},"ext_expires_in":10}`
	e, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	e.AccessToken = "b"
	e.ExpiresAt = time.Unix(1900000000, 0)
	e.Meta = &Meta{Provider: "https://idp", ClientID: "cli", Flow: "paste"}
	out, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if m["access_token"] != "b" || m["refresh_token"] != "r" || m["token_url"] != "https://t" || m["ext_expires_in"] != float64(10) {
		t.Errorf("managed or extra fields wrong: %v", m)
	}
	if nested, _ := m["nested"].(map[string]any); nested == nil || len(nested["k"].([]any)) != 2 {
		t.Errorf("unknown nested field lost: %v", m["nested"])
	}
	if m["expires_at"] != float64(1900000000) {
		t.Errorf("expires_at = %v", m["expires_at"])
	}
	if _, ok := m["scope"].([]any); !ok {
		t.Errorf("scope should stay a list: %v", m["scope"])
	}
	if meta, _ := m[Namespace].(map[string]any); meta["client_id"] != "cli" {
		t.Errorf("namespaced fields: %v", m[Namespace])
	}
	again, err := Decode(out)
	if err != nil || again.Meta == nil || again.Meta.Flow != "paste" || again.AccessToken != "b" {
		t.Fatalf("re-decode: %v %+v", err, again)
	}
}

func TestValidFor(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name string
		e    *Entry
		d    time.Duration
		want bool
	}{
		{"nil entry", nil, 0, false},
		{"no token", &Entry{ExpiresAt: now.Add(time.Hour)}, time.Minute, false},
		{"unknown expiry", &Entry{AccessToken: "a"}, 0, false},
		{"long enough", &Entry{AccessToken: "a", ExpiresAt: now.Add(time.Hour)}, time.Minute, true},
		{"exactly enough", &Entry{AccessToken: "a", ExpiresAt: now.Add(time.Minute)}, time.Minute, true},
		{"too short", &Entry{AccessToken: "a", ExpiresAt: now.Add(30 * time.Second)}, time.Minute, false},
		{"expired", &Entry{AccessToken: "a", ExpiresAt: now.Add(-time.Second)}, 0, false},
		{"expires now, --min-valid 0s", &Entry{AccessToken: "a", ExpiresAt: now}, 0, false},
		{"a second left, --min-valid 0s", &Entry{AccessToken: "a", ExpiresAt: now.Add(time.Second)}, 0, true},
		{"line break in token", &Entry{AccessToken: "AT\r\nX-Injected: yes", ExpiresAt: now.Add(time.Hour)}, 0, false},
		{"space in token", &Entry{AccessToken: "two words", ExpiresAt: now.Add(time.Hour)}, 0, false},
		{"bearer charset", &Entry{AccessToken: "aZ09-._~+/==", ExpiresAt: now.Add(time.Hour)}, 0, true},
	}
	for _, tt := range tests {
		if got := tt.e.ValidFor(tt.d, now); got != tt.want {
			t.Errorf("%s: ValidFor = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// FuzzDecode: no input crashes the decoder, and whatever decodes encodes
// and decodes again to the same token.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"a","refresh_token":"r","expires_at":1732851234.56789,"scope":["openid"],"token_url":"https://t"}`,
		`{"access_token":"a","expires_at":1,"scope":"a b","fourinsight_token":{"flow":"client"}}`,
		`{"expires_at":1e400}`, `{"scope":null}`, `{}`, `[]`, `{"a":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error is not ErrCorrupt: %v", err)
			}
			return
		}
		out, err := e.Encode()
		if err != nil {
			t.Fatalf("encode after decode: %v", err)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("decode of our own output: %v\n%s", err, out)
		}
		if again.AccessToken != e.AccessToken || again.RefreshToken != e.RefreshToken {
			t.Fatal("tokens changed in a round trip")
		}
	})
}
