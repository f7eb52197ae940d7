package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/store"
)

// output renders a token in one of the -o formats.
type output struct {
	format string
	// execAPIVersion is the ExecCredential apiVersion kubectl asked for.
	execAPIVersion string
	// interactive is false when the consumer said it cannot interact
	// (kubectl's spec.interactive: false).
	interactive bool
}

// Kubernetes client authentication API versions we speak.
const (
	execV1      = "client.authentication.k8s.io/v1"
	execV1beta1 = "client.authentication.k8s.io/v1beta1"
)

func newOutput(format string) (output, error) {
	o := output{format: format, interactive: true}
	if o.format == "" {
		o.format = "token"
	}
	if o.format == "exec-credential" {
		info, err := parseExecInfo(os.Getenv("KUBERNETES_EXEC_INFO"))
		if err != nil {
			return o, err
		}
		o.execAPIVersion, o.interactive = info.APIVersion, info.Spec.Interactive
	}
	return o, nil
}

// execInfo is the ExecCredential kubectl passes in KUBERNETES_EXEC_INFO.
type execInfo struct {
	APIVersion string `json:"apiVersion"`
	Spec       struct {
		Interactive bool `json:"interactive"`
	} `json:"spec"`
}

// parseExecInfo reads KUBERNETES_EXEC_INFO; when it is absent, kubectl is
// not the caller and v1 with interaction allowed is assumed.
func parseExecInfo(raw string) (execInfo, error) {
	var info execInfo
	if strings.TrimSpace(raw) == "" {
		info.APIVersion, info.Spec.Interactive = execV1, true
		return info, nil
	}
	if err := json.Unmarshal([]byte(raw), &info); err != nil {
		return info, fmt.Errorf("%w: KUBERNETES_EXEC_INFO is not an ExecCredential: %v", errUsage, err)
	}
	switch info.APIVersion {
	case "":
		info.APIVersion = execV1
	case execV1, execV1beta1:
	default:
		return info, fmt.Errorf("%w: KUBERNETES_EXEC_INFO asks for %s; supported: %s, %s", errUsage, info.APIVersion, execV1, execV1beta1)
	}
	return info, nil
}

func (o output) write(w io.Writer, e *store.Entry, key string) error {
	tok := e.AccessToken
	var err error
	switch o.format {
	case "token":
		_, err = fmt.Fprintln(w, tok)
	case "header":
		_, err = fmt.Fprintf(w, "Authorization: Bearer %s\n", tok)
	case "env":
		_, err = fmt.Fprintf(w, "export FOURINSIGHT_ACCESS_TOKEN=%s\n", shellQuote(tok))
	case "dotenv":
		_, err = fmt.Fprintf(w, "FOURINSIGHT_ACCESS_TOKEN=%s\n", tok)
	case "json":
		v := map[string]any{
			"access_token": tok,
			"token_type":   first(e.TokenType, "Bearer"),
			"session":      key,
			"scope":        strings.Join(e.Scope, " "),
		}
		if !e.ExpiresAt.IsZero() {
			v["expires_at"] = e.ExpiresAt.UTC().Format(time.RFC3339)
			v["expires_in"] = int64(time.Until(e.ExpiresAt).Seconds())
		}
		err = writeJSON(w, v)
	case "exec-credential":
		status := map[string]any{"token": tok}
		if !e.ExpiresAt.IsZero() {
			status["expirationTimestamp"] = e.ExpiresAt.UTC().Format(time.RFC3339)
		}
		err = writeJSON(w, map[string]any{"kind": "ExecCredential", "apiVersion": o.execAPIVersion, "spec": map[string]any{}, "status": status})
	default:
		err = fmt.Errorf("%w: unknown output %q", errUsage, o.format)
	}
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// shellQuote quotes s for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
