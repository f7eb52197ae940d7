// Command proxybench measures what `fourinsight-token proxy` adds to API
// calls, against direct calls to the same local API in the same run (issue
// 11): added latency (p50, p99) of small requests over kept-alive
// connections, throughput of a large download, and the proxy's peak RSS.
//
// It starts the test provider and the test API (internal/testop,
// internal/testapi) in this process, gets a token for the direct calls, and
// runs the given fourinsight-token binary as the proxy with a service
// account session. scripts/bench-proxy builds the release binary and runs it.
//
// Usage: proxybench [-n SMALL] [-size BYTES] [-rounds N] /path/to/fourinsight-token
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testapi"
	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"golang.org/x/oauth2/clientcredentials"
)

// Goals (issue 11).
const (
	maxAddedP50   = 500 * time.Microsecond
	minThroughput = 0.80
	maxRSSKiB     = 40 << 10
)

func main() {
	n := flag.Int("n", 2000, "small requests per path")
	size := flag.Int64("size", 512<<20, "bytes of the large download")
	rounds := flag.Int("rounds", 3, "large downloads per path (the best one counts)")
	useTLS := flag.Bool("tls", false, "serve the API over https, as the real one (the proxy trusts its certificate with --ca-file)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: proxybench [-n SMALL] [-size BYTES] [-rounds N] /path/to/fourinsight-token")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *n, *size, *rounds, *useTLS); err != nil {
		fmt.Fprintln(os.Stderr, "proxybench:", err)
		os.Exit(1)
	}
}

func run(bin string, n int, size int64, rounds int, useTLS bool) error {
	ctx := context.Background()
	p, err := testop.Start(testop.Options{AccessTokenLifetime: time.Hour})
	if err != nil {
		return err
	}
	defer p.Close()
	api, err := testapi.Start(ctx, testapi.Options{Issuer: p.Issuer(), TLS: useTLS})
	if err != nil {
		return err
	}
	defer api.Close()
	cc := clientcredentials.Config{ClientID: testop.ServiceClientID, ClientSecret: testop.ServiceClientSecret, TokenURL: p.TokenURL()}
	tok, err := cc.Token(ctx)
	if err != nil {
		return err
	}

	proxyURL, pid, stop, err := startProxy(bin, p, api)
	if err != nil {
		return err
	}
	defer stop()

	transport := &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}
	if useTLS {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(api.CertPEM())
		transport.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	client := &http.Client{Transport: transport}
	direct := func(path string) (*http.Request, error) {
		req, err := http.NewRequest("GET", api.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		return req, err
	}
	proxied := func(path string) (*http.Request, error) {
		return http.NewRequest("GET", strings.TrimSuffix(proxyURL, "/")+path, nil)
	}

	// Warm up both paths (connections, the proxy's token).
	for range 200 {
		for _, mk := range []func(string) (*http.Request, error){direct, proxied} {
			if _, err := fetch(client, mk, "/v1.1/Campaigns/c001"); err != nil {
				return err
			}
		}
	}
	// Small requests, alternating so that load on the machine hits both alike.
	var dl, pl []time.Duration
	for range n {
		d, err := fetch(client, direct, "/v1.1/Campaigns/c001")
		if err != nil {
			return err
		}
		q, err := fetch(client, proxied, "/v1.1/Campaigns/c001")
		if err != nil {
			return err
		}
		dl, pl = append(dl, d), append(pl, q)
	}
	slices.Sort(dl)
	slices.Sort(pl)
	pct := func(s []time.Duration, q float64) time.Duration { return s[int(q*float64(len(s)-1))] }
	addedP50 := pct(pl, 0.5) - pct(dl, 0.5)
	addedP99 := pct(pl, 0.99) - pct(dl, 0.99)

	// Large downloads: the best of rounds per path.
	blob := fmt.Sprintf("/v1.1/Blob?size=%d", size)
	var bestDirect, bestProxy float64
	for range rounds {
		for i, mk := range []func(string) (*http.Request, error){direct, proxied} {
			d, err := fetch(client, mk, blob)
			if err != nil {
				return err
			}
			mbps := float64(size) / d.Seconds() / 1e6
			if i == 0 {
				bestDirect = max(bestDirect, mbps)
			} else {
				bestProxy = max(bestProxy, mbps)
			}
		}
	}
	rss, err := peakRSS(pid)
	if err != nil {
		return err
	}
	ratio := bestProxy / bestDirect

	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	fmt.Printf("API over %s; the client talks plain http to the proxy on loopback\n", scheme)
	fmt.Printf("small requests (%d per path, kept-alive connections):\n", n)
	fmt.Printf("  direct  p50 %8s  p99 %8s\n", pct(dl, 0.5).Round(time.Microsecond), pct(dl, 0.99).Round(time.Microsecond))
	fmt.Printf("  proxy   p50 %8s  p99 %8s\n", pct(pl, 0.5).Round(time.Microsecond), pct(pl, 0.99).Round(time.Microsecond))
	fmt.Printf("  added   p50 %8s  p99 %8s   (goal: p50 ≤ %s)\n", addedP50.Round(time.Microsecond), addedP99.Round(time.Microsecond), maxAddedP50)
	fmt.Printf("large download (%d MiB, best of %d):\n", size>>20, rounds)
	fmt.Printf("  direct %7.0f MB/s\n  proxy  %7.0f MB/s = %.0f %% of direct   (goal: ≥ %.0f %%)\n", bestDirect, bestProxy, 100*ratio, 100*minThroughput)
	fmt.Printf("proxy peak RSS: %d KiB (%.1f MiB)   (goal: < %d MiB)\n", rss, float64(rss)/1024, maxRSSKiB>>10)
	fmt.Printf("provider grants during the run: %d (one token for every proxied request)\n", p.Count("client_credentials"))

	var missed []string
	if addedP50 > maxAddedP50 {
		missed = append(missed, "added p50 latency")
	}
	if ratio < minThroughput {
		missed = append(missed, "throughput")
	}
	if rss >= maxRSSKiB {
		missed = append(missed, "peak RSS")
	}
	if len(missed) > 0 {
		return fmt.Errorf("goals missed: %s", strings.Join(missed, ", "))
	}
	fmt.Println("proxybench: all goals met")
	return nil
}

// fetch makes one request, reads the whole body and returns how long it took.
func fetch(c *http.Client, mk func(string) (*http.Request, error), path string) (time.Duration, error) {
	req, err := mk(path)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return d, err
}

var listening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+/)`)

// startProxy runs the proxy with a service account session in a fresh
// home and returns its URL and pid once it listens.
func startProxy(bin string, p *testop.Provider, api *testapi.API) (string, int, func(), error) {
	home, err := os.MkdirTemp("", "proxybench-")
	if err != nil {
		return "", 0, nil, err
	}
	cmd := exec.Command(bin, "-s", "bench", "proxy")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"FOURINSIGHT_ISSUER=" + p.Issuer(), "FOURINSIGHT_CLIENT_ID=" + testop.ServiceClientID,
		"FOURINSIGHT_CLIENT_SECRET=" + testop.ServiceClientSecret, "FOURINSIGHT_API_BASE=" + api.URL() + "/",
	}
	if pem := api.CertPEM(); pem != nil { // an https API: the proxy trusts its certificate
		ca := filepath.Join(home, "api-ca.pem")
		if err := os.WriteFile(ca, pem, 0o600); err != nil {
			return "", 0, nil, err
		}
		cmd.Env = append(cmd.Env, "FOURINSIGHT_CA_FILE="+ca)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		os.RemoveAll(home)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stderr) // one log line per request
			return m[1], cmd.Process.Pid, stop, nil
		}
	}
	stop()
	return "", 0, nil, fmt.Errorf("the proxy did not start")
}

// peakRSS is a process's VmHWM in KiB.
func peakRSS(pid int) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", pid)
}
