//go:build !linux

package proxy

import (
	"errors"
	"net"
)

// peerCheckSupported: only Linux tells here who owns a connecting socket;
// elsewhere the proxy relies on the loopback, Host and Origin checks.
const peerCheckSupported = false

func peerUID(net.Conn) (int, error) { return -1, errors.New("not supported") }
