package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
)

// notOurFlags are --words the docs show that belong to other programs (or,
// for --client-secret, that the docs say does not exist).
var notOurFlags = map[string]string{
	"--background":    "fourinsight-testprovider",
	"--api":           "fourinsight-testprovider",
	"--env-file":      "docker run",
	"--current":       "kubectl config set-context",
	"--raw":           "kubectl get",
	"--unlock":        "gnome-keyring-daemon",
	"--components":    "gnome-keyring-daemon",
	"--daemonize":     "gnome-keyring-daemon",
	"--foreground":    "gnome-keyring-daemon",
	"--new-window":    "firefox",
	"--runs":          "scripts/bench",
	"--keep":          "scripts/bench",
	"--comm":          "perf report",
	"--children":      "perf report",
	"--sort":          "perf report",
	"--client-secret": "docs/security.md: the flag that deliberately does not exist",
}

// Every --flag the docs and README mention is a flag of some command, so a
// reader who copies one is never told it is unknown.
func TestDocsMentionOnlyRealFlags(t *testing.T) {
	parser, err := kong.New(&cliargs.CLI{})
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, f := range n.Flags {
			known["--"+f.Name] = true
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(parser.Model.Node)

	files, _ := filepath.Glob("../../docs/*.md")
	more, _ := filepath.Glob("../../docs/integrations/*.md")
	files = append(append(files, more...), "../../README.md")
	if len(files) < 5 {
		t.Fatalf("found only %d doc files: %v", len(files), files)
	}
	flag := regexp.MustCompile(`(?:^|[^A-Za-z0-9_-])(--[a-z][a-z0-9-]*[a-z0-9])`)
	seen := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, m := range flag.FindAllStringSubmatch(line, -1) {
				seen++
				name := m[1]
				if known[name] {
					continue
				}
				if _, ok := notOurFlags[name]; ok {
					continue
				}
				t.Errorf("%s:%d mentions %s, which no command has", filepath.Base(f), i+1, name)
			}
		}
	}
	if seen < 50 {
		t.Fatalf("found only %d flag mentions in the docs; is the pattern right?", seen)
	}
	// The allow list stays small and true: each entry is still needed and
	// is not one of ours.
	var stale []string
	for name := range notOurFlags {
		if known[name] {
			stale = append(stale, name+" (it is one of ours)")
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("notOurFlags lists our own flags: %v", stale)
	}
}
