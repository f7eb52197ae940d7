package e2e

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// testBrowser builds internal/testbrowser once, beside the binary under test.
var testBrowser = sync.OnceValues(func() (string, error) {
	path := filepath.Join(filepath.Dir(binary), "testbrowser")
	build := exec.Command("go", "build", "-o", path, "../internal/testbrowser")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", &buildError{err, out}
	}
	return path, nil
})

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// Browser is the stand-in browser of one user: its launches are logged to
// a file the test reads.
type Browser struct {
	t   testing.TB
	u   *User
	Log string
}

// UseBrowser sets $BROWSER to the test browser in the given mode (login,
// abandon, tamper, deny, open; see internal/testbrowser).
func (u *User) UseBrowser(mode string) *Browser {
	u.t.Helper()
	path, err := testBrowser()
	if err != nil {
		u.t.Fatalf("building the test browser: %v", err)
	}
	b := &Browser{t: u.t, u: u, Log: filepath.Join(u.Home, "browser.log")}
	u.Setenv("BROWSER="+path, "TESTBROWSER_LOG="+b.Log, "TESTBROWSER_MODE="+mode)
	u.t.Cleanup(func() { b.Lines() }) // records the codes it saw as secrets
	return b
}

// Mode changes what the browser does at its next launches.
func (b *Browser) Mode(mode string) { b.u.Setenv("TESTBROWSER_MODE=" + mode) }

// Lines are the log lines so far; codes in them are recorded as secrets.
func (b *Browser) Lines() []string {
	data, err := os.ReadFile(b.Log)
	if err != nil && !os.IsNotExist(err) {
		b.t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(data) == 0 {
		lines = nil
	}
	for _, l := range lines {
		if code, ok := strings.CutPrefix(l, "code="); ok {
			secrets.Secret(code)
		}
	}
	return lines
}

// Launches counts how often the browser was started.
func (b *Browser) Launches() int {
	n := 0
	for _, l := range b.settled() {
		if strings.HasPrefix(l, "launch ") {
			n++
		}
	}
	return n
}

// settled is the log once every launch of the browser has ended ("done" or
// "error=..."). The CLI may exit as soon as its listener has the redirect,
// while the browser is still reading the page it answered with: reading the
// log at once would miss the line that says what the browser saw.
func (b *Browser) settled() []string {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		lines := b.Lines()
		launched, ended := 0, 0
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "launch "):
				launched++
			case l == "done", strings.HasPrefix(l, "error="):
				ended++
			}
		}
		if ended >= launched {
			return lines
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the test browser did not finish within 15s: %q", lines)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Value is the last "key=..." the browser logged, without the key.
func (b *Browser) Value(key string) string {
	v := ""
	for _, l := range b.settled() {
		if rest, ok := strings.CutPrefix(l, key+"="); ok {
			v = rest
		}
	}
	return v
}

// NativeClient points the user at the provider's public PKCE client.
func (u *User) NativeClient(p *testop.Provider) {
	u.Setenv("FOURINSIGHT_ISSUER="+p.Issuer(), "FOURINSIGHT_CLIENT_ID="+testop.NativeClientID)
}

// Watched is a started run whose stderr the test reads while it runs.
type Watched struct {
	u   *User
	Cmd *exec.Cmd
	w   *stderrWatch
}

// StartWatched starts a run (stdin, if not nil, is wired before the start).
func (u *User) StartWatched(prepare func(*exec.Cmd), args ...string) *Watched {
	u.t.Helper()
	cmd := u.Command(args...)
	if prepare != nil {
		prepare(cmd)
	}
	buf := cmd.Stderr.(*bytes.Buffer)
	w := &stderrWatch{buf: buf, changed: make(chan struct{}, 1)}
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		u.t.Fatal(err)
	}
	// The copying goroutine writes through w into buf; Finish reads buf.
	cmd.Stderr = buf
	return &Watched{u: u, Cmd: cmd, w: w}
}

// WaitFor waits until stderr matches re and returns the submatches.
func (r *Watched) WaitFor(re *regexp.Regexp, timeout time.Duration) []string {
	r.u.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.w.mu.Lock()
		m := re.FindStringSubmatch(r.w.buf.String())
		text := r.w.buf.String()
		r.w.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-r.w.changed:
		case <-deadline.C:
			r.Cmd.Process.Kill()
			r.u.Finish(r.Cmd)
			r.u.t.Fatalf("stderr never matched %s within %s:\n%s", re, timeout, text)
		}
	}
}

// Finish waits for the run to end.
func (r *Watched) Finish() Result {
	r.u.t.Helper()
	return r.u.Finish(r.Cmd)
}

type stderrWatch struct {
	mu      sync.Mutex
	buf     *bytes.Buffer
	changed chan struct{}
}

func (w *stderrWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	n, err := w.buf.Write(p)
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
	return n, err
}

// authorizeURLPattern finds the sign-in address the browser flow prints.
var authorizeURLPattern = regexp.MustCompile(`(?m)^\s+(http://127\.0\.0\.1:\d+/authorize\?\S+)$`)

// httpGet requests u as a browser on this machine would and returns the status.
func httpGet(u string) (int, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
