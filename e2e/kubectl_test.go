package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
)

// kubeAPI is a Kubernetes API server as far as kubectl get --raw /version
// and kubectl proxy need one, over TLS, accepting only the session's
// current token.
func kubeAPI(t *testing.T, u *User, session string) *API {
	return StartAPI(t, u, session, true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"major":"1","minor":"32","gitVersion":"v1.32.0-fourinsight-test","platform":"linux/amd64"}`)
	}))
}

// kubeconfigWithUser writes a kubeconfig for the API whose user is the
// entry `fourinsight-token setup kubectl` printed, and points KUBECONFIG
// at it.
func kubeconfigWithUser(t *testing.T, u *User, api *API, setupArgs ...string) string {
	t.Helper()
	setup := u.RunTool("", binary, append([]string{"setup", "kubectl"}, setupArgs...)...)
	if setup.Code != 0 {
		t.Fatalf("setup kubectl: exit %d: %s", setup.Code, setup.Stderr)
	}
	m := regexp.MustCompile(`(?m)^- name: "([^"]+)"`).FindStringSubmatch(setup.Stdout)
	if m == nil {
		t.Fatalf("setup kubectl printed no user entry:\n%s", setup.Stdout)
	}
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority-data: %s
contexts:
- name: test
  context:
    cluster: test
    user: %s
current-context: test
users:
%s`, api.URL, api.CAData(), m[1], setup.Stdout)
	path := filepath.Join(u.Home, ".kube", "config")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	u.Setenv("KUBECONFIG=" + path)
	return path
}

// kubectl, with the exec plugin stanza from setup kubectl, gets the server
// version with our token, in both exec credential API versions; a second
// kubectl is served from the cache.
func TestKubectlExecPlugin(t *testing.T) {
	needTool(t, "kubectl")
	for _, version := range []string{"v1", "v1beta1"} {
		t.Run(version, func(t *testing.T) {
			p := StartProvider(t, testop.Options{})
			u := NewUser(t)
			u.ServiceAccount(p)
			api := kubeAPI(t, u, "kube")
			kubeconfigWithUser(t, u, api, "-s", "kube", "--api-version", version)

			for i := range 2 {
				r := u.RunTool("", "kubectl", "get", "--raw", "/version")
				if r.Code != 0 || !strings.Contains(r.Stdout, "v1.32.0-fourinsight-test") {
					t.Fatalf("kubectl run %d: exit %d\nstdout: %s\nstderr: %s", i, r.Code, r.Stdout, r.Stderr)
				}
			}
			if got := api.Accepted(); len(got) != 1 || got[0] != u.Cache("kube")["access_token"] {
				t.Fatalf("the API accepted %d distinct tokens, want the one cached token", len(got))
			}
			if n := p.Count("client_credentials"); n != 1 {
				t.Fatalf("provider saw %d grants for two kubectl runs, want 1 (the second from the cache)", n)
			}
		})
	}
}

// kubectl proxy keeps one kubectl running: when the token's
// expirationTimestamp passes, kubectl runs the plugin again and the server
// sees a new token.
func TestKubectlRunsPluginAgainAfterExpiry(t *testing.T) {
	needTool(t, "kubectl")
	p := StartProvider(t, testop.Options{AccessTokenLifetime: 3 * time.Second})
	u := NewUser(t)
	u.ServiceAccount(p)
	u.Setenv("FOURINSIGHT_MIN_VALID=1s")
	api := kubeAPI(t, u, "kube")
	kubeconfigWithUser(t, u, api, "-s", "kube")

	proxy := u.Tool("kubectl", "proxy", "--port=0")
	proxy.Stdout = nil
	out, err := proxy.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		proxy.Process.Kill()
		proxy.Wait()
		secrets.stderr(t.Name()+" kubectl proxy", proxy.Stderr.(interface{ String() string }).String())
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	m := regexp.MustCompile(`127\.0\.0\.1:(\d+)`).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("kubectl proxy did not say where it serves: %q %v", line, err)
	}
	get := func() {
		t.Helper()
		resp, err := http.Get("http://127.0.0.1:" + m[1] + "/version")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("through kubectl proxy: %s %s", resp.Status, body)
		}
	}
	get()
	get()
	if n := len(api.Accepted()); n != 1 {
		t.Fatalf("before expiry the API saw %d tokens, want 1", n)
	}
	time.Sleep(3500 * time.Millisecond)
	get()
	if got := api.Accepted(); len(got) != 2 || got[0] == got[1] {
		t.Fatalf("after expiry the API accepted %d distinct tokens, want 2: kubectl did not run the plugin again", len(got))
	}
	if n := p.Count("client_credentials"); n != 2 {
		t.Fatalf("provider saw %d grants, want 2", n)
	}
}

// With no cached session and no terminal, kubectl says spec.interactive is
// false; the plugin exits 3 and kubectl shows its one line, which names
// the command that fixes it.
func TestKubectlNoTerminalShowsSignInMessage(t *testing.T) {
	needTool(t, "kubectl")
	for _, version := range []string{"v1", "v1beta1"} {
		t.Run(version, func(t *testing.T) {
			p := StartProvider(t, testop.Options{})
			u := NewUser(t)
			u.PasteProfile(p)
			api := kubeAPI(t, u, "kube")
			kubeconfigWithUser(t, u, api, "-s", "kube", "--api-version", version)

			r := u.RunTool("", "kubectl", "get", "--raw", "/version")
			if r.Code == 0 {
				t.Fatalf("kubectl succeeded without a session:\n%s", r.Stdout)
			}
			for _, want := range []string{
				"fourinsight-token: sign-in required",
				"non-interactive", // kubectl's spec.interactive: false reached us
				"fourinsight-token login -s kube",
				"exit code 3",
			} {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("kubectl's stderr lacks %q:\n%s", want, r.Stderr)
				}
			}
			if n := p.Count("token"); n != 0 {
				t.Fatalf("provider saw %d token requests", n)
			}
		})
	}
}
