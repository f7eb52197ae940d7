package proxy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startAPI runs the proxy, configured as the command configures it, in
// front of handler served over https or plain http. It returns the proxy's
// URL and the number of writes to the proxy's clients so far.
func startAPI(t *testing.T, useTLS bool, handler http.HandlerFunc) (string, *atomic.Int64) {
	t.Helper()
	var upstream *httptest.Server
	transport := &http.Transport{}
	if useTLS {
		upstream = httptest.NewTLSServer(handler)
		transport = upstream.Client().Transport.(*http.Transport).Clone()
	} else {
		upstream = httptest.NewServer(handler)
	}
	t.Cleanup(upstream.Close)
	transport.DisableCompression = true
	transport.ReadBufferSize, transport.WriteBufferSize = 64<<10, 64<<10
	transport.DialContext = ReadAhead(transport.DialContext)
	t.Cleanup(transport.CloseIdleConnections)
	p := &Proxy{Tokens: &fakeTokens{}, Transport: transport}
	p.Upstream, _ = url.Parse(upstream.URL + "/")
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingListener{Listener: ln}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Serve(ctx, counted) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return URL(ln), &counted.writes
}

// countingListener counts the writes to its connections.
type countingListener struct {
	net.Listener
	writes atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, writes: &l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func schemeName(useTLS bool) string {
	if useTLS {
		return "https"
	}
	return "http"
}

// Bodies and trailers pass through unchanged, whatever their length and
// however the API writes them.
func TestProxyRelaysBodiesUnchanged(t *testing.T) {
	data := make([]byte, 6<<20+12345)
	rand.NewChaCha8([32]byte{1}).Read(data)
	tests := []struct {
		name     string
		size     int
		length   bool // Content-Length, or chunked
		trailers bool
	}{
		{"small", 1000, true, false},
		{"just below the relay size", 64<<10 - 1, true, false},
		{"large with length", len(data), true, false},
		{"large chunked", len(data), false, false},
		{"chunked with trailers", 300 << 10, false, true},
	}
	for _, useTLS := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(schemeName(useTLS)+" "+tt.name, func(t *testing.T) {
				u, _ := startAPI(t, useTLS, func(w http.ResponseWriter, r *http.Request) {
					if tt.length {
						w.Header().Set("Content-Length", strconv.Itoa(tt.size))
					}
					if tt.trailers {
						w.Header().Set("Trailer", "X-Checksum")
					}
					w.Header().Set("X-Api", "yes")
					w.WriteHeader(http.StatusAccepted)
					rest := data[:tt.size]
					for i := 1; len(rest) > 0; i++ { // uneven pieces
						n := min(len(rest), i*7919%(200<<10)+1)
						w.Write(rest[:n])
						rest = rest[n:]
					}
					if tt.trailers {
						w.Header().Set("X-Checksum", "abc")
					}
				})
				resp, err := http.Get(u + "blob")
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || !bytes.Equal(got, data[:tt.size]) {
					t.Fatalf("read %d of %d bytes (%v), equal: %v", len(got), tt.size, err, bytes.Equal(got, data[:tt.size]))
				}
				if resp.StatusCode != http.StatusAccepted || resp.Header.Get("X-Api") != "yes" {
					t.Errorf("status %d, X-Api %q", resp.StatusCode, resp.Header.Get("X-Api"))
				}
				if tt.length && resp.ContentLength != int64(tt.size) {
					t.Errorf("Content-Length %d, want %d", resp.ContentLength, tt.size)
				}
				if tt.trailers && resp.Trailer.Get("X-Checksum") != "abc" {
					t.Errorf("trailer %q, want abc", resp.Trailer.Get("X-Checksum"))
				}
			})
		}
	}
}

// Over TLS a large body reaches the client in large writes, not one per
// TLS record (16 KiB). The client reads slowly, so that the API is always
// ahead: then every write could be large.
func TestProxyWritesLargePiecesFromTLS(t *testing.T) {
	const size = 8 << 20
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	u, writes := startAPI(t, true, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		for range size / len(chunk) {
			w.Write(chunk)
		}
	})
	resp, err := http.Get(u + "blob")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	before := writes.Load()
	buf := make([]byte, 64<<10)
	total := 0
	for {
		n, err := io.ReadFull(resp.Body, buf)
		total += n
		if err != nil {
			break
		}
		time.Sleep(200 * time.Microsecond)
	}
	if total != size {
		t.Fatalf("read %d bytes of %d", total, size)
	}
	// One record per write would be about 16 KiB; coalesced writes average
	// far more, less under load (the API then fills the socket more slowly).
	if n := writes.Load() - before; n > size/(24<<10) {
		t.Fatalf("%d writes to the client for %d MiB, %d KiB each: TLS records were not coalesced", n, size>>20, size/int(n)>>10)
	}
}

// A body that trickles reaches the client byte by byte as it comes: the
// API sends the next byte only once the client has the previous one, so a
// byte held back by the proxy would stop the test.
func TestProxyStreamsTricklingBody(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		for _, contentType := range []string{"application/json", "text/event-stream"} {
			t.Run(schemeName(useTLS)+" "+contentType, func(t *testing.T) {
				got := make(chan struct{})
				u, _ := startAPI(t, useTLS, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", contentType)
					w.WriteHeader(200)
					w.(http.Flusher).Flush()
					for i := range 5 {
						time.Sleep(100 * time.Millisecond)
						fmt.Fprint(w, i)
						w.(http.Flusher).Flush()
						select {
						case <-got:
						case <-time.After(10 * time.Second):
							return
						case <-r.Context().Done():
							return
						}
					}
				})
				resp, err := http.Get(u + "stream")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				for i := range 5 {
					b := make([]byte, 1)
					start := time.Now()
					if _, err := io.ReadFull(resp.Body, b); err != nil {
						t.Fatalf("byte %d: %v", i, err)
					}
					if b[0] != byte('0'+i) {
						t.Fatalf("byte %d is %q", i, b)
					}
					if d := time.Since(start); d > 5*time.Second {
						t.Fatalf("byte %d took %s", i, d)
					}
					got <- struct{}{}
				}
			})
		}
	}
}

// A body the API cuts off reaches the client cut off too, never as a
// complete answer.
func TestProxyAbortsBodyCutOffByTheAPI(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(schemeName(useTLS), func(t *testing.T) {
			u, _ := startAPI(t, useTLS, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(4<<20))
				w.Write(bytes.Repeat([]byte("x"), 1<<20))
				w.(http.Flusher).Flush()
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
			})
			resp, err := http.Get(u + "cut")
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil {
				t.Fatalf("the client read %d bytes and a clean end", n)
			}
		})
	}
}

// When the client goes away mid-body, the proxy stops reading from the API
// and closes that request.
func TestProxyStopsWhenTheClientLeaves(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(schemeName(useTLS), func(t *testing.T) {
			stopped := make(chan struct{})
			u, _ := startAPI(t, useTLS, func(w http.ResponseWriter, r *http.Request) {
				defer close(stopped)
				chunk := bytes.Repeat([]byte("x"), 64<<10)
				for { // an endless stream
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			})
			resp, err := http.Get(u + "endless")
			if err != nil {
				t.Fatal(err)
			}
			io.CopyN(io.Discard, resp.Body, 4<<20)
			resp.Body.Close()
			select {
			case <-stopped:
			case <-time.After(10 * time.Second):
				t.Fatal("the API is still sending 10s after the client left")
			}
		})
	}
}

// fakeSocket has data ready, then blocks until closed: a read that would
// wait for the API.
type fakeSocket struct {
	net.Conn
	mu     sync.Mutex
	ready  []byte
	reads  []int // the size of every Read
	closed chan struct{}
}

func (s *fakeSocket) Read(p []byte) (int, error) {
	s.mu.Lock()
	s.reads = append(s.reads, len(p))
	if len(s.ready) > 0 {
		n := copy(p, s.ready)
		s.ready = s.ready[n:]
		s.mu.Unlock()
		return n, nil
	}
	s.mu.Unlock()
	<-s.closed
	return 0, net.ErrClosed
}

func (s *fakeSocket) Close() error { close(s.closed); return nil }

func (s *fakeSocket) readSizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.reads...)
}

func newFakeSocket(ready int) *fakeSocket {
	return &fakeSocket{ready: bytes.Repeat([]byte("r"), ready), closed: make(chan struct{})}
}

func TestReadAheadConn(t *testing.T) {
	t.Run("large reads go straight to the socket", func(t *testing.T) {
		s := newFakeSocket(1 << 20)
		c := &readAheadConn{Conn: s}
		p := make([]byte, 256<<10)
		if n, err := c.Read(p); n != len(p) || err != nil {
			t.Fatalf("Read = %d, %v", n, err)
		}
		if reads := s.readSizes(); len(reads) != 1 || reads[0] != len(p) || c.buf != nil {
			t.Fatalf("socket reads %v, buffer held: %v", reads, c.buf != nil)
		}
	})
	t.Run("small reads share one socket read", func(t *testing.T) {
		s := newFakeSocket(100 << 10)
		c := &readAheadConn{Conn: s}
		p := make([]byte, 17<<10)
		total := 0
		for total < 100<<10 {
			n, err := c.Read(p)
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
		if reads := s.readSizes(); len(reads) != 1 {
			t.Fatalf("%d socket reads for %d small reads: %v", len(reads), (100<<10)/len(p)+1, reads)
		}
		if c.buf != nil || c.buffered() != 0 {
			t.Fatal("a drained connection still holds its buffer")
		}
	})
}

// recordReader reads like crypto/tls: at most one 16 KiB record per Read.
type recordReader struct{ r io.Reader }

func (rr recordReader) Read(p []byte) (int, error) {
	return rr.r.Read(p[:min(len(p), 16<<10)])
}

func (rr recordReader) Close() error { return nil }

func TestCoalescingNeverWaitsWithDataInHand(t *testing.T) {
	const ready = 200<<10 + 5000
	s := newFakeSocket(ready)
	defer s.Close()
	conn := &readAheadConn{Conn: s}
	body := &coalescing{ReadCloser: recordReader{conn}, conn: conn}
	p := make([]byte, 256<<10)
	total := 0
	for total < ready {
		got := make(chan int)
		go func() {
			n, err := body.Read(p)
			if err != nil {
				t.Error(err)
			}
			got <- n
		}()
		select {
		case n := <-got:
			if total == 0 && n < 150<<10 {
				t.Errorf("the first read returned %d bytes with %d ready", n, ready)
			}
			total += n
		case <-time.After(5 * time.Second):
			t.Fatalf("a read waited for the socket with %d bytes in hand", total)
		}
	}
	if total != ready {
		t.Fatalf("read %d of %d", total, ready)
	}
}

// An upgraded connection (WebSocket and the like) still works both ways
// through the proxy.
func TestProxyRelaysUpgrades(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(schemeName(useTLS), func(t *testing.T) {
			u, _ := startAPI(t, useTLS, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Upgrade") != "echo" {
					http.Error(w, "upgrade to echo", http.StatusUpgradeRequired)
					return
				}
				conn, brw, err := http.NewResponseController(w).Hijack()
				if err != nil {
					return
				}
				defer conn.Close()
				brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
				brw.Flush()
				line, _ := brw.ReadString('\n')
				brw.WriteString("echo: " + line)
				brw.Flush()
			})
			addr := strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/")
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n", addr)
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("upgrade: %v %v", resp, err)
			}
			fmt.Fprint(conn, "hello\n")
			if line, err := br.ReadString('\n'); line != "echo: hello\n" {
				t.Fatalf("read %q, %v", line, err)
			}
		})
	}
}
