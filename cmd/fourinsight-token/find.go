package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// findCLI finds fourinsight-token-cli: named by FOURINSIGHT_TOKEN_CLI, else
// beside this executable (also beside a symlink's target), else on PATH.
func findCLI() (string, error) {
	if p := os.Getenv("FOURINSIGHT_TOKEN_CLI"); p != "" {
		return p, nil
	}
	name := cliName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if self, err := os.Executable(); err == nil {
		candidates := []string{filepath.Join(filepath.Dir(self), name)}
		if real, err := filepath.EvalSymlinks(self); err == nil {
			candidates = append(candidates, filepath.Join(filepath.Dir(real), name))
		}
		for _, c := range candidates {
			if info, err := os.Stat(c); err == nil && !info.IsDir() {
				return c, nil
			}
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("cannot find %s, which does everything but serve a cached token, beside this program or on PATH; install it beside fourinsight-token: go install ./cmd/fourinsight-token-cli in a checkout, or go install github.com/fourinsight-token/fourinsight-token/cmd/fourinsight-token-cli@latest", cliName)
}
