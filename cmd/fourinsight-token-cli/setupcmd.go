package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/internal/kubeexec"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// selfCommand is how consumers should run fourinsight-token: the fast front
// (fourinsight-token), not this full command line it hands over to. It is the
// path the user ran when that is the front or this file (keeping a package
// manager's stable symlink), else the front beside this executable, else
// this executable.
func selfCommand() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot tell where this fourinsight-token is installed: %w", err)
	}
	front := "fourinsight-token"
	if runtime.GOOS == "windows" {
		front += ".exe"
	}
	cand := os.Args[0]
	if !strings.ContainsAny(cand, `/\`) {
		cand, _ = exec.LookPath(cand)
	}
	if cand != "" {
		if abs, err := filepath.Abs(cand); err == nil {
			a, errA := os.Stat(abs)
			b, errB := os.Stat(exe)
			if errA == nil && !a.IsDir() && (filepath.Base(abs) == front || errB == nil && os.SameFile(a, b)) {
				return abs, nil
			}
		}
	}
	if beside := filepath.Join(filepath.Dir(exe), front); fileExists(beside) {
		return beside, nil
	}
	return exe, nil
}

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

// selectionArgs are the flags that make a later run use the session and
// provider settings this one uses: setup records them in the consumer's
// configuration. Secrets are never among them (only the path of a secret
// file; FOURINSIGHT_CLIENT_SECRET stays in the environment).
func (a *app) selectionArgs() []string {
	g := a.cli.Globals
	var args []string
	add := func(flag, v string) {
		if v != "" {
			args = append(args, flag, v)
		}
	}
	add("--session", g.Session)
	add("--profile", g.Profile)
	if g.Config != "" {
		if abs, err := filepath.Abs(g.Config); err == nil {
			add("--config", abs)
		}
	}
	add("--issuer", g.Issuer)
	add("--auth-url", g.AuthURL)
	add("--token-url", g.TokenURL)
	add("--device-auth-url", g.DeviceAuthURL)
	add("--client-id", g.ClientID)
	if f := g.ClientSecretFile; f != "" && f != "-" {
		if abs, err := filepath.Abs(f); err == nil {
			add("--client-secret-file", abs)
		}
	}
	for _, s := range cliargs.SplitAll(g.Scope) {
		add("--scope", s)
	}
	for _, h := range cliargs.SplitAll(g.TrustHost) {
		add("--trust-host", h)
	}
	add("--flow", g.Flow)
	if g.CacheDir != "" {
		if abs, err := filepath.Abs(g.CacheDir); err == nil {
			add("--cache-dir", abs)
		}
	}
	add("--store", g.Store)
	if g.CAFile != "" {
		if abs, err := filepath.Abs(g.CAFile); err == nil {
			add("--ca-file", abs)
		}
	}
	return args
}

// setupKubectl prints the kubeconfig user, or merges it in with kubectl.
func (a *app) setupKubectl() error {
	if err := store.CheckKey(a.cli.Session); err != nil {
		return err
	}
	c := a.cli.Setup.Kubectl
	user := c.User
	if user == "" {
		user = "fourinsight"
		if a.cli.Session != "" {
			user += "-" + a.cli.Session
		}
	}
	self, err := selfCommand()
	if err != nil {
		return err
	}
	apiVersion := kubeexec.V1
	if c.APIVersion == "v1beta1" {
		apiVersion = kubeexec.V1beta1
	}
	args := append([]string{"-o", "exec-credential"}, a.selectionArgs()...)

	if !c.Write {
		if c.Kubeconfig != "" {
			return fmt.Errorf("%w: --kubeconfig names the file --write merges into; add --write", errUsage)
		}
		fmt.Fprint(a.stdout, kubeUserYAML(user, self, apiVersion, args))
		fmt.Fprintf(a.stderr, "Add this entry to the users: list of your kubeconfig (or run again with --write), then use it with:\n  kubectl config set-context --current --user=%s\n", user)
		return nil
	}

	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		return fmt.Errorf("%w: --write runs kubectl config set-credentials, and kubectl is not on PATH; run without --write and add the printed entry yourself", errUsage)
	}
	kargs := []string{"config", "set-credentials", user,
		"--exec-command=" + self,
		"--exec-api-version=" + apiVersion,
		"--exec-interactive-mode=IfAvailable",
	}
	for _, arg := range args {
		// --exec-arg is a comma-separated list flag: a value holding a comma
		// or a quote would not arrive as one argument.
		if strings.ContainsAny(arg, `,"`) {
			return fmt.Errorf("%w: kubectl config set-credentials would split the argument %q; run without --write and add the printed entry to the kubeconfig", errUsage, arg)
		}
		kargs = append(kargs, "--exec-arg="+arg)
	}
	if c.Kubeconfig != "" {
		kargs = append(kargs, "--kubeconfig="+c.Kubeconfig)
	}
	var out bytes.Buffer
	cmd := exec.Command(kubectl, kargs...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: kubectl config set-credentials failed (%v): %s", errUsage, err, printable.Line(out.String()))
	}
	fmt.Fprintf(a.stderr, "Wrote kubeconfig user %s (exec plugin %s). Use it with:\n  kubectl config set-context --current --user=%s\n", user, self, user)
	return nil
}

// kubeUserYAML is one users: entry. Strings are written as JSON strings,
// which YAML reads as double-quoted scalars.
func kubeUserYAML(user, command, apiVersion string, args []string) string {
	q := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- name: %s\n  user:\n    exec:\n", q(user))
	fmt.Fprintf(&b, "      apiVersion: %s\n", q(apiVersion))
	fmt.Fprintf(&b, "      command: %s\n", q(command))
	b.WriteString("      args:\n")
	for _, arg := range args {
		fmt.Fprintf(&b, "      - %s\n", q(arg))
	}
	b.WriteString("      interactiveMode: IfAvailable\n      provideClusterInfo: false\n")
	return b.String()
}

// setupGit prints or sets the credential helper for https://HOST. An empty
// helper first resets the list, so that no other helper (a system-wide
// credential manager) is asked for, or stores, this host's tokens.
func (a *app) setupGit() error {
	if err := store.CheckKey(a.cli.Session); err != nil {
		return err
	}
	c := a.cli.Setup.Git
	host, err := gitHost(c.Host)
	if err != nil {
		return err
	}
	self, err := selfCommand()
	if err != nil {
		return err
	}
	helper := gitHelperValue(self, append(a.selectionArgs(), "git-credential"))
	section := "credential.https://" + host
	if !c.Global && !c.Write {
		fmt.Fprintf(a.stdout, "[credential \"https://%s\"]\n\thelper =\n\thelper = %s\n", host, gitConfigQuote(helper))
		fmt.Fprintf(a.stderr, "Add these lines to ~/.gitconfig (or run again with --global, or --write for this repository only).\n")
		return nil
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return fmt.Errorf("%w: git is not on PATH; run without --global/--write and add the printed lines yourself", errUsage)
	}
	scope := "--local"
	if c.Global {
		scope = "--global"
	}
	for _, args := range [][]string{
		{"config", scope, "--replace-all", section + ".helper", ""},
		{"config", scope, "--add", section + ".helper", helper},
	} {
		var out bytes.Buffer
		cmd := exec.Command(gitPath, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%w: git config %s failed (%v): %s", errUsage, scope, err, printable.Line(out.String()))
		}
	}
	fmt.Fprintf(a.stderr, "Set %s.helper (%s) to fourinsight-token. Try it with:\n  git ls-remote https://%s/PATH\n", section, strings.TrimPrefix(scope, "--"), host)
	return nil
}

// gitHost accepts host[:port], also given as https://host[:port][/].
func gitHost(s string) (string, error) {
	h := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "https://"), "/")
	if h == "" || strings.ContainsAny(h, "/\\ \t\"'@?#") || strings.Contains(h, "://") {
		return "", fmt.Errorf("%w: --host %q: give the git server as host or host:port (https is implied)", errUsage, s)
	}
	return h, nil
}

// gitHelperValue is the credential.helper value that runs this binary: a
// "!" shell snippet, so that paths with spaces (or Windows drive letters)
// work and git does not prefix the name with "git credential-".
func gitHelperValue(self string, args []string) string {
	if runtime.GOOS == "windows" {
		self = filepath.ToSlash(self) // git for Windows runs helpers with sh
	}
	words := []string{shellWord(self)}
	for _, a := range args {
		words = append(words, shellWord(a))
	}
	return "!" + strings.Join(words, " ")
}

// shellWord quotes s for sh when it holds anything but plain characters.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@%+=,") == "" {
		return s
	}
	return cliargs.ShellQuote(s)
}

// gitConfigQuote writes a value for a git config file: in double quotes,
// with backslashes and quotes escaped, so that ; and # stay in the value.
func gitConfigQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
