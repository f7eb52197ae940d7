// Command fourinsight-token-cli is fourinsight-token's full command line:
// every command, sign-ins and refreshes. The fast front, fourinsight-token,
// answers a plain cached get itself and hands everything else over to this
// program. See docs/ for the command-line contract.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/fourinsight-token/fourinsight-token/broker"
	"github.com/fourinsight-token/fourinsight-token/broker/profile"
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/internal/apicall"
	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/internal/nodump"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"github.com/fourinsight-token/fourinsight-token/store"
	"github.com/fourinsight-token/fourinsight-token/store/keyring"
)

func main() {
	// This process may hold a client secret and refresh tokens: no core
	// dump, and no child inherits the variables secrets came from.
	nodump.Protect()
	cliargs.DropEmptyEnv()
	cliargs.TakeSecretEnv()
	frontMissed := cliargs.TakeFrontMissed()
	os.Exit(runApp(&app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, frontMissed: frontMissed}, os.Args[1:]))
}

// errUsage: the command line itself is wrong (exit 2).
var errUsage = cliargs.ErrUsage

// app is one invocation: parsed flags and the streams it may use.
type app struct {
	cli    cliargs.CLI
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// frontMissed: the front read this get's entry and found the cache
	// cannot serve (cliargs.FrontMissedEnv).
	frontMissed bool
}

// runApp runs one command line and returns the exit status.
func runApp(a *app, args []string) int {
	stderr := a.stderr
	// kong alone reads the command line here: the plain gets that must start
	// fast are answered by the front, with its own parser.
	parser, cmd, code := a.parse(args)
	if parser == nil {
		return code
	}

	err := a.checkOutputFile(strings.Fields(cmd)[0])
	if err != nil {
		fmt.Fprintf(stderr, "fourinsight-token: %s\n", printable.Line(err.Error()))
		return exitCode(err)
	}
	ctx, stop := notifyContextLazily(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "get":
		err = a.get(ctx)
	case "login":
		err = a.login(ctx)
	case "logout":
		err = a.logout(ctx)
	case "status":
		err = a.status()
	case "version":
		err = a.version()
	case "git-credential <operation>":
		err = a.gitCredential(ctx)
	case "exec <command>":
		err = a.exec(ctx)
	case "setup kubectl":
		err = a.setupKubectl()
	case "setup git":
		err = a.setupGit()
	case "api <args>":
		err = a.api(ctx)
	case "proxy":
		err = a.proxy(ctx)
	case "refresh-ahead":
		err = a.refreshAhead(ctx)
	case "completion <shell>":
		err = a.completion(parser.Model)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	if code, ok := asChildExit(err); ok {
		return code // exec: the command's status, reported by the command
	}
	if sig, ok := caught(ctx); ok && cmd != "proxy" { // a signal is how a proxy is stopped
		// Work already sent (a refresh, a code exchange) was finished and
		// saved; now end as the signal asked, with its status.
		msg := "stopped by " + signalName(sig)
		if err != nil {
			msg += ": " + printable.Line(explain(err))
		} else {
			msg += " after finishing its work; run it again for the output"
		}
		fmt.Fprintf(stderr, "fourinsight-token: %s\n", msg)
		return 128 + signalNumber(sig)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fourinsight-token: %s\n", printable.Line(explain(err)))
		return exitCode(err)
	}
	return 0
}

// parse reads the command line with kong: the command, or a nil parser and
// the exit status when there is nothing to run (--help, a usage error).
// An option that changes how kong reads flags (resolvers, variables, hooks)
// must be mirrored in the front's cliargs.ParseFast; fastparse_test.go
// compares the two.
func (a *app) parse(args []string) (*kong.Kong, string, int) {
	exited := -1
	parser, err := kong.New(&a.cli,
		kong.Name("fourinsight-token"),
		kong.Description("Print an OAuth2 access token for the 4insight API, from the cache or after a sign-in.\n\n  TOKEN=$(fourinsight-token -s ws0)\n\nExit status: 0 ok, 1 unexpected, 2 usage/config/bad input, 3 sign-in needed but not allowed, 4 provider refused, 5 no answer in time, 6 the API answered with an error status (api)."),
		kong.Writers(a.stdout, a.stderr),
		kong.Exit(func(code int) { exited = code }),
		// Commands first; then a command's own flags, with its examples
		// above them; then the flags every command takes.
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, FlagsLast: true}),
		kong.ExplicitGroups([]kong.Group{{Key: cliargs.GlobalGroup, Title: "Global flags (every command takes them):"}}),
	)
	if err != nil {
		fmt.Fprintf(a.stderr, "fourinsight-token: %v\n", err)
		return nil, "", 1
	}
	kctx, err := parser.Parse(args)
	if exited >= 0 { // --help
		return nil, "", exited
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "fourinsight-token: %s (see fourinsight-token --help)\n", printable.Line(err.Error()))
		return nil, "", 2
	}
	return parser, kctx.Command(), 0
}

// exitCode maps an error to the contract's exit status.
func exitCode(err error) int {
	switch {
	case errors.Is(err, apicall.ErrStatus):
		return 6
	case errors.Is(err, broker.ErrSignInRequired):
		return 3
	case errors.Is(err, flows.ErrRefused):
		return 4
	case errors.Is(err, flows.ErrUnavailable), errors.Is(err, store.ErrLockTimeout), errors.Is(err, keyring.ErrTimeout), errors.Is(err, apicall.ErrNoAnswer):
		return 5
	case errors.Is(err, errUsage), errors.Is(err, profile.ErrConfig), errors.Is(err, profile.ErrMismatch), errors.Is(err, flows.ErrUnsafeEndpoint),
		errors.Is(err, store.ErrUnsafe), errors.Is(err, store.ErrBadKey), errors.Is(err, flows.ErrBadPackage),
		errors.Is(err, keyring.ErrUnusable), errors.Is(err, store.ErrOtherStore), errors.Is(err, apicall.ErrNotAllowed):
		return 2
	}
	return 1
}

// explain adds what to do next to a provider's refusal.
func explain(err error) string {
	var pe *flows.ProviderError
	if !errors.As(err, &pe) {
		return err.Error()
	}
	hint := ""
	switch pe.Code {
	case "invalid_client", "unauthorized_client":
		hint = "check the client id and secret (FOURINSIGHT_CLIENT_ID, FOURINSIGHT_CLIENT_SECRET or --client-secret-file)"
	case "invalid_grant":
		hint = "the code or refresh token is no longer valid; sign in again with: fourinsight-token login"
	case "access_denied":
		hint = "the sign-in was denied; run fourinsight-token login to try again"
	case "invalid_scope":
		hint = "check --scope and the profile's scopes"
	}
	if hint == "" {
		return err.Error()
	}
	return err.Error() + " — " + hint
}
