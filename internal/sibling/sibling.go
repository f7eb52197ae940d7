// Package sibling finds the programs installed beside this one
// (fourinsight-token-cli beside the front, fourinsight-token-keyring beside
// the full command line). It imports nothing heavy: the front uses it.
package sibling

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Find returns the program name: named by the environment variable env (when
// set), else beside this executable (also beside the file a symbolic link to
// it names, as package managers link binaries), else on PATH. On failure it
// returns the first place it looked beside this executable ("" if none), for
// the message that says where to install it.
func Find(name, env string) (path, besideHere string, ok bool) {
	if p := os.Getenv(env); env != "" && p != "" {
		return p, "", true
	}
	file := name
	if runtime.GOOS == "windows" {
		file += ".exe"
	}
	var beside []string
	if exe, err := os.Executable(); err == nil {
		beside = append(beside, filepath.Join(filepath.Dir(exe), file))
		if real, err := filepath.EvalSymlinks(exe); err == nil && real != exe {
			beside = append(beside, filepath.Join(filepath.Dir(real), file))
		}
	}
	for _, p := range beside {
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p, "", true
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, "", true
	}
	if len(beside) > 0 {
		besideHere = beside[0]
	}
	return "", besideHere, false
}
