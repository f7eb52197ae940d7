package main

import (
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
)

// clearFourinsightEnv unsets every FOURINSIGHT_* variable for the test.
func clearFourinsightEnv(t testing.TB) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "FOURINSIGHT_") {
			t.Setenv(k, "") // restores it afterwards
			os.Unsetenv(k)
		}
	}
}

// bothParsers parses args with parseFast and with kong (through app.parse,
// with run's options). When parseFast accepts the command line, kong must
// accept it too, as get, with the same flags. It reports whether parseFast
// accepted it.
func bothParsers(t *testing.T, args []string) bool {
	t.Helper()
	var fast cliargs.CLI
	ok := cliargs.ParseFast(args, &fast)
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	parser, cmd, code := a.parse(args)
	if !ok {
		return false
	}
	if parser == nil {
		t.Fatalf("%q: parseFast accepted what kong refuses (exit %d)", args, code)
	}
	if cmd != "get" {
		t.Fatalf("%q: parseFast took it for get, kong for %q", args, cmd)
	}
	if !reflect.DeepEqual(fast.Globals, a.cli.Globals) {
		t.Fatalf("%q: flags differ\nparseFast: %+v\nkong:      %+v", args, fast.Globals, a.cli.Globals)
	}
	if !reflect.DeepEqual(fast.Get, a.cli.Get) {
		t.Fatalf("%q: get's flags differ\nparseFast: %+v\nkong:      %+v", args, fast.Get, a.cli.Get)
	}
	return true
}

func TestParseFastAgreesWithKong(t *testing.T) {
	tests := []struct {
		args []string
		env  []string // KEY=VALUE
		fast bool     // parseFast must take it (the common invocations)
	}{
		{args: nil, fast: true},
		{args: []string{"get"}, fast: true},
		{args: []string{"-s", "ws0"}, fast: true},
		{args: []string{"--session", "ws0"}, fast: true},
		{args: []string{"--session=ws0"}, fast: true},
		{args: []string{"get", "-s", "ws0", "-o", "exec-credential"}, fast: true},
		{args: []string{"-o", "header", "get", "--session", "a.b_c-d"}, fast: true},
		{args: []string{"--session="}, fast: true},
		{args: []string{"--session=-x"}, fast: true},
		{args: []string{"-s", "ws0", "-s", "ws1"}, fast: true},
		{args: []string{"-f", "-v", "--non-interactive", "--no-browser", "--no-store"}, fast: true},
		{args: []string{"--min-valid", "5m", "--timeout=10s"}, fast: true},
		{args: []string{"--scope", "a b", "--scope=c", "--trust-host", "*.example.com"}, fast: true},
		{args: []string{"--client-secret-file", "-"}, fast: true},
		{args: []string{"--ca-file", "/etc/ssl/ca.pem", "--device-auth-url", "https://x/device"}, fast: true},
		{args: []string{"--api-base", "https://api.example.com/", "--api-timeout=5s"}, env: []string{"FOURINSIGHT_API_TIMEOUT=1m"}, fast: true},
		{env: []string{"FOURINSIGHT_SESSION=ws0", "FOURINSIGHT_VERBOSE=1", "FOURINSIGHT_MIN_VALID=2m"}, fast: true},
		{env: []string{"FOURINSIGHT_SCOPE=a  b\\ c", "FOURINSIGHT_TRUST_HOSTS="}, fast: true},
		{args: []string{"--scope", "x"}, env: []string{"FOURINSIGHT_SCOPE=a b"}, fast: true},
		{args: []string{"-s", "flag"}, env: []string{"FOURINSIGHT_SESSION=env"}, fast: true},
		{env: []string{"FOURINSIGHT_NON_INTERACTIVE=No", "FOURINSIGHT_NO_STORE=YES"}, fast: true},
		{env: []string{"FOURINSIGHT_SESSION="}, fast: true},

		// kong's: help, other commands, errors of every kind
		{args: []string{"--help"}},
		{args: []string{"-h"}},
		{args: []string{"login"}},
		{args: []string{"status", "--json"}},
		{args: []string{"version"}},
		{args: []string{"get", "get"}},
		{args: []string{"get", "extra"}},
		{args: []string{"--"}},
		{args: []string{"-"}},
		{args: []string{"-s"}},
		{args: []string{"-s", "-x"}},
		{args: []string{"-s", "--", "x"}},
		{args: []string{"-sws0"}},
		{args: []string{"-fv"}},
		{args: []string{"--force=true"}},
		{args: []string{"--sesion", "x"}},
		{args: []string{"-o", "yaml"}},
		{args: []string{"--min-valid", "soon"}},
		{args: []string{"--all"}},
		{args: []string{"-s", "\xff"}},
		{env: []string{"FOURINSIGHT_VERBOSE="}},
		{env: []string{"FOURINSIGHT_VERBOSE=maybe"}},
		{env: []string{"FOURINSIGHT_MIN_VALID=soon"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append(tt.env, tt.args...), " "), func(t *testing.T) {
			clearFourinsightEnv(t)
			for _, kv := range tt.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			if got := bothParsers(t, tt.args); tt.fast && !got {
				t.Errorf("%q: parseFast left a common get to kong", tt.args)
			}
		})
	}
}

// Every flag kong knows on get's path, in every spelling and from every
// environment variable, is parsed alike: a flag added to Globals or GetCmd
// is covered without changing this test.
func TestParseFastKnowsEveryFlag(t *testing.T) {
	clearFourinsightEnv(t)
	var c cliargs.CLI
	parser, err := kong.New(&c)
	if err != nil {
		t.Fatal(err)
	}
	var getNode *kong.Node
	for _, n := range parser.Model.Children {
		if n.Name == "get" {
			getNode = n
		}
	}
	if getNode == nil {
		t.Fatal("kong has no get command")
	}
	flags := append(append([]*kong.Flag{}, parser.Model.Flags...), getNode.Flags...)
	for _, f := range flags {
		if f.Name == "help" {
			continue
		}
		var value string
		switch f.Target.Type() {
		case reflect.TypeFor[bool]():
		case reflect.TypeFor[string](), reflect.TypeFor[[]string]():
			value = "some-value"
			if f.Enum != "" {
				value = strings.TrimSpace(strings.Split(f.Enum, ",")[0])
			}
		default:
			if f.Target.Type().String() != "time.Duration" {
				t.Logf("--%s: parseFast leaves a %s to kong", f.Name, f.Target.Type())
				continue
			}
			value = "90s"
		}
		spellings := [][]string{{"--" + f.Name}}
		if f.Short != 0 {
			spellings = append(spellings, []string{"-" + string(f.Short)})
		}
		if value != "" {
			for i, s := range spellings {
				spellings[i] = append(s, value)
			}
			spellings = append(spellings, []string{"--" + f.Name + "=" + value})
		}
		for _, args := range spellings {
			if !bothParsers(t, args) {
				t.Errorf("%q: parseFast left a flag of get to kong", args)
			}
		}
		for _, env := range f.Envs {
			t.Run(env, func(t *testing.T) {
				v := value
				if v == "" {
					v = "true"
				}
				t.Setenv(env, v)
				if !bothParsers(t, nil) {
					t.Errorf("%s=%s: parseFast left it to kong", env, v)
				}
			})
		}
	}
}

// FuzzParseFast: whatever parseFast accepts, kong accepts alike.
func FuzzParseFast(f *testing.F) {
	for _, s := range []string{"", "get", "-s\x00ws0", "--session=x\x00get\x00-o\x00json", "-f\x00-v", "--scope\x00a b\x00--scope\x00c",
		"--min-valid\x0030s", "-o\x00exec-credential", "get\x00--help", "-s\x00-", "--output=\x00-s\x00x"} {
		f.Add(s)
	}
	clearFourinsightEnv(f)
	f.Fuzz(func(t *testing.T, s string) {
		var args []string
		if s != "" {
			args = strings.Split(s, "\x00")
		}
		bothParsers(t, args)
	})
}
