// Command fourinsight-token prints OAuth2 access tokens for the 4insight API
// (or any OpenID provider) from a file-locked cache, signing in only when the
// cache cannot serve. See docs/ and the command-line contract (cli.md).
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
	"github.com/fourinsight-token/fourinsight-token/flows"
	"github.com/fourinsight-token/fourinsight-token/internal/apicall"
	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// Set by the release build (-ldflags "-X main.version=... -X main.commit=...").
var (
	version = "dev"
	commit  = "none"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// errUsage: the command line itself is wrong (exit 2).
var errUsage = errors.New("usage error")

// app is one invocation: parsed flags and the streams it may use.
type app struct {
	cli    cliargs.CLI
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	// A plain get, the call made thousands of times a day, skips kong's
	// start-up cost (see parseFast); every other command line goes to kong.
	cmd := "get"
	var parser *kong.Kong
	if !cliargs.ParseFast(args, &a.cli) {
		var code int
		if parser, cmd, code = a.parse(args); parser == nil {
			return code
		}
	}

	var err error
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
	case "completion <shell>":
		err = a.completion(parser.Model)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	if code, ok := asChildExit(err); ok {
		return code // exec: the command's status, reported by the command
	}
	if err != nil {
		fmt.Fprintf(stderr, "fourinsight-token: %s\n", oneLine(explain(err)))
		return exitCode(err)
	}
	return 0
}

// parse reads the command line with kong: the command, or a nil parser and
// the exit status when there is nothing to run (--help, a usage error).
// An option that changes how kong reads flags (resolvers, variables, hooks)
// must be mirrored in parseFast; fastparse_test.go compares the two.
func (a *app) parse(args []string) (*kong.Kong, string, int) {
	exited := -1
	parser, err := kong.New(&a.cli,
		kong.Name("fourinsight-token"),
		kong.Description("Print an OAuth2 access token for the 4insight API, from the cache or after a sign-in.\n\n  TOKEN=$(fourinsight-token -s ws0)\n\nExit status: 0 ok, 1 unexpected, 2 usage/config/bad input, 3 sign-in needed but not allowed, 4 provider refused, 5 no answer in time, 6 the API answered with an error status (api)."),
		kong.Writers(a.stdout, a.stderr),
		kong.Exit(func(code int) { exited = code }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
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
		fmt.Fprintf(a.stderr, "fourinsight-token: %s (see fourinsight-token --help)\n", oneLine(err.Error()))
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
	case errors.Is(err, flows.ErrUnavailable), errors.Is(err, store.ErrLockTimeout), errors.Is(err, store.ErrKeyringTimeout), errors.Is(err, apicall.ErrNoAnswer):
		return 5
	case errors.Is(err, errUsage), errors.Is(err, broker.ErrConfig), errors.Is(err, broker.ErrMismatch),
		errors.Is(err, store.ErrUnsafe), errors.Is(err, store.ErrBadKey), errors.Is(err, flows.ErrBadPackage),
		errors.Is(err, store.ErrKeyring), errors.Is(err, store.ErrOtherStore), errors.Is(err, apicall.ErrNotAllowed):
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

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
