package cliargs

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kong"
)

// FuzzSplitEscaped: list values split exactly as kong splits them.
func FuzzSplitEscaped(f *testing.F) {
	for _, s := range []string{"a b", `a\ b c`, `a\`, `\\ x`, "", "é ü", `x\y`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendSplit(nil, s, ' '), kong.SplitEscaped(s, ' '); !slices.Equal(got, want) {
			t.Fatalf("appendSplit(%q) = %q, kong says %q", s, got, want)
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

// A plain get, a session and an output format cost the front no allocation
// in the parser: each first allocation of a size class is a page fault in a
// process this short.
func TestParseFastAllocatesNothing(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "FOURINSIGHT_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	args := []string{"get", "-s", "ws0", "--output=exec-credential", "-v"}
	var c CLI
	if allocs := testing.AllocsPerRun(50, func() {
		if !ParseFast(args, &c) {
			t.Fatalf("ParseFast refused %q", args)
		}
	}); allocs != 0 {
		t.Errorf("ParseFast(%q): %v allocations, want none", args, allocs)
	}
}
