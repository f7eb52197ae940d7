package flows

import (
	"errors"
	"strings"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/flows/urls"
)

func TestParsePackage(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		endpoint string
		errHas   string
	}{
		{name: "as the page shows it", in: `{"endpoint": "https://login.microsoftonline.com/t/oauth2/v2.0/token", "code": "0.AAA-code"}`, endpoint: "https://login.microsoftonline.com/t/oauth2/v2.0/token"},
		{name: "with white space and newline", in: "  \n{\"endpoint\":\"https://x.b2clogin.com/t\",\"code\":\"c\"}\r\n", endpoint: "https://x.b2clogin.com/t"},
		{name: "bracketed paste", in: "\x1b[200~{\"endpoint\":\"https://a.4insight.io/t\",\"code\":\"c\"}\x1b[201~", endpoint: "https://a.4insight.io/t"},
		{name: "loopback http", in: `{"endpoint":"http://127.0.0.1:8080/token","code":"c"}`, endpoint: "http://127.0.0.1:8080/token"},
		{name: "empty", in: "  ", errHas: "nothing was pasted"},
		{name: "only the code", in: `0.AAA-secret-code`, errHas: "expected the JSON"},
		{name: "half a package", in: `{"endpoint":"https://a.4insight.io/t","code":"c"`, errHas: "expected the JSON"},
		{name: "two packages", in: `{"endpoint":"https://a.4insight.io/t","code":"c"} {"x":1}`, errHas: "expected the JSON"},
		{name: "no code", in: `{"endpoint":"https://a.4insight.io/t"}`, errHas: "needs both"},
		{name: "plain http elsewhere", in: `{"endpoint":"http://evil.example/t","code":"c"}`, errHas: "https"},
		{name: "not a URL", in: `{"endpoint":"token","code":"c"}`, errHas: "not an absolute URL"},
		{name: "huge", in: `{"endpoint":"https://a.4insight.io/t","code":"` + strings.Repeat("c", 70000) + `"}`, errHas: "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePackage(tt.in)
			if tt.errHas != "" {
				if !errors.Is(err, ErrBadPackage) || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want ErrBadPackage containing %q", err, tt.errHas)
				}
				if strings.Contains(err.Error(), "secret-code") {
					t.Fatal("the error echoes the pasted code")
				}
				return
			}
			if err != nil || p.Endpoint != tt.endpoint || p.Code == "" {
				t.Fatalf("got %+v, %v", p, err)
			}
		})
	}
}

func TestHostTrusted(t *testing.T) {
	trusted := []string{"login.microsoftonline.com", "*.b2clogin.com", "4insight.io", "*.4insight.io"}
	tests := []struct {
		host string
		want bool
	}{
		{"login.microsoftonline.com", true},
		{"LOGIN.microsoftonline.com.", true},
		{"4subseaid.b2clogin.com", true},
		{"b2clogin.com", false}, // a wildcard is for subdomains only
		{"4insight.io", true},
		{"api.4insight.io", true},
		{"evil4insight.io", false},
		{"4insight.io.evil.com", false},
		{"microsoftonline.com", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := HostTrusted(tt.host, trusted); got != tt.want {
			t.Errorf("HostTrusted(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

// The refusal warns first, then points organisations with their own
// provider to the config file.
func TestCheckTrustedRefusesBeforeSending(t *testing.T) {
	p := Package{Endpoint: "https://attacker.example/token", Code: "c"}
	err := p.CheckTrusted([]string{"*.4insight.io"})
	if !errors.Is(err, ErrBadPackage) {
		t.Fatalf("err = %v, want ErrBadPackage", err)
	}
	msg := err.Error()
	want := []string{
		"a sign-in page asked to send your code to attacker.example, which is not one of the profile's hosts; nothing was sent",
		"If you did not expect this, stop",
		`add "attacker.example" to trust_hosts`,
		"docs/configuration.md",
		"--trust-host attacker.example",
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
	if strings.Index(msg, "stop") > strings.Index(msg, "trust_hosts") {
		t.Errorf("the advice to trust the host comes before the warning:\n%s", msg)
	}
}

// A crafted host cannot disguise the message: control and direction
// characters are dropped from it.
func TestCheckTrustedShowsHostPrintable(t *testing.T) {
	p := Package{Endpoint: "https://evil\u202egro.example/token", Code: "c"}
	err := p.CheckTrusted(nil)
	if err == nil || !strings.Contains(err.Error(), "send your code to evilgro.example,") || strings.ContainsRune(err.Error(), '\u202e') {
		t.Fatalf("err = %q", err)
	}
}

// FuzzParsePackage: no input crashes the parser; what it accepts has an
// endpoint and a code, and an error never echoes the input.
func FuzzParsePackage(f *testing.F) {
	for _, s := range []string{
		`{"endpoint":"https://login.microsoftonline.com/t","code":"abc"}`,
		`{"endpoint":"http://127.0.0.1/t","code":"c","redirect_uri":"https://4insight.io/auth"}`,
		"\x1b[200~{}\x1b[201~", `{"endpoint":1}`, `null`, `"x"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePackage(s)
		if err != nil {
			if !errors.Is(err, ErrBadPackage) {
				t.Fatalf("error is not ErrBadPackage: %v", err)
			}
			if len(s) > 40 && strings.Contains(err.Error(), s) {
				t.Fatal("error echoes the input")
			}
			return
		}
		if p.Endpoint == "" || p.Code == "" || urls.Check(p.Endpoint) != nil {
			t.Fatalf("accepted an unusable package: %+v", p)
		}
	})
}
