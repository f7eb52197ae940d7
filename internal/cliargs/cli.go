// Package cliargs is fourinsight-token's command line as data: the flags and
// commands (kong structs), a kong-free parser for the plain get that the fast
// front answers, how flags, environment and config profile resolve into
// settings, and the output formats. It links no network code and no kong, so
// the front (cmd/fourinsight-token) and the full command line
// (cmd/fourinsight-token-cli) share it without the front paying for either.
package cliargs

import (
	"time"
)

// Globals are the flags every command takes (the command-line contract's
// "Flags"; docs/configuration.md).
type Globals struct {
	Session          string         `group:"global" short:"s" env:"FOURINSIGHT_SESSION" placeholder:"KEY" help:"Cache entry to use (the Python client's session_key); none = the default entry."`
	Profile          string         `group:"global" env:"FOURINSIGHT_PROFILE" placeholder:"NAME" help:"Named provider settings from the config file (built-in: 4insight)."`
	Flow             string         `group:"global" env:"FOURINSIGHT_FLOW" placeholder:"auto|paste|browser|device|client" help:"How to sign in when the cache cannot serve (default auto)."`
	Issuer           string         `group:"global" env:"FOURINSIGHT_ISSUER" placeholder:"URL" help:"OpenID provider; endpoints come from URL/.well-known/openid-configuration."`
	AuthURL          string         `group:"global" env:"FOURINSIGHT_AUTH_URL" placeholder:"URL" help:"Authorization endpoint (overrides discovery)."`
	TokenURL         string         `group:"global" env:"FOURINSIGHT_TOKEN_URL" placeholder:"URL" help:"Token endpoint (overrides discovery)."`
	DeviceAuthURL    string         `group:"global" env:"FOURINSIGHT_DEVICE_AUTH_URL" placeholder:"URL" help:"Device authorization endpoint (overrides discovery)."`
	SignInURL        string         `group:"global" name:"signin-url" env:"FOURINSIGHT_SIGNIN_URL" placeholder:"URL" help:"The paste flow's sign-in page, which shows the package to paste. On the built-in profile 4insight's client stays, and the page's host is trusted as a pasted endpoint."`
	ClientID         string         `group:"global" env:"FOURINSIGHT_CLIENT_ID" placeholder:"ID" help:"OAuth2 client id."`
	ClientSecretFile string         `group:"global" placeholder:"PATH" help:"File holding the client secret ('-' = stdin); or set FOURINSIGHT_CLIENT_SECRET. Never a plain flag value: argv is visible to every local user."`
	Scope            []string       `group:"global" env:"FOURINSIGHT_SCOPE" sep:" " placeholder:"SCOPE" help:"Scope to request, added to the flow's base scopes (repeatable; the variable is space separated)."`
	TrustHost        []string       `group:"global" env:"FOURINSIGHT_TRUST_HOSTS" sep:" " placeholder:"HOST" help:"Extra host a pasted token endpoint may name (repeatable; '*.example.com' for subdomains)."`
	RedirectURL      string         `group:"global" env:"FOURINSIGHT_REDIRECT_URL" placeholder:"URL" help:"Loopback redirect for the browser flow; port 0 = any free port."`
	CacheDir         string         `group:"global" env:"FOURINSIGHT_CACHE_DIR" placeholder:"DIR" help:"Where the file store keeps tokens (default: the Python client's directory)."`
	Store            string         `group:"global" env:"FOURINSIGHT_STORE" placeholder:"file|keyring" help:"Where tokens are kept (default file)."`
	KeyringBackend   string         `group:"global" env:"FOURINSIGHT_KEYRING_BACKEND" placeholder:"NAME" help:"With --store keyring: auto (default), secret-service, kwallet, keychain, wincred, pass, keyctl or file (see docs/keyring.md)."`
	NoStore          bool           `group:"global" env:"FOURINSIGHT_NO_STORE" help:"Keep nothing: no cache read or write, sign in on every call."`
	MinValid         *time.Duration `group:"global" env:"FOURINSIGHT_MIN_VALID" placeholder:"DURATION" help:"A cached token must stay valid at least this long to be served (default 1m; 0s: until it expires)."`
	Output           string         `group:"global" short:"o" placeholder:"FORMAT" enum:"token,json,header,env,dotenv,exec-credential," default:"" help:"Output format: token, json, header, env, dotenv, exec-credential."`
	OutputFile       string         `group:"global" name:"output-file" placeholder:"FILE" help:"Write the output (-o) to FILE instead of stdout: atomically, mode 0600, and only when the call succeeds (for .env and IDE environment files). get and login only."`
	Force            bool           `group:"global" short:"f" help:"Sign in again even if the cache could serve (the Python client's auth_force)."`
	NonInteractive   bool           `group:"global" env:"FOURINSIGHT_NON_INTERACTIVE" help:"Never start an interactive sign-in; exit 3 instead (CI=true implies it)."`
	NoBrowser        bool           `group:"global" help:"Print the sign-in URL instead of opening a browser."`
	Timeout          *time.Duration `group:"global" env:"FOURINSIGHT_TIMEOUT" placeholder:"DURATION" help:"Per HTTP request (default 30s)."`
	LoginTimeout     *time.Duration `group:"global" env:"FOURINSIGHT_LOGIN_TIMEOUT" placeholder:"DURATION" help:"How long an interactive sign-in may take (default 5m)."`
	LockTimeout      *time.Duration `group:"global" env:"FOURINSIGHT_LOCK_TIMEOUT" placeholder:"DURATION" help:"How long to wait for another process working on the same session (default 5m; 0s: try once)."`
	DefaultLifetime  *time.Duration `group:"global" env:"FOURINSIGHT_DEFAULT_LIFETIME" placeholder:"DURATION" help:"How long a token is taken to be valid when the provider says neither expires_in nor a JWT exp (default 10m)."`
	CAFile           string         `group:"global" env:"FOURINSIGHT_CA_FILE" placeholder:"PATH" help:"Extra trusted CA certificates (PEM) for the provider and the API; HTTPS_PROXY/NO_PROXY are honoured."`
	RetrySignInAfter *time.Duration `group:"global" name:"retry-signin-after" env:"FOURINSIGHT_RETRY_SIGNIN_AFTER" placeholder:"DURATION" help:"After a sign-in was abandoned, denied or timed out, callers without a terminal fail (exit 3) for this long instead of opening another browser tab (default 10m)."`
	RefreshAhead     *time.Duration `group:"global" env:"FOURINSIGHT_REFRESH_AHEAD" placeholder:"DURATION" help:"Renew in the background when a served token has less than this left (default: the last third of its lifetime, at most 10m; 0s: never)."`
	APIBase          string         `group:"global" env:"FOURINSIGHT_API_BASE" placeholder:"URL" help:"The REST API that api and proxy call (built-in: https://api.4insight.io/); the token goes only to its host."`
	APITimeout       *time.Duration `group:"global" env:"FOURINSIGHT_API_TIMEOUT" placeholder:"DURATION" help:"How long api and proxy wait for the API's answer, and for each pause while reading it (default 100s, as the Python client)."`
	Config           string         `group:"global" env:"FOURINSIGHT_CONFIG" placeholder:"FILE" help:"Config file with named profiles (default: the user config dir's fourinsight-token/config.json)."`
	Verbose          bool           `group:"global" short:"v" env:"FOURINSIGHT_VERBOSE" help:"Debug log on stderr: requests, status codes, timings, cache decisions; secrets redacted."`
}

// CLI is the whole command line.
type CLI struct {
	Globals

	Get     GetCmd     `cmd:"" default:"withargs" help:"Print a valid access token for the session on stdout (the default command)."`
	Login   LoginCmd   `cmd:"" help:"Sign in now, whatever the cache holds; reports on stderr."`
	Logout  LogoutCmd  `cmd:"" help:"Forget the session (or --all), revoking its refresh token where the provider offers it."`
	Status  StatusCmd  `cmd:"" help:"List cached sessions: key, flow, provider, expiry, refresh token, subject. Never a token."`
	Version VersionCmd `cmd:"" help:"Print version, commit and Go version."`

	GitCredential GitCredentialCmd `cmd:"" name:"git-credential" help:"Git credential helper (get, store, erase): answers git with a token for the session."`
	Exec          ExecCmd          `cmd:"" help:"Run a command with a fresh token in its environment; its exit status is ours."`
	Setup         SetupCmd         `cmd:"" help:"Configure kubectl or git to get tokens from fourinsight-token."`
	API           APICmd           `cmd:"" name:"api" help:"An authenticated call to the profile's API (api_base): safe retries, OData paging, body on stdout; exit 6 on an API error status."`
	Proxy         ProxyCmd         `cmd:"" help:"A loopback reverse proxy to the API base that adds the session's token to every request; only your own user can use it."`

	Completion CompletionCmd `cmd:"" help:"Print a shell completion script (bash, zsh or fish)."`

	Background BackgroundCmd `cmd:"" name:"refresh-ahead" hidden:"" help:"Renew the session in the background (started by get inside the refresh-ahead window)."`
}

// GetCmd prints a token.
type GetCmd struct{}

// LoginCmd runs the sign-in flow now.
type LoginCmd struct{}

// LogoutCmd forgets sessions.
type LogoutCmd struct {
	All bool `help:"Forget every session in the store."`
}

// StatusCmd lists sessions.
type StatusCmd struct {
	JSON bool `help:"Print JSON instead of a table."`
}

// VersionCmd prints the build.
type VersionCmd struct{}

// BackgroundCmd is the detached background refresh that a get inside the
// refresh-ahead window starts: never interactive, quiet, bounded.
type BackgroundCmd struct{}

// CompletionCmd prints a completion script generated from the command model,
// so completions never drift from the flags.
type CompletionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"bash, zsh or fish."`
}

// ExecCmd runs a command with a fresh token in its environment.
type ExecCmd struct {
	Env     string   `default:"FOURINSIGHT_ACCESS_TOKEN" placeholder:"NAME" help:"Environment variable that carries the token."`
	Command []string `arg:"" passthrough:"partial" placeholder:"CMD [ARGS…]" help:"The command to run (after --), without a shell."`
}

// GitCredentialCmd is git's credential helper (gitcredentials(7)).
type GitCredentialCmd struct {
	Operation string `arg:"" placeholder:"get|store|erase" help:"The operation git asks for; the credential description comes on stdin."`
}

// SetupCmd configures consumers to call fourinsight-token.
type SetupCmd struct {
	Kubectl SetupKubectlCmd `cmd:"" help:"Print (or --write) a kubeconfig user whose exec credential plugin is fourinsight-token."`
	Git     SetupGitCmd     `cmd:"" help:"Print (or set with --global/--write) fourinsight-token as git's credential helper for a host."`
}

// SetupKubectlCmd prints or writes the users[].user.exec stanza.
type SetupKubectlCmd struct {
	User       string `placeholder:"NAME" help:"Name of the kubeconfig user entry (default fourinsight, or fourinsight-KEY with --session)."`
	Write      bool   `help:"Merge the user into the kubeconfig with kubectl config set-credentials instead of printing it."`
	Kubeconfig string `placeholder:"PATH" help:"Kubeconfig to write (default: as kubectl picks it, $KUBECONFIG or ~/.kube/config)."`
	APIVersion string `name:"api-version" default:"v1" enum:"v1,v1beta1" help:"client.authentication.k8s.io version to ask kubectl for: v1 (kubectl 1.22+) or v1beta1."`
}

// SetupGitCmd prints or sets credential.https://HOST.helper.
type SetupGitCmd struct {
	Host   string `required:"" placeholder:"HOST" help:"Git server (host or host:port) to answer for over https."`
	Global bool   `xor:"where" help:"Set it in your global git config (git config --global)."`
	Write  bool   `xor:"where" help:"Set it in the current repository's git config (git config --local)."`
}

// APICmd makes an authenticated call to the profile's API.
type APICmd struct {
	Args     []string `arg:"" placeholder:"[METHOD] PATH|URL" help:"HTTP method (default GET, or POST with --data) and a path relative to the API base, or a URL on the API's host."`
	Data     string   `short:"d" placeholder:"@FILE|-|TEXT" help:"Request body: @FILE, - (stdin) or the text itself; sent as application/json unless -H says otherwise."`
	Header   []string `short:"H" placeholder:"'NAME: VALUE'" help:"Extra request header (repeatable)."`
	Include  bool     `short:"i" help:"Print the response status line and headers on stderr."`
	Paginate bool     `help:"Follow @odata.nextLink (on the API's host only) and print every page's items as one {\"value\": [...]} document."`
	JSONL    bool     `name:"jsonl" help:"With --paginate: print one item per line, in constant memory however many pages."`
	Pretty   bool     `help:"Indent JSON (the default when stdout is a terminal)."`
}

// ProxyCmd runs the authenticating loopback proxy.
type ProxyCmd struct {
	Listen      string   `default:"127.0.0.1:0" placeholder:"ADDR" help:"Loopback address to listen on (127.0.0.1:PORT, [::1]:PORT or localhost:PORT; port 0 = any free port)."`
	PrintURL    bool     `name:"print-url" help:"Print the proxy's URL on stdout once it listens."`
	AllowOrigin []string `placeholder:"ORIGIN" help:"Let web pages from ORIGIN (e.g. http://localhost:3000) call through the proxy, with CORS headers for them (repeatable). Without it every request that carries an Origin is refused."`
}
