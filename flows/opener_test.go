package flows

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestOpenerCommand(t *testing.T) {
	found := func(names ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			if slices.Contains(names, name) {
				return "/usr/bin/" + name, nil
			}
			return "", errors.New("not found")
		}
	}
	tests := []struct {
		name string
		goos string
		env  map[string]string
		path []string
		wsl  bool
		want []string // nil: no browser can be opened
	}{
		{name: "linux desktop", goos: "linux", env: map[string]string{"DISPLAY": ":0"}, path: []string{"xdg-open"}, want: []string{"xdg-open"}},
		{name: "linux wayland", goos: "linux", env: map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, path: []string{"xdg-open"}, want: []string{"xdg-open"}},
		{name: "linux desktop without xdg-open", goos: "linux", env: map[string]string{"DISPLAY": ":0"}},
		{name: "linux console", goos: "linux", path: []string{"xdg-open"}},
		{name: "ssh with X forwarding", goos: "linux", env: map[string]string{"DISPLAY": "localhost:10.0", "SSH_CONNECTION": "1 2 3 4"}, path: []string{"xdg-open"}},
		{name: "ssh tty", goos: "linux", env: map[string]string{"DISPLAY": ":0", "SSH_TTY": "/dev/pts/0"}, path: []string{"xdg-open"}},
		{name: "ssh with $BROWSER", goos: "linux", env: map[string]string{"SSH_CONNECTION": "1 2 3 4", "BROWSER": "w3m"}, path: []string{"w3m"}, want: []string{"w3m"}},
		{name: "$BROWSER wins on a desktop", goos: "linux", env: map[string]string{"DISPLAY": ":0", "BROWSER": "firefox"}, path: []string{"xdg-open", "firefox"}, want: []string{"firefox"}},
		{name: "$BROWSER with arguments", goos: "linux", env: map[string]string{"BROWSER": "firefox --new-window"}, path: []string{"firefox"}, want: []string{"firefox", "--new-window"}},
		{name: "$BROWSER list takes the first found", goos: "linux", env: map[string]string{"BROWSER": "chromium:firefox"}, path: []string{"firefox"}, want: []string{"firefox"}},
		{name: "$BROWSER not found still counts", goos: "linux", env: map[string]string{"BROWSER": "nosuch"}, want: []string{"nosuch"}},
		{name: "$BROWSER path with spaces", goos: "windows", env: map[string]string{"BROWSER": `C:\Program Files\Browser\b.exe`}, path: []string{`C:\Program Files\Browser\b.exe`}, want: []string{`C:\Program Files\Browser\b.exe`}},
		{name: "wsl with wslview", goos: "linux", wsl: true, path: []string{"wslview", "cmd.exe"}, want: []string{"wslview"}},
		{name: "wsl with cmd.exe", goos: "linux", wsl: true, path: []string{"cmd.exe"}, want: []string{"cmd.exe", "/c", "start", ""}},
		{name: "wsl over ssh", goos: "linux", wsl: true, env: map[string]string{"SSH_CLIENT": "1 2 3"}, path: []string{"wslview"}},
		{name: "macOS", goos: "darwin", want: []string{"open"}},
		{name: "macOS over ssh", goos: "darwin", env: map[string]string{"SSH_CONNECTION": "1 2 3 4"}},
		{name: "windows", goos: "windows", want: []string{"rundll32", "url.dll,FileProtocolHandler"}},
		{name: "freebsd desktop", goos: "freebsd", env: map[string]string{"DISPLAY": ":0"}, path: []string{"xdg-open"}, want: []string{"xdg-open"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := openerEnv{
				goos:     tt.goos,
				getenv:   func(k string) string { return tt.env[k] },
				lookPath: found(tt.path...),
				isWSL:    func() bool { return tt.wsl },
			}
			if got := e.command(); !slices.Equal(got, tt.want) {
				t.Errorf("command() = %q, want %q", got, tt.want)
			}
		})
	}
}

// launch runs the opener without a shell: the URL arrives as one argument,
// whatever it holds; a failing opener is reported.
func TestLaunch(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script as the browser")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	script := filepath.Join(dir, "browser")
	os.WriteFile(script, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > "+out+"\n"), 0o700)
	failing := filepath.Join(dir, "failing")
	os.WriteFile(failing, []byte("#!/bin/sh\nexit 3\n"), 0o700)

	url := "http://127.0.0.1:1/authorize?a=1&b=$(touch " + dir + "/pwned);x`id`"
	if err := launch([]string{script, "--flag"}, url); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	if want := "--flag\n" + url + "\n"; string(got) != want {
		t.Errorf("arguments:\n%s\nwant:\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("the URL was run by a shell")
	}
	if err := launch([]string{script, "--url=%s"}, "http://x/"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); string(got) != "--url=http://x/\n" {
		t.Errorf("%%s placeholder: %q", got)
	}
	if err := launch([]string{failing}, "http://x/"); err == nil || !strings.Contains(err.Error(), "status 3") {
		t.Errorf("failing opener: %v", err)
	}
	if err := launch([]string{filepath.Join(dir, "nosuch")}, "http://x/"); err == nil || !strings.Contains(err.Error(), "cannot run nosuch") {
		t.Errorf("missing opener: %v", err)
	}
}
