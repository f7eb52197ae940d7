package sibling

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFind(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "some-tool")
	os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755)

	t.Setenv("SOME_TOOL", prog)
	if p, _, ok := Find("some-tool", "SOME_TOOL"); !ok || p != prog {
		t.Fatalf("named by the variable: %q, %v", p, ok)
	}
	t.Setenv("SOME_TOOL", "")
	t.Setenv("PATH", dir)
	if p, _, ok := Find("some-tool", "SOME_TOOL"); !ok || p != prog {
		t.Fatalf("on PATH: %q, %v", p, ok)
	}
	t.Setenv("PATH", t.TempDir())
	p, beside, ok := Find("some-tool", "SOME_TOOL")
	if ok || p != "" {
		t.Fatalf("nowhere: found %q", p)
	}
	self, _ := os.Executable()
	if beside != filepath.Join(filepath.Dir(self), "some-tool") {
		t.Fatalf("beside = %q, want the place beside this executable", beside)
	}
}
