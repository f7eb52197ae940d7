package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	checkout := &debug.BuildInfo{
		Main: debug.Module{Version: "v0.0.0-20261130100000-59d3a4c1e2f3+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "59d3a4c1e2f3aa"},
			{Key: "vcs.modified", Value: "true"},
			{Key: "vcs.time", Value: "2026-11-30T10:00:00Z"},
		},
	}
	platform := runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	tests := []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		want            string
	}{
		{"go build in a checkout", "", "", checkout,
			"fourinsight-token v0.0.0-20261130100000-59d3a4c1e2f3+dirty (commit 59d3a4c1e2f3aa, 2026-11-30T10:00:00Z, with uncommitted changes, " + platform},
		{"go install …@v1.2.3", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}},
			"fourinsight-token v1.2.3 (" + platform},
		{"release build with ldflags", "v1.3.0", "abc123", checkout,
			"fourinsight-token v1.3.0 (commit abc123, 2026-11-30T10:00:00Z, with uncommitted changes, " + platform},
		{"no build info", "", "", nil, "fourinsight-token (devel) (" + platform},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionLine(tt.version, tt.commit, tt.bi); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// This test binary has build info; the line never falls back to placeholders.
func TestVersionCommandUsesBuildInfo(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"version"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if s := out.String(); !strings.HasPrefix(s, "fourinsight-token ") || strings.Contains(s, "dev (commit none") || !strings.Contains(s, runtime.Version()) {
		t.Fatalf("version printed %q", s)
	}
}
