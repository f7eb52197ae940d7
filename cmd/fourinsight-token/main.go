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

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/internal/detach"
	"github.com/fourinsight-token/fourinsight-token/internal/nodump"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"github.com/fourinsight-token/fourinsight-token/store"
)

func main() {
	nodump.Protect() // it holds an access token; one system call
	cliargs.DropEmptyEnv()
	if code, served := serve(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); served {
		os.Exit(code)
	}
	os.Exit(handOff(os.Args))
}

// serve answers from the cache what the front answers — a plain get, and
// git's "git-credential get" — exactly as the full command line would, and
// reports false for anything else (then it has printed nothing on stdout
// and read nothing from stdin).
func serve(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int, served bool) {
	if n := len(args); n >= 2 && args[n-2] == "git-credential" && args[n-1] == "get" {
		return serveGit(args[:n-2], stdin, stdout, stderr)
	}
	return serveCached(args, stdout, stderr)
}

// hit is a cache entry that can serve a call, with what the call said.
type hit struct {
	g     cliargs.Globals
	r     cliargs.Resolved
	file  store.File
	e     *store.Entry
	d     profile.Decision
	debug func(string, ...any)
}

// lookup reads the entry of the call the global flags describe and decides
// whether it can serve (profile.Settings.Decide, as the broker decides).
// ok is false for anything the front leaves to the full command line.
//
// The hit is on the heap and the flags are passed by pointer: a cached get
// is one short process, and copies of these large values on the stack made
// it grow (and be copied) one time more.
func lookup(g *cliargs.Globals, stderr io.Writer) (h *hit, ok bool) {
	if g.Force || g.NoStore || g.ClientSecretFile == "-" || g.OutputFile != "" {
		return h, false // a sign-in, no cache, stdin to read, or a file to write
	}
	h = &hit{g: *g, debug: debugf(g.Verbose, stderr)}
	var err error
	r := &h.r
	if *r, err = cliargs.Resolve(h.g, nil); err != nil || r.Settings.Profile.Store == "keyring" { // nil: no stdin or pipe is read here (cliargs.ErrPipe)
		return h, false
	}
	h.file = store.File{Dir: r.Dir, Notice: func(msg string) { fmt.Fprintln(stderr, msg) }}
	if h.e, err = h.file.Load(r.Key); err == nil {
		h.d, err = r.Settings.Decide(r.Key, h.e, r.MinValid, r.RefreshAhead, time.Now())
	}
	if err != nil || !h.d.Serve {
		missed()
		return h, false
	}
	if h.d.Adopted {
		id := h.d.Use.Identity()
		h.debug("cache: session %s was made at %s as client %s and no provider was chosen; using its recorded settings", store.SessionName(r.Key), id.Provider, id.ClientID)
	}
	h.debug("cache: session %s valid for %s more; serving it", store.SessionName(r.Key), time.Until(h.e.ExpiresAt).Round(time.Second))
	return h, true
}

// served finishes a call the cache answered: inside the refresh-ahead window
// it starts one background refresh (reaped by init: this process exits now).
func (h *hit) served() {
	if !h.d.RenewAhead {
		return
	}
	store.StartRefreshAhead(h.file.ClaimRefreshAhead, h.r.Key, func() error {
		path, err := findCLI()
		if err == nil {
			err = detach.StartBeforeExit(path, nil, append([]string{"refresh-ahead"}, cliargs.GlobalArgs(h.g)...)...)
		}
		return err
	}, h.debug)
}

// serveCached answers a plain get.
func serveCached(args []string, stdout, stderr io.Writer) (code int, served bool) {
	var c cliargs.CLI
	if !cliargs.ParseFast(args, &c) {
		return 0, false
	}
	out, err := cliargs.NewOutput(c.Output)
	if err != nil {
		return 0, false
	}
	h, ok := lookup(&c.Globals, stderr)
	if !ok {
		return 0, false
	}
	if err := out.Write(stdout, h.e, h.r.Key); err != nil {
		fmt.Fprintf(stderr, "fourinsight-token: cannot write the token: %v\n", err)
		return 1, true
	}
	h.served()
	return 0, true
}

// serveGit answers git's "git-credential get" (setup git writes the helper
// as "fourinsight-token [FLAGS] git-credential"), with the global flags
// before it: every git operation over https asks, so it is answered here
// when the cache can serve, in one process. git's request is read only then.
func serveGit(flags []string, stdin io.Reader, stdout, stderr io.Writer) (code int, served bool) {
	var c cliargs.CLI
	for _, a := range flags {
		if a == "get" || a == "git-credential" {
			return 0, false // a command word among the flags: kong decides
		}
	}
	if !cliargs.ParseFast(flags, &c) || c.Output != "" {
		return 0, false
	}
	h, ok := lookup(&c.Globals, stderr)
	if !ok {
		return 0, false
	}
	req, err := cliargs.ReadGitRequest(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "fourinsight-token: %s\n", printable.Line(err.Error()))
		return 2, true // a usage error, as the full command line says it
	}
	if !cliargs.GitMayAnswer(req, h.debug) {
		return 0, true
	}
	if err := cliargs.WriteGitAnswer(stdout, req, h.e, h.r.Key, h.debug); err != nil {
		fmt.Fprintf(stderr, "fourinsight-token: cannot write the answer: %v\n", err)
		return 1, true
	}
	h.served()
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
