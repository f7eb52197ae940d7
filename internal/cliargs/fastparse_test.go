package cliargs

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/alecthomas/kong"
)

// kongCamelCase is kong's camelCase (camelcase.go), which kongName follows
// for ASCII names.
func kongCamelCase(src string) (entries []string) {
	var runes [][]rune
	lastClass := 0
	for _, r := range src {
		var class int
		switch {
		case unicode.IsLower(r):
			class = 1
		case unicode.IsUpper(r):
			class = 2
		case unicode.IsDigit(r):
			class = 3
		default:
			class = 4
		}
		if class == lastClass {
			runes[len(runes)-1] = append(runes[len(runes)-1], r)
		} else {
			runes = append(runes, []rune{r})
		}
		lastClass = class
	}
	for i := 0; i < len(runes)-1; i++ {
		if unicode.IsUpper(runes[i][0]) && unicode.IsLower(runes[i+1][0]) {
			runes[i+1] = append([]rune{runes[i][len(runes[i])-1]}, runes[i+1]...)
			runes[i] = runes[i][:len(runes[i])-1]
		}
	}
	for _, s := range runes {
		if len(s) > 0 {
			entries = append(entries, string(s))
		}
	}
	return entries
}

func FuzzKongName(f *testing.F) {
	for _, s := range []string{"ClientSecretFile", "CAFile", "DeviceAuthURL", "NoStore", "Foo2Bar", "ABc", "X", "URLs", "A1b", "HTTPServer2Go"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		got := kongName(field)
		for i := 0; i < len(field); i++ {
			if c := field[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				if got != "" {
					t.Fatalf("kongName(%q) = %q, want \"\" (not ASCII letters and digits)", field, got)
				}
				return
			}
		}
		if want := strings.ToLower(strings.Join(kongCamelCase(field), "-")); got != want {
			t.Fatalf("kongName(%q) = %q, kong says %q", field, got, want)
		}
	})
}

// FuzzSplitEscaped: list values split exactly as kong splits them.
func FuzzSplitEscaped(f *testing.F) {
	for _, s := range []string{"a b", `a\ b c`, `a\`, `\\ x`, "", "é ü", `x\y`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := splitEscaped(s, ' '), kong.SplitEscaped(s, ' '); !slices.Equal(got, want) {
			t.Fatalf("splitEscaped(%q) = %q, kong says %q", s, got, want)
		}
	})
}

// The background refresh is started with GlobalArgs: read back, they give
// the same settings, even with no environment.
func TestGlobalArgsReadBack(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "FOURINSIGHT_") || k == "CI" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	d := func(v time.Duration) *time.Duration { return &v }
	g := Globals{
		Session: "ws0", Profile: "corp", Issuer: "https://idp.example/x?a=b", ClientID: "c id",
		ClientSecretFile: "/run/secret", Scope: []string{"openid", "api://x/.default", `a b\c`}, TrustHost: []string{"*.example.com"},
		CacheDir: "/tmp/a dir", Store: "keyring", MinValid: d(90 * time.Second), Timeout: d(3 * time.Second),
		RefreshAhead: d(0), NonInteractive: true, Verbose: true, LockTimeout: d(time.Minute),
		Output: "json", OutputFile: "/tmp/out", Force: true,
	}
	args := GlobalArgs(g)
	var c CLI
	if !ParseFast(args, &c) {
		t.Fatalf("ParseFast refused %q", args)
	}
	want := g
	want.Output, want.OutputFile, want.Force = "", "", false
	if !reflect.DeepEqual(c.Globals, want) {
		t.Fatalf("read back %+v\nwant      %+v\nfrom %q", c.Globals, want, args)
	}
	if len(GlobalArgs(Globals{})) != 0 {
		t.Fatalf("no settings rendered as %q", GlobalArgs(Globals{}))
	}
}

// parseTags reads tags as reflect.StructTag.Lookup does, and refuses what
// the fast parser leaves to kong.
func TestParseTags(t *testing.T) {
	tests := []struct {
		tag  reflect.StructTag
		ok   bool
		want map[string]string
	}{
		{`short:"s" env:"FOURINSIGHT_SESSION" help:"Cache entry (\"quoted\"), a \\ back-slash."`, true,
			map[string]string{"short": "s", "env": "FOURINSIGHT_SESSION", "help": `Cache entry ("quoted"), a \ back-slash.`}},
		{`  name:"retry-signin-after"   default:""`, true, map[string]string{"name": "retry-signin-after", "default": ""}},
		{``, true, map[string]string{}},
		{`short:"s" short:"t"`, false, nil},          // a key twice
		{`xor:"where"`, false, nil},                  // a tag kong reads and parseFast does not
		{`short:"s`, false, nil},                     // unterminated
		{`short: "s"`, false, nil},                   // not key:"value"
		{`help:"bad \q escape"`, false, nil},         // not a Go string
		{`help:"line` + "\n" + `break"`, false, nil}, // a raw newline
	}
	for _, tt := range tests {
		got, ok := parseTags(tt.tag, make([]tagPair, 0, 16))
		if ok != tt.ok {
			t.Errorf("parseTags(%q) ok = %v, want %v", tt.tag, ok, tt.ok)
			continue
		}
		for k, v := range tt.want {
			if g, found := got.lookup(k); !found || g != v {
				t.Errorf("parseTags(%q)[%s] = %q, %v; want %q", tt.tag, k, g, found, v)
			}
			if r, _ := tt.tag.Lookup(k); r != v {
				t.Errorf("reflect reads %q as %q for %s, the test wants %q", tt.tag, r, k, v)
			}
		}
	}
}
