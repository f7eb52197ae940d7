package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/internal/testtool"
)

const module = "github.com/fourinsight-token/fourinsight-token"

// The main binary never links a keyring or D-Bus library: that is what
// keeps the file store free of their start-up cost. The helper does.
func TestOnlyTheHelperLinksKeyring(t *testing.T) {
	testtool.Need(t, "go")
	forbidden := []string{"github.com/99designs/keyring", "github.com/godbus/dbus", "github.com/gsterjov/go-libsecret", "github.com/danieljoos/wincred", "github.com/99designs/go-keychain"}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		deps := goList(t, goos, module+"/cmd/fourinsight-token")
		for _, f := range forbidden {
			if deps[f] {
				t.Errorf("GOOS=%s: fourinsight-token links %s; only %s may", goos, f, helperName)
			}
		}
	}
	if deps := goList(t, "linux", module+"/cmd/fourinsight-token-keyring"); !deps["github.com/99designs/keyring"] {
		t.Error("the helper does not link 99designs/keyring")
	}
}

const helperName = "fourinsight-token-keyring"

func goList(t *testing.T, goos, pkg string) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", pkg)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		deps[l] = true
	}
	return deps
}

// Both binaries cross-build without cgo for every released platform. (The
// macOS Keychain backend needs cgo: such a build of the helper says so.)
func TestCrossBuildWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("cross builds take a while; skipped with -short")
	}
	testtool.Need(t, "go")
	out := t.TempDir()
	type target struct{ goos, goarch string }
	var targets []target
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			targets = append(targets, target{goos, goarch})
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(targets))
	sem := make(chan struct{}, max(1, runtime.NumCPU()))
	for i, tg := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			dir := filepath.Join(out, tg.goos+"-"+tg.goarch)
			cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), module+"/cmd/fourinsight-token", module+"/cmd/fourinsight-token-keyring")
			cmd.Env = append(os.Environ(), "GOOS="+tg.goos, "GOARCH="+tg.goarch, "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("%s/%s: %v\n%s", tg.goos, tg.goarch, err, b)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

var straceCall = regexp.MustCompile(`^\d+\s+(\w+)\(`)

// Run by a person without any session bus, the helper neither starts one
// (dbus-launch) nor opens a socket: internal/nobuslaunch runs before the
// keyring library's init functions.
func TestHelperNeverRunsDBusLaunch(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	testtool.Need(t, "strace")
	bin := filepath.Join(t.TempDir(), "fourinsight-token-keyring")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	// A dbus-launch on PATH that leaves a mark, in case one is run.
	fakeDir := t.TempDir()
	mark := filepath.Join(fakeDir, "ran")
	if err := os.WriteFile(filepath.Join(fakeDir, "dbus-launch"), []byte("#!/bin/sh\ntouch '"+mark+"'\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "strace.log")
	cmd := exec.Command("strace", "-f", "-qq", "-o", log, "-e", "trace=execve,socket,connect", bin, "backends")
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "DBUS_SESSION_BUS_ADDRESS" && k != "XDG_RUNTIME_DIR" && k != "PATH" {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "XDG_RUNTIME_DIR="+t.TempDir(), "PATH="+fakeDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("backends: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "automatic choice:") {
		t.Fatalf("backends printed %q", out)
	}
	data, _ := os.ReadFile(log)
	execs := 0
	for _, line := range strings.Split(string(data), "\n") {
		m := straceCall.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if m[1] == "execve" {
			execs++
			if execs == 1 {
				continue
			}
		}
		t.Errorf("without a session bus the helper made a call it must not: %s", line)
	}
	if execs == 0 {
		t.Fatalf("strace saw nothing:\n%s", data)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("the helper ran dbus-launch")
	}
}
