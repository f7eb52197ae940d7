package apicall

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Output writes what the API answered.
type Output struct {
	W io.Writer
	// Pretty indents JSON (a terminal, or --pretty).
	Pretty bool
	// JSONL writes one collection item per line when paginating.
	JSONL bool
	// Include shows a response's status line and headers (-i); nil: not.
	Include func(*http.Response)
	// Progress reports a paginated download (stderr on a terminal); nil: not.
	Progress func(pages, items int, bytes int64, done bool)
}

// Body writes a response body unchanged, or indented when Pretty and JSON.
func (o Output) Body(resp *http.Response) error {
	if !o.Pretty || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
		_, err := io.Copy(o.W, resp.Body)
		return err
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if json.Indent(&buf, data, "", "  ") != nil {
		_, err = o.W.Write(data) // not JSON after all: as it came
		return err
	}
	buf.WriteByte('\n')
	_, err = o.W.Write(buf.Bytes())
	return err
}

// Call makes one request and writes its body; an error status is written
// too and returned as a *StatusError.
func (c *Client) Call(ctx context.Context, r Request, out Output) error {
	resp, err := c.Do(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out.Include != nil {
		out.Include(resp)
	}
	if err := out.Body(resp); err != nil {
		return fmt.Errorf("%w: reading the answer of %s %s: %v", ErrNoAnswer, r.Method, redactRaw(r.URL), err)
	}
	if resp.StatusCode >= 400 {
		return &StatusError{Method: r.Method, URL: redactRaw(r.URL), Status: resp.Status, Code: resp.StatusCode}
	}
	return nil
}

// Paginate follows "@odata.nextLink" from the first GET until a page has
// none, writing the pages' "value" items as they arrive: one JSON document
// {"value": [...]} or, with JSONL, one item per line. Memory stays flat
// however many pages there are: items are decoded one at a time. Next links
// are followed only to the first request's scheme and host. An error page
// ends paging with a *StatusError; with JSONL what was written stays valid.
func (c *Client) Paginate(ctx context.Context, t Target, first Request, out Output) error {
	if first.Method != http.MethodGet {
		return fmt.Errorf("%w: --paginate follows GET requests only", ErrNotAllowed)
	}
	origin, err := url.Parse(first.URL)
	if err != nil {
		return err
	}
	w := &itemWriter{out: out, bw: bufio.NewWriterSize(out.W, 64<<10)}
	defer w.bw.Flush() // what was decoded is written, even when paging stops
	var counted int64
	for page, next := 1, first.URL; next != ""; page++ {
		r := first
		r.URL = next
		resp, err := c.Do(ctx, r)
		if err != nil {
			return err
		}
		if out.Include != nil {
			out.Include(resp)
		}
		if resp.StatusCode >= 400 {
			err := &StatusError{Method: r.Method, URL: redactRaw(r.URL), Status: resp.Status, Code: resp.StatusCode}
			if page == 1 { // nothing written yet: the error body, as without --paginate
				out.Body(resp)
			} else {
				err.Status += fmt.Sprintf(" on page %d, after %d items", page, w.items)
			}
			resp.Body.Close()
			w.progress(page-1, counted, true)
			return err
		}
		body := &countingReader{r: resp.Body}
		link, err := decodePage(body, w.item)
		resp.Body.Close()
		counted += body.n
		if ferr := w.bw.Flush(); err == nil {
			err = ferr
		}
		if err != nil {
			w.progress(page, counted, true)
			return fmt.Errorf("page %d of %s: %w", page, redactRaw(first.URL), err)
		}
		w.progress(page, counted, false)
		if next, err = followLink(t, origin, r.URL, link); err != nil {
			w.progress(page, counted, true)
			return err
		}
	}
	w.progress(-1, counted, true)
	if err := w.close(); err != nil {
		return err
	}
	return w.bw.Flush()
}

// followLink resolves a nextLink against the page it came in and accepts
// it only on the first request's scheme and host.
func followLink(t Target, origin *url.URL, current, link string) (string, error) {
	if link == "" {
		return "", nil
	}
	cur, _ := url.Parse(current)
	u, err := cur.Parse(link)
	if err != nil {
		return "", fmt.Errorf("the API sent a bad @odata.nextLink: %v", err)
	}
	if !SameOrigin(u, origin) {
		return "", fmt.Errorf("%w: the API's @odata.nextLink leads to %s://%s, not %s://%s; the token is not sent there", ErrNotAllowed, u.Scheme, u.Host, origin.Scheme, origin.Host)
	}
	if _, err := t.Resolve(u.String()); err != nil {
		return "", err
	}
	return u.String(), nil
}

// decodePage reads one OData page from r, handing each "value" item to
// item as it is decoded, and returns its "@odata.nextLink".
func decodePage(r io.Reader, item func(json.RawMessage) error) (next string, err error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return "", err
	}
	sawValue := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		switch key, _ := tok.(string); key {
		case "value":
			sawValue = true
			if err := decodeItems(dec, item); err != nil {
				return "", err
			}
		case "@odata.nextLink":
			if err := dec.Decode(&next); err != nil {
				return "", fmt.Errorf("@odata.nextLink: %w", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return "", err
	}
	if !sawValue {
		return "", errors.New(`not an OData collection: the answer has no "value" array; call it without --paginate`)
	}
	return next, nil
}

func decodeItems(dec *json.Decoder, item func(json.RawMessage) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil { // "value": null
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errors.New(`"value" is not an array`)
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := item(raw); err != nil {
			return err
		}
	}
	_, err = dec.Token() // ']'
	return err
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("not an OData page: expected %q, found %v", want, tok)
	}
	return nil
}

// itemWriter writes items as one document or as lines.
type itemWriter struct {
	out     Output
	bw      *bufio.Writer // out.W, flushed after every page
	items   int
	started bool
	pages   int
	buf     bytes.Buffer
}

func (w *itemWriter) item(raw json.RawMessage) error {
	w.buf.Reset()
	switch {
	case w.out.JSONL:
		if err := json.Compact(&w.buf, raw); err != nil {
			return err
		}
		w.buf.WriteByte('\n')
	case w.out.Pretty:
		w.open()
		if w.items > 0 {
			w.buf.WriteString(",\n")
		}
		w.buf.WriteString("    ")
		if err := json.Indent(&w.buf, raw, "    ", "  "); err != nil {
			return err
		}
	default:
		w.open()
		if w.items > 0 {
			w.buf.WriteByte(',')
		}
		if err := json.Compact(&w.buf, raw); err != nil {
			return err
		}
	}
	w.items++
	_, err := w.bw.Write(w.buf.Bytes())
	return err
}

// open starts the merged document before its first item.
func (w *itemWriter) open() {
	if w.started {
		return
	}
	w.started = true
	if w.out.Pretty {
		w.buf.WriteString("{\n  \"value\": [\n")
	} else {
		w.buf.WriteString(`{"value":[`)
	}
}

func (w *itemWriter) close() error {
	if w.out.JSONL {
		return nil
	}
	w.buf.Reset()
	w.open()
	if w.out.Pretty {
		if w.items > 0 {
			w.buf.WriteByte('\n')
		}
		w.buf.WriteString("  ]\n}\n")
	} else {
		w.buf.WriteString("]}\n")
	}
	_, err := w.bw.Write(w.buf.Bytes())
	return err
}

// progress reports pages read so far (page -1: keep the last count).
func (w *itemWriter) progress(page int, n int64, done bool) {
	if page >= 0 {
		w.pages = page
	}
	if w.out.Progress != nil {
		w.out.Progress(w.pages, w.items, n, done)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
