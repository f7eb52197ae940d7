// Package safefile opens and reads the files the tool is given (config,
// client secret, CA roots) or keeps (cache entries, markers, locks) so that
// no file can hang it or exhaust its memory: the open never blocks (a FIFO
// nobody writes to, a device), only the kinds of file the caller accepts are
// read, and reads stop at a size cap. It is linked by the fast front, so it
// does no work at init.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Errors a caller tells apart with errors.Is; the error's text names the path.
var (
	// ErrSymlink: the path is a symbolic link and the caller follows none.
	ErrSymlink = errors.New("is a symbolic link")
	// ErrNotRegular: a directory, device, socket, or a pipe where only a
	// regular file will do.
	ErrNotRegular = errors.New("is not a regular file")
	// ErrTooLarge: more than the caller's cap.
	ErrTooLarge = errors.New("is too large")
)

// Options say which files a caller accepts.
type Options struct {
	// Max is the most bytes Read returns; more is ErrTooLarge.
	Max int64
	// Pipe accepts a FIFO or pipe as well as a regular file, for files a
	// person hands over: --client-secret-file <(pass show svc). A pipe whose
	// writer delivers is read to its end; one without a writer reads as empty.
	Pipe bool
	// NoFollow refuses a symbolic link as the last element of the path, for
	// files kept in the cache directory.
	NoFollow bool
}

// Open opens path for reading without blocking and without becoming our
// controlling terminal, and returns it with its information when it is a
// kind of file o accepts.
func Open(path string, o Options) (*os.File, fs.FileInfo, error) {
	f, err := open(path, o)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err == nil {
		err = checkKind(path, info, o.Pipe)
	}
	if err == nil && info.Mode()&fs.ModeNamedPipe != 0 {
		err = waitForWriter(f)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// Read opens path as Open does and reads it whole, at most o.Max bytes.
func Read(path string, o Options) ([]byte, error) {
	f, _, err := Open(path, o)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := ReadAll(f, o.Max)
	if err != nil {
		return nil, fmt.Errorf("%s %w", path, err)
	}
	return data, nil
}

// ReadAll reads r to its end, failing with ErrTooLarge after max bytes
// rather than returning a cut-off part (a secret or certificate cut short
// would fail later, and more confusingly).
func ReadAll(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &refusal{"holds more than " + size(max), ErrTooLarge}
	}
	return data, nil
}

// checkKind refuses what is neither a regular file nor, when pipe, a pipe.
func checkKind(path string, info fs.FileInfo, pipe bool) error {
	mode := info.Mode()
	if mode.IsRegular() || pipe && mode&fs.ModeNamedPipe != 0 {
		return nil
	}
	want := "a regular file"
	if pipe {
		want = "a regular file or a pipe"
	}
	return &refusal{fmt.Sprintf("%s is %s, not %s", path, kind(mode), want), ErrNotRegular}
}

func kind(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	case mode&fs.ModeNamedPipe != 0:
		return "a pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// refusal is an error with its own text that errors.Is matches to one of
// the package's errors.
type refusal struct {
	msg string
	err error
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.err }

func symlink(path string) error { return &refusal{path + " is a symbolic link", ErrSymlink} }

// Check applies o's rules to path without opening it: Lstat (Stat when
// following links), then the same refusals as Open. Where opening could
// create the file (a lock file), this says what is wrong before anything
// is created through a link.
func Check(path string, o Options) error {
	stat := os.Stat
	if o.NoFollow {
		stat = os.Lstat
	}
	info, err := stat(path)
	if err != nil {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return symlink(path)
	}
	return checkKind(path, info, o.Pipe)
}
