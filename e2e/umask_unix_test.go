//go:build unix

package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testtool"
)

// Under Debian's user-private-group umask 002 the Python client leaves
// ~/.fourinsight/api 0775 and its token files 0664, owned by the user's own
// group. A real user (made with useradd -U for the test) runs
// fourinsight-token on such a cache: served, tightened, one notice each.
// The same files in a group with other members are refused with the chmod.
func TestUmask002CacheOfARealUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to add a user")
	}
	testtool.Need(t, "useradd")
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := "fit" + hex.EncodeToString(suffix)
	home, err := os.MkdirTemp("", "fit-home-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	os.Chmod(home, 0o755)
	if out, err := exec.Command("useradd", "-U", "-M", "-d", home, "-s", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Skipf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("userdel", name).Run()
		exec.Command("groupdel", name).Run() // if userdel kept it
	})
	acct, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(acct.Uid)
	gid, _ := strconv.Atoi(acct.Gid)
	if grp, err := user.LookupGroupId(acct.Gid); err != nil || grp.Name != name {
		t.Skipf("useradd -U made no private group (%v)", err)
	}

	// The binaries, where the new user can run them.
	bin := filepath.Join(home, "bin")
	os.Mkdir(bin, 0o755)
	for _, b := range []string{"fourinsight-token", "fourinsight-token-cli"} {
		copyFile(t, filepath.Join(filepath.Dir(binary), b), filepath.Join(bin, b))
	}

	cache := filepath.Join(home, ".fourinsight", "api")
	entry := `{"access_token": "umask-test-access-token", "token_type": "Bearer", "expires_at": ` +
		strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) + `, "token_url": "https://x.b2clogin.com/t"}`
	secrets.Secret("umask-test-access-token")
	python := func(group int) { // as os.makedirs and open(path, "w") under umask 002
		os.RemoveAll(filepath.Join(home, ".fourinsight"))
		os.MkdirAll(cache, 0o775)
		os.WriteFile(filepath.Join(cache, "token"), []byte(entry), 0o664)
		for _, p := range []string{filepath.Join(home, ".fourinsight"), cache, filepath.Join(cache, "token")} {
			if err := os.Chown(p, uid, group); err != nil {
				t.Fatal(err)
			}
		}
		os.Chmod(cache, 0o775)
		os.Chmod(filepath.Join(cache, "token"), 0o664)
	}
	run := func() Result {
		cmd := exec.Command(filepath.Join(bin, "fourinsight-token"))
		cmd.Dir = home
		cmd.Env = []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "PATH=/usr/bin:/bin"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.Code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		secrets.stderr(t.Name(), r.Stderr)
		return r
	}

	python(gid) // the user's private group
	r := run()
	if tok := mustOK(t, r); tok != "umask-test-access-token" {
		t.Fatalf("printed %q", tok)
	}
	if n := strings.Count(r.Stderr, "writable by your own group"); n != 2 {
		t.Errorf("want one notice for the directory and one for the file, got:\n%s", r.Stderr)
	}
	for p, want := range map[string]os.FileMode{cache: 0o700, filepath.Join(cache, "token"): 0o600} {
		if info, _ := os.Stat(p); info.Mode().Perm() != want {
			t.Errorf("%s is %04o, want %04o", p, info.Mode().Perm(), want)
		}
	}
	if r := run(); r.Stderr != "" {
		t.Errorf("a second run still noticed:\n%s", r.Stderr)
	}

	python(0) // a group with another member (root's primary group)
	r = run()
	if r.Code != 2 || !strings.Contains(problem(t, r), "run: chmod 0700 "+cache) {
		t.Fatalf("a cache writable by a shared group: exit %d: %s", r.Code, r.Stderr)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
