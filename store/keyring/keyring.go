// Package keyring keeps sessions in the OS keyring (Store), through the
// helper binary fourinsight-token-keyring, and defines the protocol the two
// speak (protocol.go). It stands apart from package store so that the
// programs that never use the keyring, the fast front above all, do not link
// its client; what both stores share (the entry, its codec, the locks, the
// marker that says a session lives in the keyring) stays in store.
package keyring

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/dbusaddr"
	"github.com/fourinsight-token/fourinsight-token/internal/kinderr"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"github.com/fourinsight-token/fourinsight-token/internal/sibling"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// Errors of the keyring store, told apart with errors.Is. A session kept in
// the file store instead is store.ErrOtherStore.
var (
	// ErrUnusable: the keyring cannot be used as configured: no helper, no
	// such backend here, a wrong password, an entry too large (exit 2).
	// Wrapped with %w, it reads "keyring: ...".
	ErrUnusable = errors.New("keyring")
	// ErrTimeout: the keyring did not answer in time (exit 5).
	ErrTimeout = errors.New("the keyring did not answer in time")
)

// HelperName is the keyring helper's command name.
const HelperName = "fourinsight-token-keyring"

// HelperEnv names the keyring helper explicitly (tests, packagers).
const HelperEnv = "FOURINSIGHT_KEYRING_HELPER"

// DefaultTimeout bounds every keyring call.
const DefaultTimeout = 5 * time.Second

// Store keeps entries in the OS keyring through the helper binary
// fourinsight-token-keyring. It does not link any keyring library itself:
// a process that never uses the keyring never dials D-Bus. Locks stay with
// the file store (lock files in Dir). Use it by pointer.
type Store struct {
	// Backend is a name from Backends; "" or "auto" chooses.
	Backend string
	// Dir is the cache directory: lock files, the markers that say a
	// session lives in the keyring, and the file backend's default home.
	Dir string
	// FileDir is where the encrypted-file backend keeps its items;
	// default Dir/keyring.
	FileDir string
	// Helper is the helper's path; default: $FOURINSIGHT_KEYRING_HELPER,
	// else beside this executable, else on PATH.
	Helper string
	// Timeout bounds each call, helper start-up included; default 5s.
	Timeout time.Duration
	// Password asks for the encrypted-file backend's password (twice when
	// confirm, for a new one). nil: never ask.
	Password func(prompt string, confirm bool) (string, error)
	// EnvPassword is the encrypted-file password the user set in
	// PasswordEnv, handed to the helper alone (it is no longer in this
	// process's environment, so that no other child inherits it).
	EnvPassword string
	// Logf receives debug lines; never secrets.
	Logf func(format string, args ...any)

	mu       sync.Mutex
	proc     *helperProc
	broken   error // sticky: after a timeout the helper is gone
	password string
	backend  string // as the helper resolved it
}

type helperProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan lineResult
	stderr *tailBuffer
}

type lineResult struct {
	line []byte
	err  error
}

func (k *Store) logf(format string, args ...any) {
	if k.Logf != nil {
		k.Logf(format, args...)
	}
}

func (k *Store) timeout() time.Duration {
	if k.Timeout > 0 {
		return k.Timeout
	}
	return DefaultTimeout
}

func (k *Store) fileDir() string {
	if k.FileDir != "" {
		return k.FileDir
	}
	return filepath.Join(k.Dir, "keyring")
}

// ring names the keyring in messages: "the secret-service keyring".
func (k *Store) ring() string {
	if k.backend != "" {
		return "the " + k.backend + " keyring"
	}
	if k.Backend == "" || k.Backend == "auto" {
		return "the keyring"
	}
	return "the " + k.Backend + " keyring"
}

// CheckBackend reports whether name can be given to --keyring-backend.
func CheckBackend(name string) error {
	if name == "" {
		return nil
	}
	for _, b := range Backends {
		if name == b {
			return nil
		}
	}
	return kinderr.New(ErrUnusable, "unknown keyring backend %q (use one of %s)", name, strings.Join(Backends, ", "))
}

// Load reads the session's entry from the keyring. A session that is not
// there but is in the file store (or was saved by another keyring backend)
// is ErrOtherStore, saying what to do, rather than a reason to sign in again.
func (k *Store) Load(key string) (*store.Entry, error) {
	if err := store.CheckKey(key); err != nil {
		return nil, err
	}
	resp, err := k.do(Request{Op: OpGet, Key: ItemName(key)})
	if errors.Is(err, store.ErrNotFound) {
		if err := k.elsewhere(key); err != nil {
			return nil, err
		}
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	e, err := store.Decode([]byte(resp.Data))
	if err != nil {
		return nil, fmt.Errorf("the keyring item %s: %w", ItemName(key), err)
	}
	return e, nil
}

// elsewhere explains a session missing from the keyring that is kept in the
// file store, or that another keyring backend holds.
func (k *Store) elsewhere(key string) error {
	files := store.File{Dir: k.Dir}
	if saved, ok, _ := files.InKeyring(key); ok && saved != "" && k.backend != "" && saved != k.backend {
		return kinderr.New(store.ErrOtherStore, "session %s was saved in the keyring's %s backend, but the keyring now uses %s; run with --keyring-backend %s (or FOURINSIGHT_KEYRING_BACKEND=%s), or forget it there with: fourinsight-token logout --store keyring --keyring-backend %s%s", store.SessionName(key), saved, k.backend, saved, saved, saved, store.SessionArgs(key))
	}
	path := files.Path(key)
	if info, err := os.Lstat(path); err == nil && info.Mode().IsRegular() {
		return kinderr.New(store.ErrOtherStore, "session %s is in the file store (%s), not in the keyring; use --store file, or move it to the keyring: fourinsight-token logout --store file%s, then fourinsight-token login --store keyring%s", store.SessionName(key), path, store.SessionArgs(key), store.SessionArgs(key))
	}
	return nil
}

// Save writes the session's entry to the keyring, then the marker that
// tells the file store the session lives in the keyring.
func (k *Store) Save(key string, e *store.Entry) error {
	if err := store.CheckKey(key); err != nil {
		return err
	}
	data, err := e.Encode()
	if err != nil {
		return err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return err
	}
	if _, err := k.do(Request{Op: OpSet, Key: ItemName(key), Data: compact.String()}); err != nil {
		return err
	}
	if err := (store.File{Dir: k.Dir}).MarkInKeyring(key, k.backend); err != nil {
		k.logf("keyring: could not write the marker of session %s: %v", store.SessionName(key), err)
	}
	return nil
}

// Delete forgets the session in the keyring; a missing item is no error.
func (k *Store) Delete(key string) error {
	if err := store.CheckKey(key); err != nil {
		return err
	}
	if _, err := k.do(Request{Op: OpDelete, Key: ItemName(key)}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := (store.File{Dir: k.Dir}).UnmarkInKeyring(key); err != nil {
		k.logf("keyring: could not remove the marker of session %s: %v", store.SessionName(key), err)
	}
	return nil
}

// Keys lists the sessions the keyring holds, the default session as "".
func (k *Store) Keys() ([]string, error) {
	resp, err := k.do(Request{Op: OpList})
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, name := range resp.Keys {
		if key, ok := SessionOfItem(name); ok {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// Probe starts the helper and reports the backend the settings resolve to.
func (k *Store) Probe() (string, error) {
	resp, err := k.do(Request{Op: OpProbe})
	if err != nil {
		return "", err
	}
	return resp.Backend, nil
}

// do makes one call, asking for the file backend's password once when the
// helper needs it, and turns failure codes into errors.
func (k *Store) do(req Request) (*Response, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	req.V = Protocol
	if req.Backend = k.Backend; req.Backend == "auto" {
		req.Backend = ""
	}
	req.FileDir = k.fileDir()
	asked := false
	for {
		req.Password = k.password
		resp, err := k.call(req)
		if err != nil {
			return nil, err
		}
		if resp.Backend != "" {
			k.backend = resp.Backend
		}
		if resp.OK {
			return resp, nil
		}
		if resp.Code == CodeNeedPassword && !asked && k.Password != nil {
			asked = true
			prompt := fmt.Sprintf("Password for the encrypted keyring file in %s", req.FileDir)
			if resp.NewFile {
				prompt = fmt.Sprintf("New password for the encrypted keyring file in %s", req.FileDir)
			}
			pw, err := k.Password(prompt, resp.NewFile)
			if err != nil {
				return nil, err
			}
			if pw == "" {
				return nil, kinderr.New(ErrUnusable, "no password was given for the encrypted keyring file")
			}
			k.password = pw
			continue
		}
		return nil, k.failure(req, resp)
	}
}

// failure turns a refusal into an error carrying the helper's one line.
func (k *Store) failure(req Request, resp *Response) error {
	msg := printable.Line(resp.Error)
	switch resp.Code {
	case CodeNotFound:
		return store.ErrNotFound
	case CodeNeedPassword:
		return kinderr.New(ErrUnusable, "the encrypted keyring file in %s needs its password: set FOURINSIGHT_KEYRING_PASSWORD, or run this in a terminal to be asked", req.FileDir)
	case CodeBadPassword, CodeTooLarge, CodeUnavailable, CodeBadRequest:
		return kinderr.New(ErrUnusable, "%s", msg)
	}
	return fmt.Errorf("%s failed: %s", k.ring(), msg)
}

// call sends one request and waits for its answer within the timeout,
// starting the helper if need be. A helper that does not answer in time is
// killed, and every later call fails at once.
func (k *Store) call(req Request) (*Response, error) {
	if k.broken != nil {
		return nil, k.broken
	}
	start := time.Now()
	timer := time.NewTimer(k.timeout())
	defer timer.Stop()
	if k.proc == nil {
		p, err := k.start()
		if err != nil {
			return nil, err
		}
		k.proc = p
	}
	line, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	line = append(line, '\n')
	// A helper stuck before reading stdin cannot block us: the pipe
	// buffer takes a request, and the write runs beside the timer.
	written := make(chan error, 1)
	go func(w io.Writer) { _, err := w.Write(line); written <- err }(k.proc.stdin)

	var res lineResult
	select {
	case res = <-k.proc.lines:
	case <-timer.C:
		k.kill()
		k.broken = kinderr.New(ErrTimeout, "%s did not answer within %s: a locked keyring waiting for an unlock prompt, or a D-Bus session that does not respond; unlock it, choose another with --keyring-backend, or raise FOURINSIGHT_KEYRING_TIMEOUT", k.ring(), k.timeout())
		return nil, k.broken
	}
	if res.err != nil {
		// The helper closed its stdout: it is exiting. Its last words on
		// stderr are complete only once it has been waited for.
		stderr := k.proc.stderr
		k.stop(time.Second)
		why := stderr.firstLine()
		if werr := <-written; werr != nil && why == "" {
			why = werr.Error()
		}
		if why == "" {
			why = "it exited without an answer"
		}
		k.broken = fmt.Errorf("the keyring helper %s failed: %s", HelperName, why)
		return nil, k.broken
	}
	var resp Response
	if err := json.Unmarshal(res.line, &resp); err != nil {
		k.kill()
		k.broken = kinderr.New(ErrUnusable, "the keyring helper answered something that is not its protocol; reinstall %s from the same release as fourinsight-token", HelperName)
		return nil, k.broken
	}
	k.logf("keyring: %s via %s: %s (%s)", strings.TrimSpace(req.Op+" "+req.Key), cmp.Or(resp.Backend, "?"), cmp.Or(resp.Code, "ok"), time.Since(start).Round(time.Millisecond))
	return &resp, nil
}

// start runs the helper with pipes on stdin and stdout.
func (k *Store) start() (*helperProc, error) {
	path, err := k.helperPath()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path)
	cmd.Env = helperEnv(os.Environ(), k.Backend)
	if k.EnvPassword != "" {
		cmd.Env = setEnv(cmd.Env, PasswordEnv, k.EnvPassword)
	}
	// A program the helper ran (pass runs gpg, which may start gpg-agent)
	// may hold its pipes open: do not wait for them once it has exited.
	cmd.WaitDelay = time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &helperProc{cmd: cmd, stdin: stdin, lines: make(chan lineResult, 1), stderr: &tailBuffer{max: 4096}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, kinderr.New(ErrUnusable, "cannot run the keyring helper %s: %v", path, err)
	}
	k.logf("keyring: started %s (pid %d)", path, cmd.Process.Pid)
	go func() {
		r := bufio.NewReaderSize(stdout, 64<<10)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				p.lines <- lineResult{err: err}
				close(p.lines)
				return
			}
			p.lines <- lineResult{line: line}
		}
	}()
	return p, nil
}

// kill ends the helper and reaps it.
func (k *Store) kill() { k.stop(0) }

// stop closes the helper's stdin, gives it grace to exit, kills it after
// that, and reaps it: after Wait, all it wrote to stderr is in the buffer.
func (k *Store) stop(grace time.Duration) {
	if k.proc == nil {
		return
	}
	k.proc.stdin.Close()
	done := make(chan struct{})
	go func(c *exec.Cmd) { c.Wait(); close(done) }(k.proc.cmd)
	if grace > 0 {
		select {
		case <-done:
		case <-time.After(grace):
		}
	}
	k.proc.cmd.Process.Kill()
	<-done
	k.proc = nil
}

// Close ends the helper: it exits when its stdin closes. A process that
// exits without Close ends it the same way, as its pipes close.
func (k *Store) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stop(k.timeout())
	return nil
}

// helperPath finds the helper: named by $FOURINSIGHT_KEYRING_HELPER or
// Helper, else beside this executable (also beside the file a symlink to it
// names, as package managers link binaries), else on PATH.
func (k *Store) helperPath() (string, error) {
	if k.Helper != "" {
		return k.Helper, nil
	}
	p, beside, ok := sibling.Find(HelperName, HelperEnv)
	if ok {
		return p, nil
	}
	where := "on PATH"
	if beside != "" {
		where = "beside " + beside + " or on PATH"
	}
	return "", kinderr.New(ErrUnusable, "--store keyring needs the helper %s, which is not %s; install it with: go install github.com/fourinsight-token/fourinsight-token/cmd/%s@latest (or use --store file)", HelperName, where, HelperName)
}

// helperEnv is the helper's environment. For backends that need no D-Bus,
// on Linux, it gets an address that fails at once, so that the keyring
// library's init functions neither dial a bus nor hang on one. (Where no
// bus runs at all, the helper itself keeps the library from forking
// dbus-launch: internal/nobuslaunch.)
func helperEnv(env []string, backend string) []string {
	if runtime.GOOS != "linux" {
		return env
	}
	switch backend {
	case BackendFile, BackendPass, BackendKeyctl:
		return setEnv(env, "DBUS_SESSION_BUS_ADDRESS", dbusaddr.Disabled)
	}
	return env
}

func setEnv(env []string, key, val string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+val)
}

// tailBuffer keeps the first max bytes written to it (the helper's stderr,
// for a failure message).
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *tailBuffer) firstLine() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	line, _, _ := strings.Cut(strings.TrimSpace(string(b.buf)), "\n")
	if len(line) > 300 {
		line = line[:300] + "…"
	}
	return printable.Line(line)
}
