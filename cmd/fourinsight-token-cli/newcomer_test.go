package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A refused sign-in names what refused it and the way out, in one line.
func TestNonInteractiveRefusalsNameTheirCause(t *testing.T) {
	tests := []struct {
		name string
		env  []string // K=V
		args []string
		want []string
	}{
		{"CI=true in a terminal, login", []string{"CI=true"}, []string{"login", "-s", "ws0"},
			[]string{"CI=true is set", "service account", "--flow client", "unset CI and run: fourinsight-token login -s ws0"}},
		{"CI=1, get", []string{"CI=1"}, []string{"-s", "ws0"},
			[]string{"CI=1 is set", "unset CI"}},
		{"--non-interactive", nil, []string{"--non-interactive", "login"},
			[]string{"--non-interactive (or FOURINSIGHT_NON_INTERACTIVE) is set", "without it: fourinsight-token login"}},
		{"FOURINSIGHT_NON_INTERACTIVE", []string{"FOURINSIGHT_NON_INTERACTIVE=1"}, []string{"-s", "x"},
			[]string{"FOURINSIGHT_NON_INTERACTIVE) is set", "fourinsight-token login -s x"}},
		{"kubectl's interactive: false", []string{"KUBERNETES_EXEC_INFO={\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":false}}"},
			[]string{"-s", "kube", "-o", "exec-credential"},
			[]string{"kubectl runs this credential plugin non-interactively", "sign in first in a terminal: fourinsight-token login -s kube"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			t.Setenv("CI", "")
			for _, kv := range tt.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			code, out, errOut := runCLI("", append([]string{"--cache-dir", dir}, tt.args...)...)
			if code != 3 || out != "" {
				t.Fatalf("exit %d, stdout %q; want 3 and nothing: %s", code, out, errOut)
			}
			if strings.Count(errOut, "\n") != 1 {
				t.Errorf("want one line on stderr, got:\n%s", errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(errOut, "run in a terminal") {
				t.Errorf("advises a terminal, which is not the cause:\n%s", errOut)
			}
		})
	}
}

// --output-file writes the chosen format into the file, 0600, replacing it
// whole; a failed call or a refused path leaves the old file as it was.
func TestOutputFile(t *testing.T) {
	dir := isolate(t)
	t.Setenv("CI", "")
	writeEntry(t, dir, "token.ws0", "cached-token-0123456789", time.Now().Add(time.Hour))
	work := t.TempDir()
	env := filepath.Join(work, ".env")
	old := "FOURINSIGHT_ACCESS_TOKEN=old\n"
	reset := func() {
		os.Remove(env)
		if err := os.WriteFile(env, []byte(old), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(env, 0o644)
	}
	unchanged := func(t *testing.T) {
		t.Helper()
		data, _ := os.ReadFile(env)
		info, _ := os.Stat(env)
		if string(data) != old || info.Mode().Perm() != 0o644 {
			t.Fatalf(".env changed: %q, mode %v", data, info.Mode().Perm())
		}
	}

	t.Run("get writes the format, 0600, nothing on stdout", func(t *testing.T) {
		reset()
		code, out, errOut := runCLI("", "--cache-dir", dir, "-s", "ws0", "-o", "dotenv", "--output-file", env)
		if code != 0 || out != "" {
			t.Fatalf("exit %d, stdout %q: %s", code, out, errOut)
		}
		data, _ := os.ReadFile(env)
		info, _ := os.Stat(env)
		if string(data) != "FOURINSIGHT_ACCESS_TOKEN=cached-token-0123456789\n" || info.Mode().Perm() != 0o600 {
			t.Fatalf(".env = %q, mode %v; want the dotenv line, 0600", data, info.Mode().Perm())
		}
		if leftovers, _ := filepath.Glob(filepath.Join(work, ".*.tmp-*")); len(leftovers) != 0 {
			t.Fatalf("temporary files left: %v", leftovers)
		}
	})
	t.Run("a failed call leaves the file alone", func(t *testing.T) {
		reset()
		code, _, errOut := runCLI("", "--cache-dir", dir, "-s", "none", "--non-interactive", "-o", "dotenv", "--output-file", env)
		if code != 3 {
			t.Fatalf("exit %d, want 3: %s", code, errOut)
		}
		unchanged(t)
	})
	t.Run("a symbolic link is refused", func(t *testing.T) {
		reset()
		link := filepath.Join(work, "link.env")
		os.Remove(link)
		if err := os.Symlink(env, link); err != nil {
			t.Skip(err)
		}
		code, _, errOut := runCLI("", "--cache-dir", dir, "-s", "ws0", "--output-file", link)
		if code != 2 || !strings.Contains(errOut, "is a symbolic link; name the file it points to instead") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		unchanged(t)
	})
	t.Run("a command that prints no token refuses it", func(t *testing.T) {
		reset()
		code, _, errOut := runCLI("", "--cache-dir", dir, "--output-file", env, "status")
		if code != 2 || !strings.Contains(errOut, "--output-file is for get and login") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		unchanged(t)
	})
	t.Run("a missing directory fails with exit 1 and one line", func(t *testing.T) {
		code, out, errOut := runCLI("", "--cache-dir", dir, "-s", "ws0", "--output-file", filepath.Join(work, "no", "such", ".env"))
		if code != 1 || out != "" || !strings.Contains(errOut, "cannot write --output-file") || strings.Count(errOut, "\n") != 1 {
			t.Fatalf("exit %d, stdout %q: %s", code, out, errOut)
		}
	})
}

// A command's help shows an example and its own flags before the global ones.
func TestHelpShowsOwnFlagsFirstWithExample(t *testing.T) {
	tests := []struct {
		args    []string
		example string
		own     string // a flag of the command itself
	}{
		{[]string{"exec", "--help"}, "fourinsight-token -s ws0 exec -- python3 sync.py", "--env=NAME"},
		{[]string{"setup", "git", "--help"}, "setup git --host git.example.com", "--host=HOST"},
		{[]string{"logout", "--help"}, "fourinsight-token logout --all", "--all"},
		{[]string{"status", "--help"}, "status -s ws0 --json", "--json"},
		{[]string{"completion", "--help"}, "~/.local/share/bash-completion/completions/fourinsight-token", "<shell>"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runCLI("", tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			// In this order: the example, the command's own flag (or
			// argument), the global group with --session in it.
			rest := out
			for _, want := range []string{tt.example, tt.own, "Global flags", "--session=KEY"} {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("want the example, then %s, then the global flags; %q is missing or out of order:\n%s", tt.own, want, out)
				}
				rest = rest[i+len(want):]
			}
		})
	}
}
