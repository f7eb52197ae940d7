// Command fourinsight-token-keyring keeps fourinsight-token's entries in the
// OS keyring (github.com/99designs/keyring). fourinsight-token runs it only
// for --store keyring, so that no other use of fourinsight-token pays for
// what linking a keyring library costs (it dials D-Bus while the program
// starts); see docs/keyring.md.
//
// It reads one JSON request per line on stdin and writes one JSON answer per
// line on stdout (keyring.Request, keyring.Response of package store/keyring)
// until stdin ends. Secrets travel only on these pipes; stderr never carries
// one.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	_ "github.com/fourinsight-token/fourinsight-token/internal/nobuslaunch" // before 99designs/keyring's init: see there
	"github.com/fourinsight-token/fourinsight-token/internal/nodump"
	"github.com/fourinsight-token/fourinsight-token/store/keyring"
)

// Set by the release build, as for fourinsight-token.
var (
	version = "dev"
	commit  = "none"
)

// maxLine bounds one request: an entry is at most a few KiB.
const maxLine = 4 << 20

func main() {
	nodump.Protect() // it holds tokens and the keyring password
	if len(os.Args) > 1 {
		os.Exit(command(os.Args[1:], os.Stdout, os.Stderr))
	}
	if err := serve(os.Stdin, os.Stdout, newServer()); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", keyring.HelperName, err)
		os.Exit(1)
	}
}

// command answers the few things a person may ask the helper directly.
func command(args []string, stdout, stderr io.Writer) int {
	switch args[0] {
	case "version", "--version":
		fmt.Fprintf(stdout, "%s %s (commit %s, %s, %s/%s, protocol %d)\n", keyring.HelperName, version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH, keyring.Protocol)
		return 0
	case "backends":
		s := newServer()
		auto, err := s.auto()
		fmt.Fprintf(stdout, "available: %s\n", strings.Join(available(), " "))
		if err != nil {
			fmt.Fprintf(stdout, "automatic choice: none (%v)\n", err)
		} else {
			fmt.Fprintf(stdout, "automatic choice: %s\n", auto)
		}
		return 0
	}
	fmt.Fprintf(stderr, "%s is run by fourinsight-token --store keyring; it speaks JSON lines on stdin and stdout.\nusage: %s [version | backends]\n", keyring.HelperName, keyring.HelperName)
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		return 0
	}
	return 2
}

// serve answers requests until in ends.
func serve(in io.Reader, out io.Writer, s *server) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	w := bufio.NewWriter(out)
	for sc.Scan() {
		var req keyring.Request
		var resp keyring.Response
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			resp = refuse(keyring.CodeBadRequest, "the request is not JSON")
		} else {
			resp = s.handle(req)
		}
		line, err := json.Marshal(resp)
		if err != nil {
			return err
		}
		w.Write(line)
		w.WriteByte('\n')
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading requests: %w", err)
	}
	return nil
}

func refuse(code, format string, args ...any) keyring.Response {
	return keyring.Response{Code: code, Error: fmt.Sprintf(format, args...)}
}
