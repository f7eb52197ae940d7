package e2e

// The examples in docs/integrations and docs/examples, run as written
// (with the API's address pointed at a local test server).

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/internal/testop"
	"github.com/fourinsight-token/fourinsight-token/internal/testtool"
)

// docAPI is the API base the docs use; tests point it at a local server.
const docAPI = "https://api.4insight.io/v1.1"

// docsRun lists every doc block a test runs, to check that none is left out.
var docsRun = struct {
	sync.Mutex
	names       map[string]bool
	toolMissing bool // a test was skipped for want of a program
}{names: map[string]bool{}}

// docUser is a service account whose session ws0 the API accepts, with
// fourinsight-token on PATH and FOURINSIGHT_API (read by the Python
// examples) pointing at the API.
func docUser(t *testing.T, useTLS bool) (*User, *testop.Provider, *API) {
	t.Helper()
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	u.OnPath()
	api := StartAPI(t, u, "ws0", useTLS, nil)
	u.Setenv("FOURINSIGHT_API=" + api.URL + "/v1.1")
	return u, p, api
}

// runDoc runs the doc block with bash in dir (relative to the user's
// home), the API base and any other "old, new" pairs replaced.
func (u *User) runDoc(t *testing.T, api *API, file, name, dir string, replace ...string) Result {
	t.Helper()
	docsRun.Lock()
	docsRun.names[file+"#"+name] = true
	docsRun.Unlock()
	pairs := append([]string{docAPI, api.URL + "/v1.1"}, replace...)
	script := strings.NewReplacer(pairs...).Replace(docBlock(t, file, name))
	if dir != "" {
		script = "cd " + shellQuoted(dir) + "\n" + script
	}
	return u.Shell(script)
}

func shellQuoted(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// copyExamples copies files from docs/examples/DIR into the user's home.
func (u *User) copyExamples(t *testing.T, dir string, names ...string) string {
	t.Helper()
	dst := filepath.Join(u.Home, filepath.Base(dir))
	for _, n := range names {
		data, err := os.ReadFile(exampleFile(t, filepath.Join(dir, n)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, n)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, n), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func okRun(t *testing.T, what string, r Result) string {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", what, r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

func TestDocsCurl(t *testing.T) {
	needTool(t, "curl")
	u, p, api := docUser(t, false)
	for _, name := range []string{"curl-header", "curl-stdin", "curl-variable"} {
		t.Run(name, func(t *testing.T) {
			out := okRun(t, name, u.runDoc(t, api, "curl.md", name, ""))
			if !strings.Contains(out, `"ok":true`) {
				t.Fatalf("curl printed %q", out)
			}
		})
	}
	if api.Refused() != 0 || len(api.Accepted()) != 1 || p.Count("client_credentials") != 1 {
		t.Fatalf("refused %d, tokens %d, grants %d; want 0, 1, 1", api.Refused(), len(api.Accepted()), p.Count("client_credentials"))
	}
}

func TestDocsShell(t *testing.T) {
	needTool(t, "curl")
	u, _, api := docUser(t, false)
	u.WithPython(t)
	dir := u.copyExamples(t, "python", "sync.py")

	if out := okRun(t, "shell-variable", u.runDoc(t, api, "make-and-shell.md", "shell-variable", "")); !strings.Contains(out, `"ok":true`) {
		t.Fatalf("shell-variable printed %q", out)
	}
	if out := okRun(t, "shell-eval", u.runDoc(t, api, "make-and-shell.md", "shell-eval", "")); out != "True\n" {
		t.Fatalf("shell-eval printed %q", out)
	}
	if out := okRun(t, "shell-dotenv", u.runDoc(t, api, "make-and-shell.md", "shell-dotenv", "")); out != "1\n" {
		t.Fatalf("shell-dotenv printed %q", out)
	}
	env, _ := os.ReadFile(filepath.Join(u.Home, ".env"))
	if string(env) != "FOURINSIGHT_ACCESS_TOKEN="+cachedToken(u, "ws0")+"\n" {
		t.Fatalf(".env is not the one line with the cached token (%d bytes)", len(env))
	}
	if out := okRun(t, "shell-exec", u.runDoc(t, api, "make-and-shell.md", "shell-exec", dir)); !strings.Contains(out, "campaigns") {
		t.Fatalf("shell-exec printed %q", out)
	}
}

// The Makefile of the docs, with make -j8: eight recipes each run
// fourinsight-token at the same time, and the provider sees one grant.
// The once.mk pattern reads the token once and stops with the doc's
// message when there is none. make's echo of the recipes never shows a
// token.
func TestDocsMakefiles(t *testing.T) {
	needTool(t, "make")
	needTool(t, "curl")
	for _, ex := range []struct{ block, file string }{{"makefile", "make/Makefile"}, {"once-mk", "make/once.mk"}} {
		data, err := os.ReadFile(exampleFile(t, ex.file))
		if err != nil {
			t.Fatal(err)
		}
		if docBlock(t, "make-and-shell.md", ex.block) != string(data) {
			t.Fatalf("make-and-shell.md shows a %s that differs from docs/examples/%s", ex.block, ex.file)
		}
		docsRun.Lock()
		docsRun.names["make-and-shell.md#"+ex.block] = true
		docsRun.Unlock()
	}

	t.Run("parallel", func(t *testing.T) {
		u, p, api := docUser(t, false)
		r := u.RunTool("", "make", "-j8", "-f", exampleFile(t, "make/Makefile"), "API="+api.URL+"/v1.1")
		okRun(t, "make -j8", r)
		for i := 1; i <= 8; i++ {
			data, err := os.ReadFile(filepath.Join(u.Home, "out", "c"+string(rune('0'+i))+".json"))
			if err != nil || !strings.Contains(string(data), `"path":"/v1.1/Campaigns/c`) {
				t.Fatalf("out/c%d.json: %q %v", i, data, err)
			}
		}
		if n := p.Count("client_credentials"); n != 1 {
			t.Fatalf("eight parallel recipes made %d grants, want 1", n)
		}
		if strings.Contains(r.Stdout+r.Stderr, cachedToken(u, "ws0")) {
			t.Fatal("make's output shows the token")
		}
		if api.Refused() != 0 {
			t.Fatalf("the API refused %d requests", api.Refused())
		}
	})
	t.Run("once", func(t *testing.T) {
		u, p, api := docUser(t, false)
		r := u.RunTool("", "make", "-f", exampleFile(t, "make/once.mk"), "API="+api.URL+"/v1.1")
		okRun(t, "make -f once.mk", r)
		if data, err := os.ReadFile(filepath.Join(u.Home, "campaigns.json")); err != nil || !strings.Contains(string(data), `"ok":true`) {
			t.Fatalf("campaigns.json: %q %v", data, err)
		}
		if strings.Contains(r.Stdout+r.Stderr, cachedToken(u, "ws0")) {
			t.Fatal("make's output shows the token")
		}
		if p.Count("client_credentials") != 1 || api.Refused() != 0 {
			t.Fatalf("grants %d, refused %d", p.Count("client_credentials"), api.Refused())
		}
	})
	t.Run("once without a session", func(t *testing.T) {
		p := StartProvider(t, testop.Options{})
		u := NewUser(t)
		u.PasteProfile(p)
		u.OnPath()
		r := u.RunTool("", "make", "-f", exampleFile(t, "make/once.mk"), "API=http://127.0.0.1:9/v1.1")
		if r.Code == 0 || !strings.Contains(r.Stderr, "no token for session ws0: sign in with: fourinsight-token login -s ws0") {
			t.Fatalf("exit %d: %s", r.Code, r.Stderr)
		}
	})
}

func TestDocsKubectl(t *testing.T) {
	needTool(t, "kubectl")
	p := StartProvider(t, testop.Options{})
	u := NewUser(t)
	u.ServiceAccount(p)
	u.OnPath()
	api := kubeAPI(t, u, "ws0")
	kc := filepath.Join(u.Home, ".kube", "config")
	os.MkdirAll(filepath.Dir(kc), 0o700)
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: " + api.URL +
		"\n    certificate-authority-data: " + api.CAData() + "\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: nobody\ncurrent-context: test\n"
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	u.Setenv("KUBECONFIG=" + kc)
	out := okRun(t, "kubectl-setup", u.runDoc(t, api, "kubectl.md", "kubectl-setup", ""))
	if !strings.Contains(out, "v1.32.0-fourinsight-test") {
		t.Fatalf("kubectl printed %q", out)
	}
}

func TestDocsGit(t *testing.T) {
	u, p := gitUser(t, "ws0")
	u.OnPath()
	api, repoURL := gitServer(t, u, "ws0")
	refreshes := p.Count("refresh_token")
	out := okRun(t, "git-setup", u.runDoc(t, api, "git.md", "git-setup", "",
		"https://git.example.com/org/repo.git", repoURL, "git.example.com", api.Host()))
	if !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("git ls-remote printed %q", out)
	}
	if p.Count("refresh_token") != refreshes || len(api.Accepted()) != 1 {
		t.Fatalf("refreshes %d -> %d, tokens %d", refreshes, p.Count("refresh_token"), len(api.Accepted()))
	}
}

// restRequest is one request of a .http file, after variable substitution.
type restRequest struct {
	method, url string
	header      http.Header
}

// parseHTTPFile reads the subset of the .http format the examples use
// (### separators, # and // comments, @name = value file variables,
// METHOD URL, headers), substituting {{name}} with vars (and file
// variables) and {{$dotenv NAME}} with dotenv, as both IDE clients do.
func parseHTTPFile(t *testing.T, text string, vars, dotenv map[string]string) []restRequest {
	t.Helper()
	vars = maps(vars)
	varRef := regexp.MustCompile(`\{\{\s*([^}]+?)\s*\}\}`)
	var subst func(string, int) string
	subst = func(s string, depth int) string {
		return varRef.ReplaceAllStringFunc(s, func(m string) string {
			ref := varRef.FindStringSubmatch(m)[1]
			if name, ok := strings.CutPrefix(ref, "$dotenv "); ok {
				v, found := dotenv[strings.TrimSpace(name)]
				if !found {
					t.Fatalf("{{$dotenv %s}}: not in .env", name)
				}
				return v
			}
			v, found := vars[ref]
			if !found || depth > 5 {
				t.Fatalf("{{%s}}: no such variable", ref)
			}
			return subst(v, depth+1)
		})
	}
	var reqs []restRequest
	var cur *restRequest
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "###"):
			cur = nil
		case strings.HasPrefix(line, "#"), strings.HasPrefix(line, "//"):
		case strings.HasPrefix(line, "@"):
			name, value, _ := strings.Cut(line[1:], "=")
			vars[strings.TrimSpace(name)] = strings.TrimSpace(value)
		case strings.TrimSpace(line) == "":
			if cur != nil {
				cur = nil // the body would follow; the examples have none
			}
		case cur == nil:
			method, url, _ := strings.Cut(subst(line, 0), " ")
			reqs = append(reqs, restRequest{method: method, url: strings.Fields(url)[0], header: http.Header{}})
			cur = &reqs[len(reqs)-1]
		default:
			k, v, _ := strings.Cut(subst(line, 0), ":")
			cur.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return reqs
}

func maps(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sendAll(t *testing.T, reqs []restRequest) {
	t.Helper()
	if len(reqs) == 0 {
		t.Fatal("no requests in the .http file")
	}
	for _, rr := range reqs {
		req, err := http.NewRequest(rr.method, rr.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = rr.header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %s %s", rr.method, rr.url, resp.Status, body)
		}
	}
}

// The IDE examples: the refresh command of the docs writes the file the
// IDE client reads, and the example .http files, read as the clients read
// them, make requests the API accepts.
func TestDocsIDERestClients(t *testing.T) {
	u, _, api := docUser(t, false)
	local := func(s string) string { return strings.ReplaceAll(s, docAPI, api.URL+"/v1.1") }

	t.Run("vscode", func(t *testing.T) {
		dir := u.copyExamples(t, "vscode", "api.http", ".vscode/tasks.json")
		okRun(t, "vscode-refresh", u.runDoc(t, api, "ide-rest-clients.md", "vscode-refresh", dir))
		dotenv := map[string]string{}
		data, _ := os.ReadFile(filepath.Join(dir, ".env"))
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			k, v, _ := strings.Cut(l, "=")
			dotenv[k] = v
		}
		httpFile, _ := os.ReadFile(filepath.Join(dir, "api.http"))
		sendAll(t, parseHTTPFile(t, local(string(httpFile)), nil, dotenv))
		// The task runs the same command.
		var tasks struct {
			Tasks []struct{ Label, Command string }
		}
		tj, _ := os.ReadFile(filepath.Join(dir, ".vscode", "tasks.json"))
		if err := json.Unmarshal(tj, &tasks); err != nil || len(tasks.Tasks) != 1 ||
			tasks.Tasks[0].Command+"\n" != docBlock(t, "ide-rest-clients.md", "vscode-refresh") {
			t.Fatalf("tasks.json does not run the documented refresh: %v %+v", err, tasks)
		}
	})
	t.Run("jetbrains", func(t *testing.T) {
		dir := u.copyExamples(t, "jetbrains", "api.http", "http-client.env.json")
		okRun(t, "jetbrains-refresh", u.runDoc(t, api, "ide-rest-clients.md", "jetbrains-refresh", dir))
		vars := map[string]string{}
		for _, f := range []string{"http-client.env.json", "http-client.private.env.json"} {
			data, _ := os.ReadFile(filepath.Join(dir, f))
			var env map[string]map[string]string
			if err := json.Unmarshal([]byte(local(string(data))), &env); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for k, v := range env["4insight"] {
				vars[k] = v
			}
		}
		if vars["token"] != cachedToken(u, "ws0") {
			t.Fatal("the private environment file does not hold the cached token")
		}
		httpFile, _ := os.ReadFile(filepath.Join(dir, "api.http"))
		sendAll(t, parseHTTPFile(t, string(httpFile), vars, nil))
	})
	if api.Refused() != 0 {
		t.Fatalf("the API refused %d requests", api.Refused())
	}
}

func TestDocsPython(t *testing.T) {
	u, _, api := docUser(t, false)
	u.WithPython(t)
	dir := u.copyExamples(t, "python", "report.py", "sync.py", "requests_auth.py")
	if out := okRun(t, "python-report", u.runDoc(t, api, "python.md", "python-report", dir)); !strings.Contains(out, `"ok": true`) {
		t.Fatalf("report.py printed %q", out)
	}
	if out := okRun(t, "python-exec", u.runDoc(t, api, "python.md", "python-exec", dir)); !strings.Contains(out, "campaigns") {
		t.Fatalf("sync.py printed %q", out)
	}
	// The snippet python.md shows is the function report.py has.
	report, _ := os.ReadFile(exampleFile(t, "python/report.py"))
	doc, _ := os.ReadFile(filepath.Join("..", "docs", "integrations", "python.md"))
	_, fn, _ := strings.Cut(string(report), "def token(")
	fn, _, _ = strings.Cut(fn, "\n\n")
	if !strings.Contains(string(doc), "def token("+fn) {
		t.Fatal("python.md shows a token() that differs from docs/examples/python/report.py")
	}
	if probe := u.RunTool("", "python3", "-c", "import requests"); probe.Code != 0 {
		docsRun.Lock()
		docsRun.toolMissing = true
		docsRun.Unlock()
		testtool.Missing(t, "python3 has no requests module: python-requests not run")
	}
	if out := okRun(t, "python-requests", u.runDoc(t, api, "python.md", "python-requests", dir)); !strings.Contains(out, "'ok': True") {
		t.Fatalf("requests_auth.py printed %q", out)
	}
}

// Every "<!-- e2e: NAME -->" block in docs/integrations is run by a test
// above. Runs last (Go runs tests in source order) and only when the whole
// docs set ran.
func TestDocsEveryMarkedExampleRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	files, _ := filepath.Glob(filepath.Join("..", "docs", "integrations", "*.md"))
	marker := regexp.MustCompile(`<!-- e2e: ([a-z0-9-]+) -->`)
	var missing []string
	docsRun.Lock()
	ran, toolMissing := len(docsRun.names), docsRun.toolMissing
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, m := range marker.FindAllStringSubmatch(string(data), -1) {
			if key := filepath.Base(f) + "#" + m[1]; !docsRun.names[key] {
				missing = append(missing, key)
			}
		}
	}
	docsRun.Unlock()
	if ran == 0 {
		t.Skip("no docs test ran (filtered with -run)")
	}
	sort.Strings(missing)
	if len(missing) > 0 && toolMissing {
		t.Skipf("not run, some for want of a program: %v", missing)
	}
	if len(missing) > 0 {
		t.Fatalf("doc examples that no test ran: %v", missing)
	}
}
