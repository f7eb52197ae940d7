package safefile

import (
	"os"
	"path/filepath"
	"runtime"
)

// TempPrefix starts the names of the temporary files that Replace makes for
// target: "." + its name + ".tmp-", then os.CreateTemp's digits. Named after
// the target, so that what an interrupted write left can be told apart.
func TempPrefix(target string) string { return "." + filepath.Base(target) + ".tmp-" }

// Replace replaces path with data: a temporary file (mode 0600) in the same
// directory, written, then renamed over path, so that readers see the old
// content or the new, never a torn or empty file, and a failure leaves the
// old content as it was. durable adds the fsyncs (file, then directory)
// that make the new content survive a crash.
func Replace(path string, data []byte, durable bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, TempPrefix(path)+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	_, err = tmp.Write(data)
	if err == nil && durable {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil && durable {
		syncDir(dir)
	}
	return err
}

// syncDir makes a rename durable where directories can be synced; failure
// only weakens durability.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
