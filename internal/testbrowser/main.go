// Command testbrowser stands in for a person's browser in the e2e tests of
// fourinsight-token's browser flow. Set as $BROWSER, it is run as
// "testbrowser URL": it signs the test user in at the testop provider the
// URL points at (testop.LoginAt) and delivers the redirect to the CLI's
// loopback listener, as a browser would.
//
// Environment:
//
//	TESTBROWSER_LOG   file to append one line per event to: "launch" once per
//	                  run, then key=value results the tests read
//	TESTBROWSER_MODE  login (default): sign in and deliver the redirect
//	                  abandon: do nothing, as a person who walked away
//	                  tamper: first deliver the redirect with a wrong state,
//	                          then the right one
//	                  deny: deliver error=access_denied, as a provider does
//	                        when the person says no
//	                  open: only check that the URL could be fetched
//	                        (for the paste flow's sign-in page)
//
// The log holds the authorization code ("code=..."), so the tests can treat
// it as a secret; nothing is printed on stdout or stderr.
package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

func main() {
	logf := openLog()
	if len(os.Args) != 2 {
		logf("error=usage: testbrowser URL")
		os.Exit(2)
	}
	logf("launch pid=%d", os.Getpid())
	if err := run(os.Getenv("TESTBROWSER_MODE"), os.Args[1], logf); err != nil {
		logf("error=%s", strings.Join(strings.Fields(err.Error()), " "))
		os.Exit(1)
	}
	logf("done")
}

func openLog() func(string, ...any) {
	path := os.Getenv("TESTBROWSER_LOG")
	if path == "" {
		return func(string, ...any) {}
	}
	return func(format string, args ...any) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return
		}
		defer f.Close()
		fmt.Fprintf(f, format+"\n", args...)
	}
}

func run(mode, authorizeURL string, logf func(string, ...any)) error {
	auth, err := url.Parse(authorizeURL)
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if mode == "open" {
		resp, err := client.Get(authorizeURL)
		if err != nil {
			return err
		}
		resp.Body.Close()
		logf("opened=%d", resp.StatusCode)
		return nil
	}
	q := auth.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Host == "" {
		return fmt.Errorf("the authorization URL has no redirect_uri")
	}
	logf("redirect_host=%s", redirect.Hostname())
	logf("challenge_method=%s nonce=%t", q.Get("code_challenge_method"), q.Get("nonce") != "")
	if addrs := listening(redirect.Port()); addrs != nil {
		logf("listen=%s", strings.Join(addrs, ","))
	}

	switch mode {
	case "abandon":
		return nil
	case "deny":
		back := *redirect
		back.RawQuery = url.Values{
			"error":             {"access_denied"},
			"error_description": {"The user said no <script>"},
			"state":             {q.Get("state")},
		}.Encode()
		return deliver(client, &back, "callback", logf)
	}

	final, err := testop.LoginAt(authorizeURL)
	if err != nil {
		return err
	}
	logf("code=%s", final.Query().Get("code"))
	if mode == "tamper" {
		bad := *final
		fq := bad.Query()
		fq.Set("state", "tampered-"+fq.Get("state"))
		bad.RawQuery = fq.Encode()
		if err := deliver(client, &bad, "tampered", logf); err != nil {
			return err
		}
	}
	return deliver(client, final, "callback", logf)
}

// deliver requests the redirect on the loopback listener and logs the
// status and the page's title.
func deliver(client *http.Client, u *url.URL, what string, logf func(string, ...any)) error {
	resp, err := client.Get(u.String())
	if err != nil {
		return fmt.Errorf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8192))
	title := ""
	if _, rest, ok := strings.Cut(string(body), "<h1>"); ok {
		title, _, _ = strings.Cut(rest, "</h1>")
	}
	page := ""
	if _, rest, ok := strings.Cut(string(body), "<p>"); ok {
		page, _, _ = strings.Cut(rest, "</p>")
	}
	logf("%s=%d title=%q page=%q", what, resp.StatusCode, title, page)
	return nil
}

// listening lists the local addresses of the sockets listening on port, from
// /proc/net/tcp{,6} (Linux only; nil elsewhere).
func listening(port string) []string {
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil
	}
	want := fmt.Sprintf("%04X", p)
	var out []string
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			host, hexPort, ok := strings.Cut(fields[1], ":")
			if !ok || hexPort != want {
				continue
			}
			out = append(out, decodeHost(host)+":"+port)
		}
		f.Close()
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// decodeHost renders /proc/net's little-endian hex address.
func decodeHost(h string) string {
	switch len(h) {
	case 8:
		v, _ := strconv.ParseUint(h, 16, 32)
		return fmt.Sprintf("%d.%d.%d.%d", v&0xff, v>>8&0xff, v>>16&0xff, v>>24)
	case 32:
		if h == "00000000000000000000000000000000" {
			return "[::]"
		}
		if h == "00000000000000000000000001000000" {
			return "[::1]"
		}
		return "[" + h + "]"
	}
	return h
}
