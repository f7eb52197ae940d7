package gitcred

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/flows/urls"
)

// DefaultUsername is answered when git did not send one. Servers that take a
// token as the password of HTTP Basic ignore the username.
const DefaultUsername = "fourinsight-token"

// Target is the protocol and host git asks about, from the attributes or from
// url= (which callers of helpers other than git may send).
func (as Attributes) Target() (protocol, host string) {
	protocol, host = as.Get("protocol"), as.Get("host")
	if protocol == "" {
		if u, err := url.Parse(as.Get("url")); err == nil {
			protocol, host = u.Scheme, u.Host
		}
	}
	return strings.ToLower(protocol), host
}

// MayAnswer reports whether a bearer token may answer a request for protocol
// and host (host or host:port): only over https, or over http to this
// machine. Anything else (a certificate passphrase, plain http to another
// machine) gets no answer, so that git asks elsewhere.
func MayAnswer(protocol, host string) bool {
	switch protocol {
	case "https":
		return host != ""
	case "http":
		return urls.IsLoopback(hostname(host))
	}
	return false
}

// hostname is host without its port: "h:1" → "h", "[::1]:1" → "::1".
func hostname(hostport string) string {
	if rest, ok := strings.CutPrefix(hostport, "["); ok {
		h, _, _ := strings.Cut(rest, "]")
		return h
	}
	if strings.Count(hostport, ":") == 1 {
		h, _, _ := strings.Cut(hostport, ":")
		return h
	}
	return hostport
}

// Answer is the answer to get with token, valid until expiry (zero: unknown):
// the Authorization header's parts when git announced capability authtype
// (git 2.46+; ephemeral, so that other helpers do not store a token this
// short-lived), else a username (git's, or DefaultUsername) and the token as
// password; with password_expiry_utc when the expiry is known.
func Answer(req Attributes, token string, expiry time.Time) Attributes {
	var out Attributes
	if req.HasCapability("authtype") {
		out = Attributes{
			{Key: "capability[]", Value: "authtype"},
			{Key: "authtype", Value: "Bearer"},
			{Key: "credential", Value: token},
			{Key: "ephemeral", Value: "1"},
		}
	} else {
		user := req.Get("username")
		if user == "" {
			user = DefaultUsername
		}
		out = Attributes{{Key: "username", Value: user}, {Key: "password", Value: token}}
	}
	if !expiry.IsZero() {
		out = append(out, Attribute{Key: "password_expiry_utc", Value: strconv.FormatInt(expiry.Unix(), 10)})
	}
	return out
}
