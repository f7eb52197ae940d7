//go:build !unix

package flows

import "os/exec"

// detachBrowser: Windows openers (rundll32) return at once; nothing to do.
func detachBrowser(*exec.Cmd) {}
