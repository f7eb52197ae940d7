package main

import (
	"fmt"

	"github.com/fourinsight-token/fourinsight-token/internal/sibling"
)

// findCLI finds fourinsight-token-cli: named by FOURINSIGHT_TOKEN_CLI, else
// beside this executable (also beside a symlink's target), else on PATH.
func findCLI() (string, error) {
	if p, _, ok := sibling.Find(cliName, "FOURINSIGHT_TOKEN_CLI"); ok {
		return p, nil
	}
	return "", fmt.Errorf("cannot find %s, which does everything but serve a cached token, beside this program or on PATH; install it beside fourinsight-token: go install ./cmd/fourinsight-token-cli in a checkout, or go install github.com/fourinsight-token/fourinsight-token/cmd/fourinsight-token-cli@latest", cliName)
}
