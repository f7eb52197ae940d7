package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by a release build (-ldflags "-X main.version=v1.2.3 -X main.commit=abc123");
// otherwise the build info says what was built (go install, go build in a
// checkout).
var (
	version = ""
	commit  = ""
)

func (a *app) version() error {
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintln(a.stdout, versionLine(version, commit, bi))
	return nil
}

// versionLine describes the build: the module version (or the one set at
// link time), the VCS revision with whether the tree had changes and the
// commit's time, the Go version and the platform.
func versionLine(version, commit string, bi *debug.BuildInfo) string {
	var modified bool
	var when string
	if bi != nil {
		if version == "" && bi.Main.Version != "" {
			version = bi.Main.Version // v1.2.3 from go install …@v1.2.3; a pseudo-version or (devel) in a checkout
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			case "vcs.time":
				when = s.Value
			}
		}
	}
	if version == "" {
		version = "(devel)"
	}
	var parts []string
	if commit != "" {
		parts = append(parts, "commit "+commit)
		if when != "" {
			parts = append(parts, when)
		}
		if modified {
			parts = append(parts, "with uncommitted changes")
		}
	}
	parts = append(parts, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return "fourinsight-token " + version + " (" + strings.Join(parts, ", ") + ")"
}
