package gitcred

import (
	"testing"
	"time"
)

func TestMayAnswer(t *testing.T) {
	tests := []struct {
		protocol, host string
		want           bool
	}{
		{"https", "git.example.com", true},
		{"https", "", false},
		{"http", "git.example.com", false},
		{"http", "localhost:3000", true},
		{"http", "127.0.0.1", true},
		{"http", "[::1]:80", true},
		{"http", "127.0.0.1.example.com", false},
		{"cert", "", false},
		{"ssh", "git.example.com", false},
	}
	for _, tt := range tests {
		if got := MayAnswer(tt.protocol, tt.host); got != tt.want {
			t.Errorf("MayAnswer(%q, %q) = %v, want %v", tt.protocol, tt.host, got, tt.want)
		}
	}
}

func TestAnswer(t *testing.T) {
	exp := time.Unix(1900000000, 0)
	plain := Answer(Attributes{{"protocol", "https"}, {"host", "h"}}, "TOKEN", exp)
	if plain.Get("username") != DefaultUsername || plain.Get("password") != "TOKEN" || plain.Get("password_expiry_utc") != "1900000000" {
		t.Errorf("plain answer = %v", plain)
	}
	if got := Answer(Attributes{{"username", "me"}}, "TOKEN", time.Time{}); got.Get("username") != "me" || got.Get("password_expiry_utc") != "" {
		t.Errorf("git's username and no expiry: %v", got)
	}
	bearer := Answer(Attributes{{"capability[]", "authtype"}}, "TOKEN", exp)
	if bearer.Get("authtype") != "Bearer" || bearer.Get("credential") != "TOKEN" || bearer.Get("password") != "" || bearer.Get("ephemeral") != "1" {
		t.Errorf("authtype answer = %v", bearer)
	}
}

func TestTarget(t *testing.T) {
	if p, h := (Attributes{{"url", "HTTPS://git.example.com:8443/repo"}}).Target(); p != "https" || h != "git.example.com:8443" {
		t.Errorf("from url=: %q %q", p, h)
	}
	if p, h := (Attributes{{"protocol", "http"}, {"host", "[::1]:80"}}).Target(); p != "http" || h != "[::1]:80" {
		t.Errorf("from protocol/host: %q %q", p, h)
	}
}
