package main

import (
	"strings"
	"testing"
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
