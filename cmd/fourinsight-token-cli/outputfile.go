package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/internal/safefile"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// writeOutput prints the entry in the -o format on stdout, or with
// --output-file into that file.
func (a *app) writeOutput(out cliargs.Output, e *store.Entry, key string) error {
	if a.cli.OutputFile == "" {
		return out.Write(a.stdout, e, key)
	}
	var buf bytes.Buffer
	if err := out.Write(&buf, e, key); err != nil {
		return err
	}
	return writeFileAtomic(a.cli.OutputFile, buf.Bytes())
}

// checkOutputFile refuses --output-file where it cannot be honoured, before
// any work: on a command that prints no token, or on a path it would not
// write (checkOutputPath).
func (a *app) checkOutputFile(cmd string) error {
	if a.cli.OutputFile == "" {
		return nil
	}
	if cmd != "get" && cmd != "login" {
		return fmt.Errorf("%w: --output-file is for get and login, which print a token; %s prints none", errUsage, cmd)
	}
	return checkOutputPath(a.cli.OutputFile)
}

// checkOutputPath accepts a path that does not exist yet or is a regular
// file. A symbolic link is refused: replacing it would cut the link, and
// writing through it would write wherever it points — neither is what the
// user can see they asked for.
func checkOutputPath(path string) error {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%w: --output-file %s: %v", errUsage, path, err)
	case info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: --output-file %s is a symbolic link; name the file it points to instead", errUsage, path)
	case !info.Mode().IsRegular():
		return fmt.Errorf("%w: --output-file %s is not a regular file", errUsage, path)
	}
	return nil
}

// writeFileAtomic replaces path with data (safefile.Replace: mode 0600,
// fsync, rename): a reader (an IDE watching .env) sees the old content or the
// new one, never a truncated file; a failed call leaves the old one as it was.
func writeFileAtomic(path string, data []byte) error {
	if err := checkOutputPath(path); err != nil { // again: the sign-in may have taken minutes
		return err
	}
	err := safefile.Replace(path, data, true)
	if err != nil {
		return fmt.Errorf("cannot write --output-file %s: %w", path, err)
	}
	return nil
}
