package detach

// maxInherited bounds the descriptors looked at where the open ones cannot
// be listed.
const maxInherited = 1024

func candidates() []int {
	fds := make([]int, 0, maxInherited-3)
	for fd := 3; fd < maxInherited; fd++ {
		fds = append(fds, fd)
	}
	return fds
}
