package cliargs

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/kubeexec"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// Output renders a token in one of the -o formats.
type Output struct {
	format string
	// exec is what kubectl asked for in KUBERNETES_EXEC_INFO (-o exec-credential).
	exec kubeexec.Info
	// Interactive is false when the consumer said it cannot interact
	// (kubectl's spec.interactive: false).
	Interactive bool
}

// NewOutput prepares the -o format; "" is token. For exec-credential it
// reads what kubectl asks for from KUBERNETES_EXEC_INFO.
func NewOutput(format string) (Output, error) {
	o := Output{format: format, Interactive: true}
	if o.format == "" {
		o.format = "token"
	}
	if o.format == "exec-credential" {
		info, err := kubeexec.Parse(os.Getenv(kubeexec.EnvVar))
		if err != nil {
			return o, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		o.exec, o.Interactive = info, info.Interactive
	}
	return o, nil
}

// Write prints the entry's token in the format.
func (o Output) Write(w io.Writer, e *store.Entry, key string) error {
	tok := e.AccessToken
	var err error
	switch o.format {
	case "token":
		_, err = io.WriteString(w, tok+"\n")
	case "header":
		_, err = fmt.Fprintf(w, "Authorization: Bearer %s\n", tok)
	case "env":
		_, err = fmt.Fprintf(w, "export FOURINSIGHT_ACCESS_TOKEN=%s\n", ShellQuote(tok))
	case "dotenv":
		_, err = fmt.Fprintf(w, "FOURINSIGHT_ACCESS_TOKEN=%s\n", tok)
	case "json":
		v := map[string]any{
			"access_token": tok,
			"token_type":   cmp.Or(e.TokenType, "Bearer"),
			"session":      key,
			"scope":        strings.Join(e.Scope, " "),
		}
		if !e.ExpiresAt.IsZero() {
			v["expires_at"] = e.ExpiresAt.UTC().Format(time.RFC3339)
			v["expires_in"] = int64(time.Until(e.ExpiresAt).Seconds())
		}
		err = writeJSON(w, v)
	case "exec-credential":
		_, err = w.Write(kubeexec.NewCredential(o.exec, tok, e.ExpiresAt).Encode())
	default:
		err = fmt.Errorf("%w: unknown output %q", ErrUsage, o.format)
	}
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ShellQuote quotes s for POSIX shells.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
