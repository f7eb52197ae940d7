package urls

import "testing"

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
