package testop

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// The pages a person (or the scripted user below) sees. Credentials are
// prefilled: this provider exists only for tests and demos.
var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html><html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}pre{background:#eee;padding:1em;white-space:pre-wrap;word-break:break-all}.err{color:#b00}</style>
</head><body><h1>{{.Title}}</h1><p><small>fourinsight-token test provider — not a real 4insight sign-in.</small></p>
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}{{end}}

{{define "login"}}{{template "head" .}}
<form method="post" action="` + loginPath + `">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<p><label>Username <input name="username" value="{{.Username}}"></label></p>
<p><label>Password <input type="password" name="password" value="{{.Password}}"></label></p>
<p><button type="submit">Sign in</button></p>
</form></body></html>{{end}}

{{define "device"}}{{template "head" .}}
<form method="post" action="` + devicePath + `">
<p><label>Code shown on your device <input name="user_code" value="{{.ID}}"></label></p>
<p><label>Username <input name="username" value="{{.Username}}"></label></p>
<p><label>Password <input type="password" name="password" value="{{.Password}}"></label></p>
<p><button name="action" value="allow">Allow</button> <button name="action" value="deny">Deny</button></p>
</form></body></html>{{end}}

{{define "message"}}{{template "head" .}}<p>{{.Message}}</p></body></html>{{end}}

{{define "paste"}}{{template "head" .}}
<p>Signed in as {{.Username}}. Copy this into fourinsight-token:</p>
<pre>{{.Message}}</pre></body></html>{{end}}
`))

type pageData struct {
	Title, Error, ID, Username, Password, Message string
}

func render(w http.ResponseWriter, status int, name string, d pageData) {
	if d.Username == "" {
		d.Username, d.Password = TestUsername, TestPassword
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	pages.ExecuteTemplate(w, name, d)
}

// handleLogin is the login page the OP sends the browser to. A successful
// sign-in completes the auth request and returns to the OP's callback,
// which redirects to the client's redirect_uri with the code.
func (p *Provider) handleLogin(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("authRequestID")
	d := pageData{Title: "Sign in", ID: id}
	if !p.st.authRequestExists(id) {
		d.Error = "Unknown or finished sign-in request. Start again from the application."
		render(w, http.StatusBadRequest, "message", d)
		return
	}
	if r.Method != http.MethodPost {
		render(w, http.StatusOK, "login", d)
		return
	}
	if !checkUser(r.PostFormValue("username"), r.PostFormValue("password")) {
		d.Error = "Wrong username or password."
		d.Username, d.Password = r.PostFormValue("username"), " "
		render(w, http.StatusUnauthorized, "login", d)
		return
	}
	if err := p.st.completeAuthRequest(id, TestUserSubject); err != nil {
		d.Error = err.Error()
		render(w, http.StatusBadRequest, "message", d)
		return
	}
	callback := op.AuthCallbackURL(p.op)(op.ContextWithIssuer(r.Context(), p.issuer), id)
	http.Redirect(w, r, callback, http.StatusSeeOther)
}

// handleDevice is the verification_uri of the device flow: the user signs
// in and allows or denies the code shown on the device.
func (p *Provider) handleDevice(w http.ResponseWriter, r *http.Request) {
	d := pageData{Title: "Connect a device", ID: r.FormValue("user_code")}
	if r.Method != http.MethodPost {
		render(w, http.StatusOK, "device", d)
		return
	}
	if !checkUser(r.PostFormValue("username"), r.PostFormValue("password")) {
		d.Error = "Wrong username or password."
		render(w, http.StatusUnauthorized, "device", d)
		return
	}
	approve := r.PostFormValue("action") == "allow"
	if err := p.st.decideDevice(d.ID, approve); err != nil {
		d.Error = err.Error()
		render(w, http.StatusBadRequest, "device", d)
		return
	}
	d.Message = "Device denied."
	if approve {
		d.Message = "Device allowed. You can return to your device."
	}
	render(w, http.StatusOK, "message", d)
}

// pastePackage is the JSON 4insight's sign-in page shows for the paste flow.
type pastePackage struct {
	Endpoint string `json:"endpoint"`
	Code     string `json:"code"`
}

// handleAuthPage emulates 4insight's sign-in page: it signs in the test user
// (no typing) and shows a paste package.
func (p *Provider) handleAuthPage(w http.ResponseWriter, r *http.Request) {
	pkg, err := p.PastePackage()
	p.showPaste(w, r, pkg, err)
}

// handleAuthCallback is the user client's redirect_uri, so a browser that
// went through /authorize by hand also ends on a paste package.
func (p *Provider) handleAuthCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		p.showPaste(w, r, "", fmt.Errorf("%s: %s", e, q.Get("error_description")))
		return
	}
	b, err := json.Marshal(pastePackage{Endpoint: p.TokenURL(), Code: q.Get("code")})
	p.showPaste(w, r, string(b), err)
}

func (p *Provider) showPaste(w http.ResponseWriter, r *http.Request, pkg string, err error) {
	html := strings.Contains(r.Header.Get("Accept"), "text/html")
	switch {
	case err != nil && html:
		render(w, http.StatusInternalServerError, "message", pageData{Title: "Sign-in failed", Error: err.Error()})
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	case html:
		render(w, http.StatusOK, "paste", pageData{Title: "Signed in", Message: pkg})
	default:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, pkg+"\n")
	}
}

// userAgent is the scripted user's browser: a cookie jar, and redirects
// handed back to the caller so each hop can be inspected.
func userAgent() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Login plays the test user in a browser: it opens authorizeURL, signs in
// on the login page and follows redirects until one leaves the provider's
// own sign-in pages, and returns that URL without requesting it, so the
// caller can deliver it to its loopback listener or read the code (or the
// error) from it.
func (p *Provider) Login(authorizeURL string) (*url.URL, error) {
	return login(authorizeURL, p.issuer, p.op.AuthorizationEndpoint().Relative())
}

// LoginAt is Login for a process that has no *Provider, such as the e2e
// tests' stand-in browser (internal/testbrowser): authorizeURL must be the
// authorization endpoint of a testop provider, which it finds from there.
func LoginAt(authorizeURL string) (*url.URL, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("testop: login: %q is not an authorization URL", authorizeURL)
	}
	return login(authorizeURL, u.Scheme+"://"+u.Host, u.Path)
}

// login plays the test user against the provider at issuer, whose
// authorization endpoint has the path authPath.
func login(authorizeURL, issuer, authPath string) (*url.URL, error) {
	ua := userAgent()
	internal := map[string]bool{
		authPath:               true,
		authPath + "/callback": true,
		loginPath:              true,
	}
	self, _ := url.Parse(issuer)
	req, err := http.NewRequest(http.MethodGet, authorizeURL, nil)
	if err != nil {
		return nil, fmt.Errorf("testop: login: %w", err)
	}
	for range 10 {
		resp, err := ua.Do(req)
		if err != nil {
			return nil, fmt.Errorf("testop: login: %w", err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				return nil, fmt.Errorf("testop: login: %w", err)
			}
			if loc.Host != self.Host || !internal[loc.Path] {
				return loc, nil
			}
			req, _ = http.NewRequest(http.MethodGet, loc.String(), nil)
		case resp.StatusCode == http.StatusOK && req.Method == http.MethodGet && req.URL.Path == loginPath:
			form := url.Values{
				"authRequestID": {req.URL.Query().Get("authRequestID")},
				"username":      {TestUsername},
				"password":      {TestPassword},
			}
			req, _ = http.NewRequest(http.MethodPost, req.URL.String(), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		default:
			return nil, fmt.Errorf("testop: login: %s %s answered %s: %s", req.Method, req.URL, resp.Status, body)
		}
	}
	return nil, fmt.Errorf("testop: login: too many redirects from %s", authorizeURL)
}

// PastePackage does what a person does on 4insight's sign-in page: runs an
// authorization-code flow for the user client (scope "openid
// offline_access", so the code yields a refresh token) and returns the
// JSON the page shows: {"endpoint": TokenURL(), "code": "..."}.
// The code is single-use and must be redeemed with UserClientID and
// UserClientSecret; redirect_uri may be left out.
func (p *Provider) PastePackage() (string, error) {
	state := rand.Text()
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {UserClientID},
		"redirect_uri":  {p.issuer + authCallbackPath},
		"scope":         {"openid profile email offline_access"},
		"state":         {state},
	}
	redirect, err := p.Login(p.AuthURL() + "?" + q.Encode())
	if err != nil {
		return "", err
	}
	rq := redirect.Query()
	if e := rq.Get("error"); e != "" {
		return "", fmt.Errorf("testop: sign-in failed: %s: %s", e, rq.Get("error_description"))
	}
	if rq.Get("state") != state || rq.Get("code") == "" {
		return "", fmt.Errorf("testop: sign-in returned an unexpected redirect %s", redirect)
	}
	b, err := json.Marshal(pastePackage{Endpoint: p.TokenURL(), Code: rq.Get("code")})
	return string(b), err
}

// ApproveDevice plays the test user allowing a device's user code on the
// verification page.
func (p *Provider) ApproveDevice(userCode string) error { return p.decideDevice(userCode, "allow") }

// DenyDevice plays the test user denying a device's user code; the device's
// next poll gets access_denied.
func (p *Provider) DenyDevice(userCode string) error { return p.decideDevice(userCode, "deny") }

func (p *Provider) decideDevice(userCode, action string) error {
	resp, err := userAgent().PostForm(p.issuer+devicePath, url.Values{
		"user_code": {userCode},
		"username":  {TestUsername},
		"password":  {TestPassword},
		"action":    {action},
	})
	if err != nil {
		return fmt.Errorf("testop: device %s: %w", action, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("testop: device %s of %q: %s", action, userCode, resp.Status)
	}
	return nil
}
