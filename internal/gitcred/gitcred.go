// Package gitcred reads and writes the attribute lists of git's credential
// helper protocol (gitcredentials(7), git-credential(1)): one key=value per
// line, ended by a blank line or the end of input.
package gitcred

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrProtocol: the input is not a credential description.
var ErrProtocol = errors.New("malformed git credential input")

// Limits on what Parse reads: git sends a handful of short lines (a few KiB
// with wwwauth[] headers).
const (
	MaxLine  = 64 << 10
	MaxTotal = 1 << 20
)

// Attribute is one key=value line.
type Attribute struct {
	Key, Value string
}

// Attributes is a credential description in the order it was read.
type Attributes []Attribute

// Get is the value of key: the last one given, as git reads it; "" when the
// key is absent.
func (as Attributes) Get(key string) string {
	v := ""
	for _, a := range as {
		if a.Key == key {
			v = a.Value
		}
	}
	return v
}

// Values are all values of a multi-valued key such as "capability[]" or
// "wwwauth[]", in order. An empty value clears the ones before it, as git's
// protocol has it for arrays.
func (as Attributes) Values(key string) []string {
	var vs []string
	for _, a := range as {
		if a.Key != key {
			continue
		}
		if a.Value == "" {
			vs = nil
			continue
		}
		vs = append(vs, a.Value)
	}
	return vs
}

// HasCapability reports whether the caller announced capability[]=name.
func (as Attributes) HasCapability(name string) bool {
	for _, v := range as.Values("capability[]") {
		if v == name {
			return true
		}
	}
	return false
}

// Parse reads attributes up to a blank line or the end of input. A line end
// may be "\n" or "\r\n" (one "\r" is dropped, as git does). Unknown keys are
// kept; a line without "=", or with a NUL byte, is an error, as is input
// past MaxLine per line or MaxTotal in all.
func Parse(r io.Reader) (Attributes, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, MaxTotal+1), 4096)
	var as Attributes
	total := 0
	for n := 1; ; n++ {
		line, err := readLine(br)
		total += len(line) + 1
		if total > MaxTotal {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrProtocol, MaxTotal)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: line %d: %v", ErrProtocol, n, err)
		}
		if line == "" {
			return as, nil // blank line or end of input
		}
		if strings.IndexByte(line, 0) >= 0 {
			return nil, fmt.Errorf("%w: line %d holds a NUL byte", ErrProtocol, n)
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%w: line %d is not key=value", ErrProtocol, n)
		}
		as = append(as, Attribute{Key: key, Value: value})
		if errors.Is(err, io.EOF) {
			return as, nil
		}
	}
}

var errLong = errors.New("longer than " + strconv.Itoa(MaxLine) + " bytes")

// readLine reads one line without its "\n" and one "\r" before it.
func readLine(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, err := br.ReadSlice('\n')
		if b.Len()+len(chunk) > MaxLine+2 {
			return "", errLong
		}
		b.Write(chunk)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		s := strings.TrimSuffix(b.String(), "\n")
		if len(s) < b.Len() { // had "\n": a CR before it belongs to the line end
			s = strings.TrimSuffix(s, "\r")
		}
		if len(s) > MaxLine {
			return "", errLong
		}
		return s, err
	}
}

// Write writes attributes as key=value lines. It refuses what the protocol
// cannot carry: a key that is empty or holds "=", a newline or a NUL byte,
// and a value with a newline or NUL byte or ending in "\r" (which the
// reader would take for part of the line end).
func Write(w io.Writer, as Attributes) error {
	var b strings.Builder
	for _, a := range as {
		if a.Key == "" || strings.ContainsAny(a.Key, "=\n\x00") {
			return fmt.Errorf("%w: cannot send the key %q", ErrProtocol, a.Key)
		}
		if strings.ContainsAny(a.Value, "\n\x00") || strings.HasSuffix(a.Value, "\r") {
			return fmt.Errorf("%w: the value of %s holds a line break or NUL byte", ErrProtocol, a.Key)
		}
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(a.Value)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
