package kubeexec

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name        string
		raw         string
		want        Info
		wantErr     bool
		errContains string
	}{
		{name: "absent", raw: "", want: Info{APIVersion: V1, Interactive: true}},
		{name: "blank", raw: "  \n", want: Info{APIVersion: V1, Interactive: true}},
		{
			name: "v1 not interactive",
			raw:  `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`,
			want: Info{APIVersion: V1, Interactive: false},
		},
		{
			name: "v1 interactive",
			raw:  `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}`,
			want: Info{APIVersion: V1, Interactive: true},
		},
		{
			name: "v1beta1 with cluster info",
			raw:  `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"cluster":{"server":"https://k8s.example","certificate-authority-data":"AAAA","config":null},"interactive":false}}`,
			want: Info{APIVersion: V1beta1, Interactive: false},
		},
		{
			name: "v1beta1 from old kubectl without interactive",
			raw:  `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}`,
			want: Info{APIVersion: V1beta1, Interactive: true},
		},
		{name: "no apiVersion", raw: `{"spec":{"interactive":false}}`, want: Info{APIVersion: V1}},
		{name: "v1alpha1 refused", raw: `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1"}`, wantErr: true, errContains: "v1alpha1"},
		{name: "other kind", raw: `{"kind":"Pod","apiVersion":"v1"}`, wantErr: true, errContains: "Pod"},
		{name: "not JSON", raw: `apiVersion: v1`, wantErr: true, errContains: "not an ExecCredential"},
		{name: "interactive not a bool", raw: `{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":"no"}}`, wantErr: true},
		{name: "too large", raw: `{"x":"` + strings.Repeat("a", maxInfo) + `"}`, wantErr: true, errContains: "bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.raw)
			if tt.wantErr {
				if !errors.Is(err, ErrBadInfo) {
					t.Fatalf("Parse: err = %v, want ErrBadInfo", err)
				}
				if !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("error %q does not mention %q", err, tt.errContains)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNewCredential(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))
	tests := []struct {
		name string
		info Info
		exp  time.Time
		want string
	}{
		{"v1", Info{APIVersion: V1}, exp, `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{},"status":{"token":"tok","expirationTimestamp":"2030-01-02T02:04:05Z"}}`},
		{"v1beta1", Info{APIVersion: V1beta1}, exp, `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{},"status":{"token":"tok","expirationTimestamp":"2030-01-02T02:04:05Z"}}`},
		{"no expiry", Info{}, time.Time{}, `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{},"status":{"token":"tok"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(NewCredential(tt.info, "tok", tt.exp))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// FuzzParseExecInfo: Parse never panics, answers only in a version it
// speaks, keeps its errors to one line, and its answer is valid JSON that
// reads back as the same version.
func FuzzParseExecInfo(f *testing.F) {
	for _, s := range []string{
		"",
		`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`,
		`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"cluster":{"server":"https://x"},"interactive":true}}`,
		`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`,
		`{"kind":"ExecCredential","spec":null}`,
		`{"spec":{"interactive":null}}`,
		`[1,2]`, `null`, `"s"`, `{"kind":"\u0000\n"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		info, err := Parse(raw)
		if want, wantErr := parseByEncodingJSON(raw); (err == nil) != (wantErr == nil) || err == nil && info != want {
			t.Fatalf("Parse(%q) = %+v, %v; encoding/json reads %+v, %v", raw, info, err, want, wantErr)
		}
		if err != nil {
			if !errors.Is(err, ErrBadInfo) {
				t.Fatalf("error not ErrBadInfo: %v", err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if info.APIVersion != V1 && info.APIVersion != V1beta1 {
			t.Fatalf("answers in %q", info.APIVersion)
		}
		out := NewCredential(info, "tok", time.Unix(1e9, 0)).Encode()
		back, err := Parse(string(out))
		if err != nil || back.APIVersion != info.APIVersion {
			t.Fatalf("the answer does not read back: %v %+v", err, back)
		}
	})
}

// parseByEncodingJSON is Parse as it read the request through encoding/json
// (the reference FuzzParseExecInfo holds Parse to).
func parseByEncodingJSON(raw string) (Info, error) {
	if strings.TrimSpace(raw) == "" {
		return Info{APIVersion: V1, Interactive: true}, nil
	}
	if len(raw) > maxInfo {
		return Info{}, ErrBadInfo
	}
	var req struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
		Spec       struct {
			Interactive *bool `json:"interactive"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		return Info{}, err
	}
	if req.Kind != "" && req.Kind != "ExecCredential" || req.APIVersion != "" && req.APIVersion != V1 && req.APIVersion != V1beta1 {
		return Info{}, ErrBadInfo
	}
	info := Info{APIVersion: cmp.Or(req.APIVersion, V1), Interactive: req.Spec.Interactive == nil || *req.Spec.Interactive}
	return info, nil
}

// Encode writes what encoding/json writes, indented as kubectl's examples.
func TestCredentialEncodeIsEncodingJSON(t *testing.T) {
	for _, c := range []Credential{
		NewCredential(Info{APIVersion: V1}, "eyJ.abc-_~+/=", time.Date(2026, 11, 30, 12, 0, 0, 0, time.FixedZone("x", 3600))),
		NewCredential(Info{APIVersion: V1beta1}, "t", time.Time{}),
		NewCredential(Info{}, "a\"b<>&\u2028\x01é\xff", time.Unix(1e9, 0)),
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
		if got := c.Encode(); string(got) != want.String() {
			t.Errorf("Encode() =\n%s\nencoding/json:\n%s", got, want.String())
		}
	}
}
