//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package detach

// openDescriptors lists the descriptors to look at: every number up to a
// bound (checking one that is not open costs one failing call).
func openDescriptors() []int { return candidates() }

// markAllCloseOnExec: not here; each descriptor is marked instead.
func markAllCloseOnExec() bool { return false }
