// Command fourinsight-testprovider runs the OpenID provider of
// internal/testop on a loopback port, so fourinsight-token can be tried and
// demonstrated without a 4insight account.
//
// In the foreground it prints shell export lines and serves until SIGINT or
// SIGTERM. With --background it starts itself detached and prints the
// export lines once the provider listens, so a script can do
//
//	eval "$(fourinsight-testprovider --background)"
//	fourinsight-token ...
//	kill "$FOURINSIGHT_TESTPROVIDER_PID"
//
// With --api it also serves a 4insight-like API that accepts the provider's
// tokens and exports FOURINSIGHT_API_BASE, for trying `fourinsight-token api`
// and `fourinsight-token proxy`.
//
// A paste package (the JSON 4insight's sign-in page shows) is one
// `curl -s "$FOURINSIGHT_TESTPROVIDER_PASTE_URL"` away, or open that URL in
// a browser. Codes are single-use and live only in the running provider,
// which is why there is no flag that prints one and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testapi"
	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// notifyEnv names the file descriptor a --background parent reads the
// export lines from; only the detached child has it set.
const notifyEnv = "FOURINSIGHT_TESTPROVIDER_NOTIFY_FD"

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen `address`; port 0 picks a free port")
	lifetime := flag.Duration("token-lifetime", 5*time.Minute, "access token `lifetime` (expires_in); 1s or more")
	envFile := flag.String("env-file", "", "once listening, write the export lines to `path` (removed again on exit)")
	background := flag.Bool("background", false, "start detached, print the export lines once listening, and return")
	withAPI := flag.Bool("api", false, "also serve a 4insight-like test API (internal/testapi) that accepts the provider's tokens; exports FOURINSIGHT_API_BASE")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), `Usage: fourinsight-testprovider [flags]

Runs a local OpenID provider for trying fourinsight-token and prints
"export ..." lines pointing at it. Typical use:

  eval "$(fourinsight-testprovider --background)"
  curl -s "$FOURINSIGHT_TESTPROVIDER_PASTE_URL"   # a paste package
  kill "$FOURINSIGHT_TESTPROVIDER_PID"

Flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	if *background {
		err = startBackground(*addr, *lifetime, *envFile, *withAPI)
	} else {
		err = serve(*addr, *lifetime, *envFile, *withAPI)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fourinsight-testprovider:", err)
		os.Exit(1)
	}
}

func serve(addr string, lifetime time.Duration, envFile string, withAPI bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := testop.Start(testop.Options{Addr: addr, AccessTokenLifetime: lifetime})
	if err != nil {
		return err
	}
	exports := exportLines(p)
	if withAPI {
		api, err := testapi.Start(ctx, testapi.Options{Issuer: p.Issuer()})
		if err != nil {
			p.Close()
			return err
		}
		defer api.Close()
		exports += fmt.Sprintf("export FOURINSIGHT_API_BASE=%s\n", shellQuote(api.URL()+"/"))
	}
	if envFile != "" {
		if err := writeAtomic(envFile, exports); err != nil {
			p.Close()
			return err
		}
		defer os.Remove(envFile)
	}
	if fd, err := strconv.Atoi(os.Getenv(notifyEnv)); err == nil {
		notify := os.NewFile(uintptr(fd), "notify")
		_, err = io.WriteString(notify, exports)
		notify.Close() // EOF tells the parent we are up
		if err != nil {
			p.Close()
			return err
		}
	} else {
		os.Stdout.WriteString(exports)
		fmt.Fprintf(os.Stderr, "fourinsight test provider at %s\n  paste package: curl -s %s (or open it in a browser)\n  test user: %s / %s\n  stop with Ctrl-C\n",
			p.Issuer(), p.PasteURL(), testop.TestUsername, testop.TestPassword)
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.Shutdown(shutdown)
}

// exportLines is what a shell evals or sources to use the provider.
func exportLines(p *testop.Provider) string {
	vars := []struct{ name, value string }{
		{"FOURINSIGHT_ISSUER", p.Issuer()},
		{"FOURINSIGHT_CLIENT_ID", testop.ServiceClientID},
		{"FOURINSIGHT_CLIENT_SECRET", testop.ServiceClientSecret},
		{"FOURINSIGHT_TESTPROVIDER_PID", strconv.Itoa(os.Getpid())},
		{"FOURINSIGHT_TESTPROVIDER_TOKEN_URL", p.TokenURL()},
		{"FOURINSIGHT_TESTPROVIDER_PASTE_URL", p.PasteURL()},
		{"FOURINSIGHT_TESTPROVIDER_USER_CLIENT_ID", testop.UserClientID},
		{"FOURINSIGHT_TESTPROVIDER_USER_CLIENT_SECRET", testop.UserClientSecret},
		{"FOURINSIGHT_TESTPROVIDER_NATIVE_CLIENT_ID", testop.NativeClientID},
		{"FOURINSIGHT_TESTPROVIDER_DEVICE_CLIENT_ID", testop.DeviceClientID},
	}
	var b strings.Builder
	for _, v := range vars {
		fmt.Fprintf(&b, "export %s=%s\n", v.name, shellQuote(v.value))
	}
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeAtomic makes a script that polls for the file never read half of it.
func writeAtomic(path, content string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".testprovider-env-*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// startBackground re-runs this program detached (its own process group, no
// terminal, output to a log file) and relays the export lines it reports
// once listening; the log's path is exported too.
func startBackground(addr string, lifetime time.Duration, envFile string, withAPI bool) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	logf, err := os.CreateTemp("", "fourinsight-testprovider-*.log")
	if err != nil {
		return err
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	args := []string{"-addr", addr, "-token-lifetime", lifetime.String()}
	if withAPI {
		args = append(args, "-api")
	}
	if envFile != "" {
		abs, err := filepath.Abs(envFile)
		if err != nil {
			return err
		}
		args = append(args, "-env-file", abs)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w} // fd 3 in the child
	cmd.Env = append(os.Environ(), notifyEnv+"=3")
	cmd.Dir = "/"
	detach(cmd)
	err = cmd.Start()
	w.Close() // only the child holds the write end now
	if err != nil {
		return err
	}
	exports, _ := io.ReadAll(r)
	if len(exports) == 0 {
		cmd.Wait()
		log, _ := os.ReadFile(logf.Name())
		os.Remove(logf.Name())
		return errors.New("provider did not start: " +
			strings.TrimPrefix(strings.TrimSpace(string(log)), "fourinsight-testprovider: "))
	}
	os.Stdout.Write(exports)
	fmt.Printf("export FOURINSIGHT_TESTPROVIDER_LOG=%s\n", shellQuote(logf.Name()))
	return cmd.Process.Release()
}
