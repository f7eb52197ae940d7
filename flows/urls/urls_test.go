package urls

import (
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.8.9.10": true, "::1": true, "[::1]": true,
		"::ffff:127.0.0.1": true, "0:0:0:0:0:0:0:1": true,
		"10.0.0.1": false, "::2": false, "127.0.0.1.nip.io": false, "localhost.evil.com": false, "": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestRedirect(t *testing.T) {
	tests := []struct {
		raw, url, bind string
		ok             bool
	}{
		{"", "http://127.0.0.1:0/callback", "127.0.0.1:0", true},
		{"http://localhost:8765", "http://localhost:8765/callback", "127.0.0.1:8765", true},
		{"http://[::1]:9/cb", "http://[::1]:9/cb", "[::1]:9", true},
		{"https://127.0.0.1/cb", "", "", false},
		{"http://0.0.0.0:80/cb", "", "", false},
		{"http://example.com/cb", "", "", false},
	}
	for _, tt := range tests {
		u, bind, err := Redirect(tt.raw)
		if (err == nil) != tt.ok {
			t.Errorf("Redirect(%q) error = %v, want ok=%v", tt.raw, err, tt.ok)
			continue
		}
		if tt.ok && (u.String() != tt.url || bind != tt.bind) {
			t.Errorf("Redirect(%q) = %s, %s; want %s, %s", tt.raw, u, bind, tt.url, tt.bind)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		raw string
		ok  bool
	}{
		{"https://idp.example.com/token", true},
		{"http://127.0.0.1:8080/token", true},
		{"http://localhost/token", true},
		{"http://idp.example.com/token", false},
		{"https://user:hunter22@idp.example.com/token", false},
		{"https://user@idp.example.com/token", false},
		{"http://user:hunter22@127.0.0.1/token", false},
		{"ftp://idp.example.com/", false},
		{"/token", false},
		{"", false},
	}
	for _, tt := range tests {
		err := Check(tt.raw)
		if (err == nil) != tt.ok {
			t.Errorf("Check(%q) = %v, want ok=%v", tt.raw, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "hunter22") {
			t.Errorf("Check(%q) echoes the password: %v", tt.raw, err)
		}
	}
}

func TestShowHidesWhatMustNotBeEchoed(t *testing.T) {
	for raw, want := range map[string]string{
		"https://u:pw@idp.example.com/t?code=SECRET#frag": `"https://idp.example.com/t?…"`,
		// Control characters make it no URL: cut, and the escape dropped.
		"https://idp.example.com/\x1b[2Jtoken":                         `"https://idp.example.com/[2Jtoken"`,
		"not a url \x1b]0;pwned\x07 at all, and long enough to be cut": `"not a url ]0;pwned at all, and long en…"`,
	} {
		if got := Show(raw); got != want {
			t.Errorf("Show(%q) = %s, want %s", raw, got, want)
		}
	}
}
