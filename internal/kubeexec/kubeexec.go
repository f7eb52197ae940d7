// Package kubeexec speaks the Kubernetes client-go exec credential plugin
// protocol: it reads the ExecCredential that kubectl passes in
// KUBERNETES_EXEC_INFO and writes the ExecCredential answer.
//
// See https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins
package kubeexec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/jsonobj"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
)

// The client authentication API versions this package speaks.
const (
	V1      = "client.authentication.k8s.io/v1"
	V1beta1 = "client.authentication.k8s.io/v1beta1"
)

// EnvVar is the variable kubectl passes the request in.
const EnvVar = "KUBERNETES_EXEC_INFO"

// ErrBadInfo: KUBERNETES_EXEC_INFO is not an ExecCredential this package can
// answer.
var ErrBadInfo = errors.New("bad KUBERNETES_EXEC_INFO")

// maxInfo bounds what Parse reads; kubectl's request is a few hundred bytes
// (a few KiB with provideClusterInfo and a CA bundle).
const maxInfo = 1 << 20

// Info is what the caller asked for.
type Info struct {
	// APIVersion is the version to answer in: V1 or V1beta1.
	APIVersion string
	// Interactive is false when kubectl said the plugin may not interact
	// with the user (spec.interactive: false: no terminal on stdin, or
	// interactiveMode: Never).
	Interactive bool
}

// Parse reads the value of KUBERNETES_EXEC_INFO. When it is empty the caller
// is not kubectl (a person trying the plugin by hand): the answer is V1 and
// interaction is allowed. A request that does not say whether the plugin may
// interact (v1beta1 from kubectl before 1.22) is taken as interactive; the
// broker still refuses terminal prompts where there is no terminal.
//
// It reads kind, apiVersion and spec.interactive and ignores the rest
// (spec.cluster with provideClusterInfo, …). kubectl runs the plugin for
// every request and the fast front answers it, so it reads without
// reflection (package jsonobj), keys matched as encoding/json matches them.
func Parse(raw string) (Info, error) {
	if strings.TrimSpace(raw) == "" {
		return Info{APIVersion: V1, Interactive: true}, nil
	}
	if len(raw) > maxInfo {
		return Info{}, fmt.Errorf("%w: %d bytes, more than an ExecCredential request can be", ErrBadInfo, len(raw))
	}
	data := []byte(raw)
	if !json.Valid(data) {
		return Info{}, fmt.Errorf("%w: not an ExecCredential: not JSON", ErrBadInfo)
	}
	var (
		kind, apiVersion string
		interactive      *bool
		wrong            string // the first field of the wrong type
	)
	wrongType := func(name string) {
		if wrong == "" {
			wrong = name
		}
	}
	str := func(p *string) func(string, []byte) bool {
		return func(name string, v []byte) bool {
			if !jsonobj.String(v, p) {
				wrongType(name)
			}
			return true
		}
	}
	spec := func(name string, v []byte) bool {
		switch v[0] {
		case '{':
			jsonobj.ReadFields(v, []jsonobj.Field{{Name: "interactive", Read: func(_ string, v []byte) bool {
				switch v[0] {
				case 't', 'f':
					b := v[0] == 't'
					interactive = &b
				case 'n':
					interactive = nil
				default:
					wrongType("spec.interactive")
				}
				return true
			}}})
		case 'n':
		default:
			wrongType(name)
		}
		return true
	}
	switch i := jsonobj.SkipSpace(data, 0); data[i] {
	case '{':
		jsonobj.ReadFields(data[i:], []jsonobj.Field{
			{Name: "kind", Read: str(&kind)},
			{Name: "apiVersion", Read: str(&apiVersion)},
			{Name: "spec", Read: spec},
		})
	case 'n': // null: nothing asked
	default:
		return Info{}, fmt.Errorf("%w: not an ExecCredential: not a JSON object", ErrBadInfo)
	}
	if wrong != "" {
		return Info{}, fmt.Errorf("%w: not an ExecCredential: %s has the wrong type", ErrBadInfo, wrong)
	}
	if kind != "" && kind != "ExecCredential" {
		return Info{}, fmt.Errorf("%w: a %q, not an ExecCredential", ErrBadInfo, clip(kind))
	}
	info := Info{APIVersion: apiVersion, Interactive: true}
	switch info.APIVersion {
	case "":
		info.APIVersion = V1
	case V1, V1beta1:
	default:
		return Info{}, fmt.Errorf("%w: kubectl asks for apiVersion %q; this plugin speaks %s and %s: set apiVersion: %s in the kubeconfig's exec section",
			ErrBadInfo, clip(info.APIVersion), V1, V1beta1, V1)
	}
	if interactive != nil {
		info.Interactive = *interactive
	}
	return info, nil
}

// Credential is the answer: an ExecCredential with a bearer token.
type Credential struct {
	Kind       string   `json:"kind"`
	APIVersion string   `json:"apiVersion"`
	Spec       struct{} `json:"spec"`
	Status     Status   `json:"status"`
}

// Status carries the token. ExpirationTimestamp tells kubectl when to run the
// plugin again; without it kubectl keeps the token for the life of the
// process (and runs the plugin again after a 401).
type Status struct {
	Token               string `json:"token"`
	ExpirationTimestamp string `json:"expirationTimestamp,omitempty"`
}

// NewCredential builds the answer in the version info asked for. A zero
// expiry is left out.
func NewCredential(info Info, token string, expiry time.Time) Credential {
	c := Credential{Kind: "ExecCredential", APIVersion: info.APIVersion}
	if c.APIVersion == "" {
		c.APIVersion = V1
	}
	c.Status.Token = token
	if !expiry.IsZero() {
		c.Status.ExpirationTimestamp = expiry.UTC().Format(time.RFC3339)
	}
	return c
}

// clip keeps error messages one short printable line whatever the input held.
func clip(s string) string { return printable.Cut(printable.Line(s), 60) }

// Encode renders the credential as encoding/json does with two-space
// indentation, newline included, without reflection (the fast front prints
// it for every kubectl request). TestCredentialEncodeIsEncodingJSON holds
// it to encoding/json.
func (c Credential) Encode() []byte {
	b := make([]byte, 0, 256+len(c.Status.Token))
	b = append(b, "{\n  \"kind\": "...)
	b = appendString(b, c.Kind)
	b = append(b, ",\n  \"apiVersion\": "...)
	b = appendString(b, c.APIVersion)
	b = append(b, ",\n  \"spec\": {},\n  \"status\": {\n    \"token\": "...)
	b = appendString(b, c.Status.Token)
	if c.Status.ExpirationTimestamp != "" {
		b = append(b, ",\n    \"expirationTimestamp\": "...)
		b = appendString(b, c.Status.ExpirationTimestamp)
	}
	return append(b, "\n  }\n}\n"...)
}

// appendString appends s as a JSON string: as it is when nothing in it
// needs escaping (a token, a version, a time), else as encoding/json
// escapes it (HTML characters, U+2028 and U+2029 included).
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
