package safefile

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Replace leaves the new content, mode 0600, and no temporary file; a
// failure (the directory is gone) leaves nothing behind either.
func TestReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	os.WriteFile(path, []byte("old"), 0o644)
	if err := Replace(path, []byte("new"), true); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	info, _ := os.Stat(path)
	if string(data) != "new" || (runtime.GOOS != "windows" && info.Mode().Perm() != 0o600) {
		t.Fatalf("content %q, mode %v; want new, 0600", data, info.Mode().Perm())
	}
	if names, _ := filepath.Glob(filepath.Join(dir, TempPrefix(path)+"*")); len(names) != 0 {
		t.Fatalf("temporary files left: %v", names)
	}
	if err := Replace(filepath.Join(dir, "gone", "x"), []byte("y"), false); err == nil {
		t.Fatal("writing into a missing directory did not fail")
	}
}
