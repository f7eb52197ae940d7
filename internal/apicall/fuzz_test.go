package apicall

import (
	"encoding/json"
	"strings"
	"testing"
)

// Whatever is typed, a resolved URL is on the API's origin or a trusted
// host over https: the token goes nowhere else.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"/v1.1/Campaigns", "v1.1/x?$top=1", "https://api.4insight.io/x", "https://evil.example.com/",
		"//evil.example.com/x", "https:evil.example.com", "http://api.4insight.io:443/", "https://data.4subsea.net/x",
		"https://api.4insight.io@evil.example.com/", "\\\\evil.example.com/x", "/internal", " /x"} {
		f.Add(s)
	}
	base, _ := ParseBase("https://api.4insight.io/")
	target := Target{Base: base, TrustHosts: []string{"*.4subsea.net"}, RefuseInternal: true}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := target.Resolve(raw)
		if err != nil {
			return
		}
		host := strings.ToLower(u.Hostname())
		if !SameOrigin(u, base) && !(u.Scheme == "https" && strings.HasSuffix(host, ".4subsea.net")) {
			t.Fatalf("%q resolved to %s", raw, u)
		}
		if strings.Contains(strings.ToLower(u.Path), "internal") {
			t.Fatalf("%q resolved to an internal path %s", raw, u.Path)
		}
	})
}

// decodePage never panics, and every item it hands out is one JSON value.
func FuzzDecodePage(f *testing.F) {
	for _, s := range []string{`{"value":[1,{"a":2}],"@odata.nextLink":"x"}`, `{"value":null}`, `{"value":{}}`, `[]`, `{"value":[1,`, `{"a":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, page string) {
		decodePage(strings.NewReader(page), func(raw json.RawMessage) error {
			if !json.Valid(raw) {
				t.Fatalf("item %q is not JSON", raw)
			}
			return nil
		})
	})
}
