package jsonobj

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// membersByDecoder lists an object's members as encoding/json's token
// stream reads them: the reference for Members.
func membersByDecoder(data []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out []string
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%q=%s", key, value))
	}
	return out, nil
}

func members(data []byte) (out []string) {
	Members(data[SkipSpace(data, 0):], func(key, value []byte) bool {
		k, ok := Unquote(key)
		if !ok {
			out = append(out, "bad key "+string(key))
		}
		out = append(out, fmt.Sprintf("%q=%s", k, value))
		return true
	})
	return out
}

func FuzzMembers(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a" : "b" , "c":[1,{"d":"]}"}],"e":{"f":null}}`, `{"\u0061\n":"x\"y\\"}`,
		`{"a":-1.5e3,"b":true,"c":false,"d":null,"e":""}`, "{\n\t\"k\"\r:\t[ ]\n}", `{"a":1,"a":2}`, `{"é":"ü","\ud83d\ude00":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || bytes.TrimSpace(data)[0] != '{' {
			return
		}
		want, err := membersByDecoder(data)
		if err != nil {
			t.Fatal(err)
		}
		if got := members(data); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Members(%q) = %q, encoding/json reads %q", data, got, want)
		}
	})
}

func TestItems(t *testing.T) {
	for in, want := range map[string]string{
		`[]`: "[]", `[ 1 , "a,b" ,{"c":[2]}, [ ] ,null]`: `[1 "a,b" {"c":[2]} [ ] null]`, "[\n\"x\"\n]": `["x"]`,
	} {
		var got []string
		Items([]byte(in), func(item []byte) { got = append(got, string(item)) })
		if s := fmt.Sprint(got); s != want && !(want == "[]" && len(got) == 0) {
			t.Errorf("Items(%s) = %s, want %s", in, s, want)
		}
	}
}

func TestUnquote(t *testing.T) {
	for in, want := range map[string]string{
		`"plain"`: "plain", `""`: "", `"a\"b"`: `a"b`, `"\u00e9\n"`: "é\n", "\"\xff\"": "\uFFFD", `"é"`: "é",
	} {
		if got, ok := Unquote([]byte(in)); !ok || got != want {
			t.Errorf("Unquote(%s) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{`5`, `null`, `[]`, ``, `"`} {
		if _, ok := Unquote([]byte(in)); ok {
			t.Errorf("Unquote(%s): ok for a non-string", in)
		}
	}
}

// Members stops when fn says so.
func TestMembersStops(t *testing.T) {
	n := 0
	Members([]byte(`{"a":1,"b":2,"c":3}`), func(key, value []byte) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("fn called %d times, want 2", n)
	}
}

// String keeps encoding/json's rule for a string field.
func TestString(t *testing.T) {
	for _, in := range []string{`"a\u00e9"`, `null`, `5`, `true`, `{}`, `[]`} {
		got, want := "kept", "kept"
		errWant := json.Unmarshal([]byte(in), &want)
		if ok := String([]byte(in), &got); ok != (errWant == nil) || got != want {
			t.Errorf("String(%s) = %q, %v; encoding/json: %q, %v", in, got, ok, want, errWant)
		}
	}
}
