// Command fourinsight-token prints an OAuth2 access token for the 4insight
// API (or any OpenID provider), from its cache or after a sign-in.
//
// This binary is the fast front. Nearly every call is a plain get that the
// cache can serve, and such a call is answered here: one file read, no lock,
// no network, and none of the HTTP, TLS, OAuth2 and command-line libraries
// linked in, whose start-up cost would dwarf the work (docs/performance.md).
// Every other call — a sign-in or refresh, another command, --help, a usage
// error, anything this front is not sure to answer exactly as the full
// command line would — is handed unchanged to fourinsight-token-cli, the
// full command line installed beside it.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/internal/detach"
	"github.com/fourinsight-token/fourinsight-token/internal/nodump"
	"github.com/fourinsight-token/fourinsight-token/store"
)

func main() {
	nodump.Protect() // it holds an access token; one system call
	cliargs.DropEmptyEnv()
	if code, served := serveCached(os.Args[1:], os.Stdout, os.Stderr); served {
		os.Exit(code)
	}
	os.Exit(handOff(os.Args))
}

// serveCached answers a plain get from the cache, as the full command line's
// Broker.Cached would, and reports false for anything it does not answer
// (then it has printed nothing on stdout).
func serveCached(args []string, stdout, stderr io.Writer) (code int, served bool) {
	var c cliargs.CLI
	if !cliargs.ParseFast(args, &c) {
		return 0, false
	}
	g := c.Globals
	if g.Force || g.NoStore || g.ClientSecretFile == "-" || g.OutputFile != "" {
		return 0, false // a sign-in, no cache, stdin to read, or a file to write
	}
	r, err := cliargs.Resolve(g, nil) // nil: no stdin or pipe is read here (cliargs.ErrPipe)
	if err != nil || r.Settings.Profile.Store == "keyring" {
		return 0, false
	}
	out, err := cliargs.NewOutput(g.Output)
	if err != nil {
		return 0, false
	}
	file := store.File{Dir: r.Dir, Notice: func(msg string) { fmt.Fprintln(stderr, msg) }}
	e, err := file.Load(r.Key)
	if err != nil {
		missed()
		return 0, false
	}
	d, err := r.Settings.Decide(r.Key, e, r.MinValid, r.RefreshAhead, time.Now())
	if err != nil || !d.Serve {
		missed()
		return 0, false
	}
	logf := debugf(g.Verbose, stderr)
	if d.Adopted {
		id := d.Use.Identity()
		logf("cache: session %s was made at %s as client %s and no provider was chosen; using its recorded settings", store.SessionName(r.Key), id.Provider, id.ClientID)
	}
	logf("cache: session %s valid for %s more; serving it", store.SessionName(r.Key), time.Until(e.ExpiresAt).Round(time.Second))
	if err := out.Write(stdout, e, r.Key); err != nil {
		fmt.Fprintf(stderr, "fourinsight-token: cannot write the token: %v\n", err)
		return 1, true
	}
	if d.RenewAhead {
		// Reaped by init: this process exits now.
		store.StartRefreshAhead(file.ClaimRefreshAhead, r.Key, func() error {
			path, err := findCLI()
			if err == nil {
				_, err = detach.Start(path, nil, append([]string{"refresh-ahead"}, cliargs.GlobalArgs(g)...)...)
			}
			return err
		}, logf)
	}
	return 0, true
}

// missed tells the full command line that this call's entry was read and
// cannot serve, so that it reads it once more under the session's lock, not
// also before (cliargs.FrontMissedEnv).
func missed() { os.Setenv(cliargs.FrontMissedEnv, "1") }

// debugf writes -v debug lines; a no-op without -v.
func debugf(verbose bool, w io.Writer) func(string, ...any) {
	return func(format string, args ...any) {
		if verbose {
			fmt.Fprintf(w, "fourinsight-token: debug: "+format+"\n", args...)
		}
	}
}

// cliName is the full command line's executable.
const cliName = "fourinsight-token-cli"

// handOff runs the full command line with our arguments, environment and
// standard streams; its exit status is ours.
func handOff(argv []string) int {
	path, err := findCLI()
	if err != nil {
		fmt.Fprintf(os.Stderr, "fourinsight-token: %v\n", err)
		return 1
	}
	return run(path, argv)
}
