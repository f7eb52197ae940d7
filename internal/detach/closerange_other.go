//go:build unix && (!linux || mips || mipsle || mips64 || mips64le)

package detach

func closeRangeCloexec() bool { return false }
