package testtool

import (
	"fmt"
	"os"
	"testing"
)

// self is a program that is surely installed: this test.
func self(t *testing.T) string {
	path, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// ended records how a test was ended, without ending this one.
type ended struct {
	testing.TB
	fatal, skip string
}

func (e *ended) Helper()                        {}
func (e *ended) Fatalf(format string, a ...any) { e.fatal = fmt.Sprintf(format, a...) }
func (e *ended) Skipf(format string, a ...any)  { e.skip = fmt.Sprintf(format, a...) }

// A missing program fails the test in CI and skips it elsewhere; one that is
// installed does neither.
func TestNeed(t *testing.T) {
	tests := []struct {
		ci, program string
		fails       bool
		skips       bool
	}{
		{ci: "true", program: "no-such-program-fourinsight", fails: true},
		{ci: "1", program: "no-such-program-fourinsight", fails: true},
		{ci: "TRUE", program: "no-such-program-fourinsight", fails: true},
		{ci: "", program: "no-such-program-fourinsight", skips: true},
		{ci: "false", program: "no-such-program-fourinsight", skips: true},
		{ci: "true", program: self(t)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("CI=%s %s", tt.ci, tt.program), func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			e := &ended{TB: t}
			path := Need(e, tt.program)
			if got := e.fatal != ""; got != tt.fails {
				t.Errorf("failed = %v (%q), want %v", got, e.fatal, tt.fails)
			}
			if got := e.skip != ""; got != tt.skips {
				t.Errorf("skipped = %v (%q), want %v", got, e.skip, tt.skips)
			}
			if !tt.fails && !tt.skips && path == "" {
				t.Error("no path for an installed program")
			}
		})
	}
}
