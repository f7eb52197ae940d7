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

// request is the part of the ExecCredential request this package reads;
// everything else (spec.cluster with provideClusterInfo, …) is ignored.
type request struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Spec       struct {
		Interactive *bool `json:"interactive"`
	} `json:"spec"`
}

// Parse reads the value of KUBERNETES_EXEC_INFO. When it is empty the caller
// is not kubectl (a person trying the plugin by hand): the answer is V1 and
// interaction is allowed. A request that does not say whether the plugin may
// interact (v1beta1 from kubectl before 1.22) is taken as interactive; the
// broker still refuses terminal prompts where there is no terminal.
func Parse(raw string) (Info, error) {
	if strings.TrimSpace(raw) == "" {
		return Info{APIVersion: V1, Interactive: true}, nil
	}
	if len(raw) > maxInfo {
		return Info{}, fmt.Errorf("%w: %d bytes, more than an ExecCredential request can be", ErrBadInfo, len(raw))
	}
	var req request
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		return Info{}, fmt.Errorf("%w: not an ExecCredential: %v", ErrBadInfo, err)
	}
	if req.Kind != "" && req.Kind != "ExecCredential" {
		return Info{}, fmt.Errorf("%w: a %q, not an ExecCredential", ErrBadInfo, clip(req.Kind))
	}
	info := Info{APIVersion: req.APIVersion, Interactive: true}
	switch info.APIVersion {
	case "":
		info.APIVersion = V1
	case V1, V1beta1:
	default:
		return Info{}, fmt.Errorf("%w: kubectl asks for apiVersion %q; this plugin speaks %s and %s: set apiVersion: %s in the kubeconfig's exec section",
			ErrBadInfo, clip(info.APIVersion), V1, V1beta1, V1)
	}
	if req.Spec.Interactive != nil {
		info.Interactive = *req.Spec.Interactive
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
