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
	now := time.Now()
	if err != nil || !e.ValidFor(r.MinValid, now) {
		return 0, false
	}
	// A session made with other settings is served when no provider was
	// chosen, as with the settings it recorded; refused otherwise.
	use, adopted, err := r.Settings.ForEntry(r.Key, e)
	if err != nil {
		return 0, false
	}
	if g.Verbose && adopted {
		id := use.Identity()
		fmt.Fprintf(stderr, "fourinsight-token: debug: cache: session %s was made at %s as client %s and no provider was chosen; using its recorded settings\n",
			store.SessionName(r.Key), id.Provider, id.ClientID)
	}
	if g.Verbose {
		fmt.Fprintf(stderr, "fourinsight-token: debug: cache: session %s valid for %s more; serving it\n",
			store.SessionName(r.Key), time.Until(e.ExpiresAt).Round(time.Second))
	}
	if err := out.Write(stdout, e, r.Key); err != nil {
		fmt.Fprintf(stderr, "fourinsight-token: cannot write the token: %v\n", err)
		return 1, true
	}
	if use.RenewAhead(e, r.RefreshAhead, now) {
		renewAhead(file, g, r.Key, debugf(g.Verbose, stderr))
	}
	return 0, true
}

// renewAhead starts the session's background refresh (the full command
// line's hidden refresh-ahead command) unless another caller did so a
// moment ago. It is best effort and silent: the token was served already,
// and the caller's output and exit status stay a plain get's.
func renewAhead(file store.File, g cliargs.Globals, key string, logf func(string, ...any)) {
	if !file.ClaimRefreshAhead(key, time.Now()) {
		logf("refresh-ahead: session %s: a background refresh was started less than %s ago", store.SessionName(key), store.RefreshAheadRetry)
		return
	}
	path, err := findCLI()
	if err == nil {
		_, err = detach.Start(path, nil, append([]string{"refresh-ahead"}, cliargs.GlobalArgs(g)...)...) // reaped by init: we exit now
	}
	if err != nil {
		logf("refresh-ahead: cannot start the background refresh: %v", err)
		return
	}
	logf("refresh-ahead: session %s is inside the refresh-ahead window; renewing it in the background", store.SessionName(key))
}

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
