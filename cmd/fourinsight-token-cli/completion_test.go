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
	}
	for _, tt := range tests {
		words := strings.Fields(tt.words)
		probe := `source "$1"; COMP_WORDS=(` + tt.words + `); COMP_CWORD=` + itoa(len(words)-1) + `; _fourinsight_token; echo "${COMPREPLY[*]}"`
		got, err := exec.Command("bash", "-c", probe, "bash", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tt.words, err, got)
		}
		if strings.TrimSpace(string(got)) != tt.want {
			t.Errorf("completing %q = %q, want %q", tt.words, strings.TrimSpace(string(got)), tt.want)
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
