package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The bash script, sourced in a real bash, completes commands, flags and
// flag values.
func TestBashCompletion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"completion", "bash"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	script := filepath.Join(t.TempDir(), "c.bash")
	os.WriteFile(script, out.Bytes(), 0o600)
	tests := []struct {
		words string
		want  string
	}{
		{"fourinsight-token log", "login logout"},
		{"fourinsight-token --fl", "--flow"},
		{"fourinsight-token --flow de", "device"},
		{"fourinsight-token -o exec", "exec-credential"},
		{"fourinsight-token setup ''", "git kubectl"},
		{"fourinsight-token -s ws0 setup k", "kubectl"},
		{"fourinsight-token --flow paste git-credential ''", "get store erase"},
		{"fourinsight-token completion z", "zsh"},
		{"fourinsight-token setup git --ho", "--host"},
		{"fourinsight-token setup kubectl --api-version v1b", "v1beta1"},
		{"fourinsight-token setup kubectl ''", ""}, // no more words after a subcommand
		{"fourinsight-token --session setup ''", "api completion exec get git-credential login logout proxy setup status version"}, // "setup" is the session's name: a command comes next
		{"fourinsight-token --output-file .e", ""}, // a file name: bash's own completion
		{"fourinsight-token exec -- ''", ""},       // the command to run: bash's own
		{"fourinsight-token -v lo", "login logout"},
	}
	for _, tt := range tests {
		words := strings.Fields(tt.words) // '' is the empty word being completed
		probe := `cd "$2"; source "$1"; COMP_WORDS=(` + tt.words + `); COMP_CWORD=` + itoa(len(words)-1) + `; _fourinsight_token; echo "${COMPREPLY[*]}"`
		got, err := exec.Command("bash", "-c", probe, "bash", script, t.TempDir()).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tt.words, err, got)
		}
		if strings.TrimSpace(string(got)) != tt.want {
			t.Errorf("completing %q = %q, want %q", tt.words, strings.TrimSpace(string(got)), tt.want)
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

// Installed as completion --help says, bash-completion loads the script on
// demand in every new shell.
func TestBashCompletionInstalledForGood(t *testing.T) {
	const loader = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(loader); err != nil {
		t.Skip("the bash-completion package is not installed")
	}
	var out, help, errOut bytes.Buffer
	if code := run([]string{"completion", "bash"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	run([]string{"completion", "--help"}, nil, &help, &errOut)
	const where = "~/.local/share/bash-completion/completions/fourinsight-token"
	if !strings.Contains(help.String(), where) {
		t.Fatalf("completion --help does not name %s:\n%s", where, help.String())
	}
	home := t.TempDir()
	file := filepath.Join(home, strings.TrimPrefix(where, "~/"))
	os.MkdirAll(filepath.Dir(file), 0o700)
	os.WriteFile(file, out.Bytes(), 0o600)
	cmd := exec.Command("bash", "-c", `source `+loader+`; _completion_loader fourinsight-token; complete -p fourinsight-token`)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_DATA_HOME=")
	got, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(got), "_fourinsight_token") {
		t.Fatalf("bash-completion did not load the installed script: %v\n%s", err, got)
	}
}

// fish is not installed where the tests run; its script offers the same
// words after each command as bash's does.
func TestFishCompletionKnowsSubcommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"completion", "fish"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for cmd, words := range map[string]string{"setup": "git kubectl", "git-credential": "get store erase", "completion": "bash fish zsh"} {
		want := "-n '__fish_seen_subcommand_from " + cmd + "; and not __fish_seen_subcommand_from " + words + "' -a '" + words + "'"
		if !strings.Contains(out.String(), want) {
			t.Errorf("fish script lacks %s", want)
		}
	}
	if !strings.Contains(out.String(), "-l api-version -x -a 'v1 v1beta1'") || !strings.Contains(out.String(), "-l output-file -r") {
		t.Errorf("fish script lacks a subcommand's flag or a file flag:\n%s", out.String())
	}
}
