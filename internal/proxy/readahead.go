package proxy

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
)

// Relaying a large body from an https API: crypto/tls reads about one TLS
// record (at most 16 KiB) per system call and returns one record per Read,
// so a plain copy loop reads and writes 16 KiB at a time: two system calls
// and a wake-up of the client per record. The proxy does better in two
// steps. Its connections to the API read ahead (ReadAhead): one system call
// fetches whatever the socket holds, up to 256 KiB, and TLS takes its
// records from there. And a response body read over such a connection
// (coalesce) goes on reading records into the copy buffer while the
// connection already holds a whole record, so the reverse proxy writes
// them to the client in one go. It never waits for more data than has
// arrived: when the connection holds less than a record, the next read
// might wait for the API, so what has been read goes to the client first —
// a body that trickles reaches the client as promptly as it comes.

const (
	readAheadSkip = 64 << 10          // reads this large go straight to the socket
	maxTLSRecord  = 5 + 16<<10 + 2048 // header, payload, the most TLS 1.2 adds
	minCoalescing = 16 << 10          // read on only into this much room or more
)

// ReadAhead wraps a Transport's DialContext (nil: a plain net.Dialer) so
// that its connections read ahead for small reads, such as those of
// crypto/tls; see coalesce. Reads of 64 KiB or more on an empty buffer go
// straight to the socket, so plain-http bodies (read through a Transport
// whose ReadBufferSize is 64 KiB or more) are not copied once more.
func ReadAhead(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &readAheadConn{Conn: c}, nil
	}
}

// readAheadConn reads ahead into a buffer borrowed from copyBuffers while
// it holds data, so that idle connections hold none. Like any net.Conn it
// serves one Read at a time; Close may come from another goroutine.
type readAheadConn struct {
	net.Conn
	buf  []byte
	r, w int
}

func (c *readAheadConn) Read(p []byte) (int, error) {
	if c.r == c.w {
		if len(p) >= readAheadSkip || len(p) == 0 {
			return c.Conn.Read(p)
		}
		if c.buf == nil {
			c.buf = copyBuffers.Get()
		}
		n, err := c.Conn.Read(c.buf)
		if n == 0 {
			c.release()
			return 0, err
		}
		c.r, c.w = 0, n
	}
	n := copy(p, c.buf[c.r:c.w])
	c.r += n
	if c.r == c.w {
		c.release()
	}
	return n, nil
}

func (c *readAheadConn) release() {
	if c.buf != nil {
		copyBuffers.Put(c.buf)
		c.buf, c.r, c.w = nil, 0, 0
	}
}

// buffered is how many bytes have been read from the socket and not yet
// taken; only the goroutine that reads may ask.
func (c *readAheadConn) buffered() int { return c.w - c.r }

// usedConn is the connection a request went out on, as httptrace tells.
type usedConn struct {
	mu   sync.Mutex
	conn net.Conn
}

// trace makes ctx record the connection into u.
func (u *usedConn) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			u.mu.Lock()
			u.conn = info.Conn
			u.mu.Unlock()
		},
	})
}

// coalesce makes resp's body read on while the connection holds a whole
// TLS record (see the comment at the top), if it is a read-ahead
// connection and the body is read from it directly (HTTP/1; an HTTP/2 body
// comes from a buffer that another goroutine fills, and a read returns all
// of it already). Not after 101 Switching Protocols: that body is the
// connection itself, which the reverse proxy needs to write to as well.
func (u *usedConn) coalesce(resp *http.Response) {
	if resp.ProtoMajor != 1 || resp.StatusCode < 200 || resp.Body == nil || resp.Body == http.NoBody {
		return
	}
	u.mu.Lock()
	conn := u.conn
	u.mu.Unlock()
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	if rc, ok := conn.(*readAheadConn); ok {
		resp.Body = &coalescing{ReadCloser: resp.Body, conn: rc}
	}
}

type coalescing struct {
	io.ReadCloser
	conn *readAheadConn
}

// Read reads once, then on while there is room and the connection holds a
// whole record, which the next read takes without waiting.
func (c *coalescing) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	for err == nil && len(p)-n >= minCoalescing && c.conn.buffered() >= maxTLSRecord {
		var m int
		m, err = c.ReadCloser.Read(p[n:])
		n += m
	}
	return n, err
}
