//go:build !unix

package nodump

// Protect does nothing here: Windows writes no core files by default.
func Protect() {}
