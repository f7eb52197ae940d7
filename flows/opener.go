package flows

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// BrowserOpener returns how to open a URL in the person's browser here, or
// nil when no browser can be opened: $BROWSER always counts (run as
// "$BROWSER URL", no shell); otherwise a desktop session that is not an SSH
// login: macOS open, Windows rundll32, WSL's wslview or cmd.exe, and
// xdg-open on Linux when DISPLAY or WAYLAND_DISPLAY is set.
//
// It looks only at the environment (and, on Linux, whether this is WSL);
// nothing runs until the returned function is called.
func BrowserOpener() func(url string) error {
	argv := openerEnv{
		goos:     runtime.GOOS,
		getenv:   os.Getenv,
		lookPath: exec.LookPath,
		isWSL:    isWSL,
	}.command()
	if argv == nil {
		return nil
	}
	return func(url string) error { return launch(argv, url) }
}

// openerEnv is what decides how to open a browser, so tests can fake it.
type openerEnv struct {
	goos     string
	getenv   func(string) string
	lookPath func(string) (string, error)
	isWSL    func() bool
}

// command returns the argv that opens a URL (the URL is appended, or takes
// the place of a "%s"), or nil when no browser can be opened here.
func (e openerEnv) command() []string {
	if b := strings.TrimSpace(e.getenv("BROWSER")); b != "" {
		return browserCommand(b, e.lookPath, e.goos)
	}
	if e.getenv("SSH_CONNECTION") != "" || e.getenv("SSH_TTY") != "" || e.getenv("SSH_CLIENT") != "" {
		// The browser would open on the remote machine's display, if any,
		// not in front of the person.
		return nil
	}
	switch e.goos {
	case "darwin":
		return []string{"open"}
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler"}
	case "android", "ios", "js", "wasip1", "plan9":
		return nil
	}
	if e.isWSL != nil && e.isWSL() {
		if _, err := e.lookPath("wslview"); err == nil {
			return []string{"wslview"}
		}
		if _, err := e.lookPath("cmd.exe"); err == nil {
			return []string{"cmd.exe", "/c", "start", ""}
		}
	}
	if e.getenv("DISPLAY") == "" && e.getenv("WAYLAND_DISPLAY") == "" {
		return nil
	}
	if _, err := e.lookPath("xdg-open"); err == nil {
		return []string{"xdg-open"}
	}
	return nil
}

// browserCommand reads $BROWSER: one command, or a list of them separated
// like PATH (the first that can be found is used). A command is a program
// path (which may contain spaces) or a program and its arguments separated
// by spaces.
func browserCommand(v string, lookPath func(string) (string, error), goos string) []string {
	sep := ":"
	if goos == "windows" {
		sep = ";"
	}
	var first []string
	for _, cand := range strings.Split(v, sep) {
		cand = strings.TrimSpace(cand)
		if cand == "" {
			continue
		}
		argv := []string{cand}
		if _, err := lookPath(cand); err != nil {
			argv = strings.Fields(cand)
		}
		if first == nil {
			first = argv
		}
		if _, err := lookPath(argv[0]); err == nil {
			return argv
		}
	}
	if first == nil {
		return nil
	}
	return first // it fails when run, with an error that names it
}

// launchGrace is how long launch waits to see whether the opener failed.
// Openers such as xdg-open exit at once; a browser named in $BROWSER may
// keep running, which is fine.
const launchGrace = 1500 * time.Millisecond

// launch starts argv with the URL, without a shell and without our standard
// streams (a caller's $(...) must not wait for the browser), and reports a
// failure to start or an early non-zero exit.
func launch(argv []string, url string) error {
	args := make([]string, 0, len(argv))
	placed := false
	for _, a := range argv[1:] {
		if strings.Contains(a, "%s") {
			a, placed = strings.ReplaceAll(a, "%s", url), true
		}
		args = append(args, a)
	}
	if !placed {
		if argv[0] == "cmd.exe" {
			// cmd.exe would read & as a command separator.
			url = strings.ReplaceAll(url, "&", "^&")
		}
		args = append(args, url)
	}
	cmd := exec.Command(argv[0], args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	detachBrowser(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot run %s: %s", filepath.Base(argv[0]), rootCause(err))
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%s exited with status %d", filepath.Base(argv[0]), ee.ExitCode())
		}
		return err
	case <-time.After(launchGrace):
		return nil
	}
}

// isWSL reports whether this Linux runs under Windows (WSL 1 or 2).
func isWSL() bool {
	if os.Getenv("WSL_DISTRO_NAME") != "" || os.Getenv("WSL_INTEROP") != "" {
		return true
	}
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return false
	}
	s := strings.ToLower(string(b))
	return strings.Contains(s, "microsoft") || strings.Contains(s, "wsl")
}
