package proxy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// peerCheckSupported: this system can tell who owns a connecting socket.
const peerCheckSupported = true

// peerUID finds the uid that owns the client end of conn, from the kernel's
// socket tables: the client's socket is the established row whose local
// address is conn's remote address and whose remote address is conn's
// local address.
func peerUID(conn net.Conn) (int, error) {
	local, err1 := netip.ParseAddrPort(conn.LocalAddr().String())
	remote, err2 := netip.ParseAddrPort(conn.RemoteAddr().String())
	if err1 != nil || err2 != nil {
		return -1, fmt.Errorf("not a TCP connection: %s", conn.RemoteAddr())
	}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if table == "/proc/net/tcp" && !(local.Addr().Unmap().Is4() && remote.Addr().Unmap().Is4()) {
			continue
		}
		uid, err := findUID(table, procAddr(remote, table), procAddr(local, table))
		if err == nil {
			return uid, nil
		}
		if !errors.Is(err, errNoRow) {
			return -1, err
		}
	}
	return -1, fmt.Errorf("no socket of %s in /proc/net/tcp{,6}", conn.RemoteAddr())
}

var errNoRow = errors.New("no such socket")

// findUID scans a socket table for an established row local → remote.
func findUID(table, local, remote string) (int, error) {
	f, err := os.Open(table)
	if err != nil {
		return -1, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid …
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || fields[1] != local || fields[2] != remote || fields[3] != "01" {
			continue
		}
		return strconv.Atoi(fields[7])
	}
	if err := sc.Err(); err != nil {
		return -1, err
	}
	return -1, errNoRow
}

// procAddr writes an address as the kernel prints it in table: each 32-bit
// word of the address as a native-endian hex number, then the port.
func procAddr(ap netip.AddrPort, table string) string {
	var b []byte
	addr := ap.Addr()
	if strings.HasSuffix(table, "6") {
		a16 := addr.As16()
		b = a16[:]
	} else {
		a4 := addr.Unmap().As4()
		b = a4[:]
	}
	var s strings.Builder
	for i := 0; i < len(b); i += 4 {
		fmt.Fprintf(&s, "%08X", binary.NativeEndian.Uint32(b[i:i+4]))
	}
	fmt.Fprintf(&s, ":%04X", ap.Port())
	return s.String()
}
