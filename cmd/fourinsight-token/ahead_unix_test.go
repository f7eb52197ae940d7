//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Inside the refresh-ahead window the front serves the token exactly as a
// plain get, and starts one background refresh: the full command line's
// refresh-ahead command with the same settings. Callers after it start none.
func TestServeCachedInsideTheWindowStartsOneBackgroundRefresh(t *testing.T) {
	home, dir := newHome(t)
	started := filepath.Join(home, "started")
	fake := filepath.Join(home, "fourinsight-token-cli")
	os.WriteFile(fake, []byte("#!/bin/sh\necho \"$@\" >> '"+started+"'\n"), 0o700)
	t.Setenv("FOURINSIGHT_TOKEN_CLI", fake)

	in := func(d time.Duration) string { return strconv.FormatInt(time.Now().Add(d).Unix(), 10) }
	// A Python-written entry: an hour's token with 5 minutes left.
	os.WriteFile(filepath.Join(dir, "token.win"), []byte(`{"access_token":"win-token","refresh_token":"r","expires_in":3600,"expires_at":`+in(5*time.Minute)+`}`), 0o600)
	os.WriteFile(filepath.Join(dir, "token.noref"), []byte(`{"access_token":"noref-token","expires_in":3600,"expires_at":`+in(5*time.Minute)+`}`), 0o600)

	get := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code, served := serveCached(args, &stdout, &stderr)
		if !served || code != 0 || stderr.Len() != 0 {
			t.Fatalf("%v: served = %v, exit %d, stderr %q", args, served, code, stderr.String())
		}
		return stdout.String()
	}
	if out := get("-s", "win", "--refresh-ahead", "0"); out != "win-token\n" {
		t.Fatalf("stdout = %q", out)
	}
	if out := get("-s", "noref"); out != "noref-token\n" {
		t.Fatalf("stdout = %q", out)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := os.Stat(started); err == nil {
		t.Fatal("a background refresh was started with --refresh-ahead 0, or without a refresh token")
	}

	for range 3 {
		if out := get("-s", "win", "-o", "header"); out != "Authorization: Bearer win-token\n" {
			t.Fatalf("stdout = %q", out)
		}
	}
	var data []byte
	for deadline := time.Now().Add(30 * time.Second); len(data) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no background refresh was started")
		}
		data, _ = os.ReadFile(started)
	}
	time.Sleep(200 * time.Millisecond) // room for a wrong second start to show
	data, _ = os.ReadFile(started)
	if got := strings.TrimSpace(string(data)); got != "refresh-ahead --session=win" {
		t.Fatalf("started %q, want one refresh-ahead for the session with its settings", got)
	}
}
