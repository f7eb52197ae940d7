//go:build linux || darwin

package detach

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The helper process: a caller that starts a background program and exits
// at once, holding a pipe on fd 3 without close-on-exec, as a shell's 3>&1
// would leave it.
func TestMain(m *testing.M) {
	if pidfile := os.Getenv("DETACH_TEST_PIDFILE"); pidfile != "" {
		const script = `echo $$ > "$DETACH_TEST_PIDFILE.tmp"; mv "$DETACH_TEST_PIDFILE.tmp" "$DETACH_TEST_PIDFILE"; exec sleep 120`
		var err error
		if os.Getenv("DETACH_TEST_EXITING") != "" {
			err = StartBeforeExit("/bin/sh", nil, "-c", script)
		} else {
			_, err = Start("/bin/sh", nil, "-c", script)
		}
		if err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		// Start leaves the caller's own fd 3 as it was, for a program it
		// starts later.
		if flags, err := fcntl(3, syscall.F_GETFD, 0); os.Getenv("DETACH_TEST_EXITING") == "" && (err != nil || flags&syscall.FD_CLOEXEC != 0) {
			os.Stderr.WriteString("fd 3 was left close-on-exec")
			os.Exit(1)
		}
		os.Stdout.WriteString("served\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The caller's pipes close when the caller exits, while the background
// program still runs, in a process group of its own, with nothing of the
// caller's: started by Start, and by StartBeforeExit (the fast front's).
func TestStartHoldsNoneOfTheCallersDescriptors(t *testing.T) {
	for _, exiting := range []string{"", "1"} {
		t.Run("exiting="+exiting, func(t *testing.T) { testHoldsNone(t, exiting) })
	}
}

func testHoldsNone(t *testing.T, exiting string) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "DETACH_TEST_PIDFILE="+pidfile, "DETACH_TEST_EXITING="+exiting)
	cmd.ExtraFiles = []*os.File{w}
	out, err := cmd.Output() // returns when stdout and stderr close
	w.Close()
	if err != nil || string(out) != "served\n" {
		t.Fatalf("caller: %q, %v", out, err)
	}
	extra := make(chan error, 1)
	go func() { _, err := r.Read(make([]byte, 1)); extra <- err }()

	var pid int
	for deadline := time.Now().Add(30 * time.Second); pid == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the background program never started")
		}
		if data, err := os.ReadFile(pidfile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		}
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the background program is gone already (%v): the test proves nothing", err)
	}
	select {
	case err := <-extra:
		if err == nil {
			t.Fatal("read something from the caller's fd 3")
		}
	case <-time.After(10 * time.Second): // it sleeps for 120
		t.Fatal("the background program holds the caller's fd 3")
	}
	if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid {
		t.Fatalf("process group of the background program = %d (%v), want its own (%d)", pgid, err, pid)
	}
	// Background work: niceness 10 above the caller's (this test's).
	mine, err1 := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	its, err2 := syscall.Getpriority(syscall.PRIO_PROCESS, pid)
	if runtime.GOOS == "linux" { // 20 - niceness
		mine, its = 20-mine, 20-its
	}
	if err1 != nil || err2 != nil || its-mine != min(10, 19-mine) {
		t.Errorf("niceness of the background program %d, of its caller %d (%v, %v): want 10 more", its, mine, err1, err2)
	}
	if runtime.GOOS == "linux" {
		fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range fds {
			target, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + fd.Name())
			if n, _ := strconv.Atoi(fd.Name()); n > 2 || target != os.DevNull {
				t.Errorf("the background program has fd %s -> %s", fd.Name(), target)
			}
		}
	}
}
