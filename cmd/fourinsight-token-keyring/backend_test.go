package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/store/keyring"
)

const entry = `{"access_token":"eyJhbGciOiJSUzI1NiJ9.unit-test-token.sig","refresh_token":"unit-test-refresh","expires_at":1900000000}`

func fileReq(dir, op, key, data, password string) keyring.Request {
	return keyring.Request{V: keyring.Protocol, Op: op, Backend: keyring.BackendFile, Key: key, Data: data, FileDir: dir, Password: password}
}

// The encrypted-file backend, step by step: what each request answers.
func TestFileBackend(t *testing.T) {
	t.Setenv(keyring.PasswordEnv, "")
	dir := filepath.Join(t.TempDir(), "keyring")
	s := newServer()
	steps := []struct {
		name     string
		req      keyring.Request
		ok       bool
		code     string
		data     string
		keys     []string
		newFile  bool
		errMatch string
	}{
		{name: "list of nothing", req: fileReq(dir, keyring.OpList, "", "", ""), ok: true, keys: []string{}},
		{name: "get needs a password, a new one", req: fileReq(dir, keyring.OpGet, "token.ws0", "", ""), code: keyring.CodeNeedPassword, newFile: true, errMatch: keyring.PasswordEnv},
		{name: "get with one: not there", req: fileReq(dir, keyring.OpGet, "token.ws0", "", "pw1"), code: keyring.CodeNotFound},
		{name: "set needs a password", req: fileReq(dir, keyring.OpSet, "token.ws0", entry, ""), code: keyring.CodeNeedPassword, newFile: true},
		{name: "set", req: fileReq(dir, keyring.OpSet, "token.ws0", entry, "pw1"), ok: true},
		{name: "get", req: fileReq(dir, keyring.OpGet, "token.ws0", "", "pw1"), ok: true, data: entry},
		{name: "get needs the password, not a new one", req: fileReq(dir, keyring.OpGet, "token.ws0", "", ""), code: keyring.CodeNeedPassword},
		{name: "wrong password", req: fileReq(dir, keyring.OpGet, "token.ws0", "", "pw2"), code: keyring.CodeBadPassword, errMatch: "does not open"},
		{name: "wrong password, missing item", req: fileReq(dir, keyring.OpGet, "token", "", "pw2"), code: keyring.CodeBadPassword},
		{name: "wrong password cannot write", req: fileReq(dir, keyring.OpSet, "token", entry, "pw2"), code: keyring.CodeBadPassword},
		{name: "default session", req: fileReq(dir, keyring.OpSet, "token", `{"access_token":"x"}`, "pw1"), ok: true},
		{name: "list", req: fileReq(dir, keyring.OpList, "", "", ""), ok: true, keys: []string{"token", "token.ws0"}},
		{name: "delete", req: fileReq(dir, keyring.OpDelete, "token.ws0", "", ""), ok: true},
		{name: "delete again", req: fileReq(dir, keyring.OpDelete, "token.ws0", "", ""), ok: true},
		{name: "list after delete", req: fileReq(dir, keyring.OpList, "", "", ""), ok: true, keys: []string{"token"}},
		{name: "relative dir", req: fileReq("keyring", keyring.OpList, "", "", ""), code: keyring.CodeBadRequest},
	}
	for _, st := range steps {
		r := s.handle(st.req)
		if r.OK != st.ok || r.Code != st.code || r.Data != st.data || r.NewFile != st.newFile {
			t.Fatalf("%s: got ok=%v code=%q new=%v data=%q (%s)", st.name, r.OK, r.Code, r.NewFile, r.Data, r.Error)
		}
		if st.keys != nil && !reflect.DeepEqual(r.Keys, st.keys) {
			t.Fatalf("%s: keys %v, want %v", st.name, r.Keys, st.keys)
		}
		if !strings.Contains(r.Error, st.errMatch) {
			t.Fatalf("%s: error %q does not say %q", st.name, r.Error, st.errMatch)
		}
		if r.Backend != keyring.BackendFile && st.code != keyring.CodeBadRequest {
			t.Fatalf("%s: backend %q", st.name, r.Backend)
		}
		for _, secret := range []string{"pw1", "pw2", "unit-test"} {
			if strings.Contains(r.Error, secret) {
				t.Fatalf("%s: the error shows a secret: %s", st.name, r.Error)
			}
		}
	}
	// What is left on disk: one encrypted item, private, no temporary
	// directories, nothing readable.
	names, _ := os.ReadDir(dir)
	if len(names) != 1 || names[0].Name() != "token" {
		t.Fatalf("keyring directory holds %v", names)
	}
	info, _ := os.Stat(filepath.Join(dir, "token"))
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("item mode %v", info.Mode().Perm())
	}
	if d, _ := os.Stat(dir); d.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v", d.Mode().Perm())
	}
	data, _ := os.ReadFile(filepath.Join(dir, "token"))
	if bytes.Contains(data, []byte("access_token")) || bytes.Count(data, []byte(".")) != 4 {
		t.Fatalf("the item is not an opaque JWE: %.40s", data)
	}
}

// FOURINSIGHT_KEYRING_PASSWORD serves when the request carries none.
func TestFileBackendPasswordFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(keyring.PasswordEnv, "from-env")
	s := newServer()
	if r := s.handle(fileReq(dir, keyring.OpSet, "token.a", entry, "")); !r.OK {
		t.Fatalf("set: %v", r)
	}
	if r := s.handle(fileReq(dir, keyring.OpGet, "token.a", "", "")); !r.OK || r.Data != entry {
		t.Fatalf("get: %v", r)
	}
	if r := s.handle(fileReq(dir, keyring.OpGet, "token.a", "", "typed-instead")); r.Code != keyring.CodeBadPassword {
		t.Fatalf("a typed password must win over the environment: %v", r)
	}
}

func TestProtocolRefusals(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		req  keyring.Request
		code string
		msg  string
	}{
		{"other version", keyring.Request{V: 2, Op: keyring.OpList}, keyring.CodeBadRequest, "same release"},
		{"unknown op", keyring.Request{V: 1, Op: "dump"}, keyring.CodeBadRequest, "unknown operation"},
		{"not an item", keyring.Request{V: 1, Op: keyring.OpGet, Key: "../etc/passwd"}, keyring.CodeBadRequest, "not a session's item"},
		{"lock file name", keyring.Request{V: 1, Op: keyring.OpGet, Key: "token.x.lock"}, keyring.CodeBadRequest, "not a session's item"},
		{"unknown backend", keyring.Request{V: 1, Op: keyring.OpList, Backend: "vault"}, keyring.CodeBadRequest, "unknown keyring backend"},
		{"absent backend", keyring.Request{V: 1, Op: keyring.OpList, Backend: absentBackend(), FileDir: dir}, keyring.CodeUnavailable, "--keyring-backend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newServer().handle(tt.req)
			if r.OK || r.Code != tt.code || !strings.Contains(r.Error, tt.msg) {
				t.Fatalf("got %+v, want %s saying %q", r, tt.code, tt.msg)
			}
		})
	}
}

// absentBackend is a backend that does not exist on this OS.
func absentBackend() string {
	if isAvailable(keyring.BackendWinCred) {
		return keyring.BackendKeychain
	}
	return keyring.BackendWinCred
}

// serve: one answer line per request line, malformed lines included.
func TestServeLines(t *testing.T) {
	t.Setenv(keyring.PasswordEnv, "")
	dir := t.TempDir()
	var in bytes.Buffer
	for _, r := range []any{
		fileReq(dir, keyring.OpSet, "token.a", entry, "pw"),
		fileReq(dir, keyring.OpGet, "token.a", "", "pw"),
		"not a request",
		fileReq(dir, keyring.OpList, "", "", ""),
	} {
		if s, ok := r.(string); ok {
			in.WriteString(s + "\n")
			continue
		}
		line, _ := json.Marshal(r)
		in.Write(append(line, '\n'))
	}
	var out bytes.Buffer
	if err := serve(&in, &out, newServer()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d answers for 4 requests:\n%s", len(lines), out.String())
	}
	var resps []keyring.Response
	for _, l := range lines {
		var r keyring.Response
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		resps = append(resps, r)
	}
	if !resps[0].OK || resps[1].Data != entry || resps[2].Code != keyring.CodeBadRequest || !reflect.DeepEqual(resps[3].Keys, []string{"token.a"}) {
		t.Fatalf("answers: %+v", resps)
	}
}

func TestItemNames(t *testing.T) {
	tests := []struct {
		backend string
		keys    []string
		want    []string
	}{
		{keyring.BackendFile, []string{"token", "token.ws0", ".write-123", "token.bad/key", "other", "token."}, []string{"token", "token.ws0"}},
		{keyring.BackendSecretService, []string{"fourinsight-token/token", "token.x", "fourinsight-token/token.ws0", "Chrome Safe Storage"}, []string{"token", "token.ws0"}},
		{keyring.BackendKeychain, []string{"token.b", "token.a", "token.a.lock"}, []string{"token.a", "token.b"}},
		{keyring.BackendKeychain, nil, []string{}},
	}
	for _, tt := range tests {
		if got := itemNames(tt.backend, tt.keys); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("itemNames(%s, %v) = %v, want %v", tt.backend, tt.keys, got, tt.want)
		}
	}
	if got := itemKey(keyring.BackendSecretService, "token.ws0"); got != "fourinsight-token/token.ws0" {
		t.Errorf("secret-service key %q", got)
	}
	if got := itemKey(keyring.BackendKeychain, "token"); got != "token" {
		t.Errorf("keychain key %q", got)
	}
}

func TestTooLarge(t *testing.T) {
	tests := []struct {
		backend string
		size    int
		refused bool
	}{
		{keyring.BackendWinCred, 2560, false},
		{keyring.BackendWinCred, 2561, true},
		{keyring.BackendKeyctl, 32767, false},
		{keyring.BackendKeyctl, 40000, true},
		{keyring.BackendSecretService, 1 << 20, false},
		{keyring.BackendKeychain, 100000, false},
	}
	for _, tt := range tests {
		r := tooLarge(tt.backend, tt.size)
		if (r != nil) != tt.refused {
			t.Errorf("%s, %d bytes: refused %v, want %v", tt.backend, tt.size, r != nil, tt.refused)
			continue
		}
		if r != nil && (r.Code != keyring.CodeTooLarge || !strings.Contains(r.Error, "--keyring-backend") || !strings.Contains(r.Error, "bytes")) {
			t.Errorf("%s: unclear refusal %+v", tt.backend, r)
		}
	}
}

func TestDecodeLabel(t *testing.T) {
	for in, want := range map[string]string{"login": "login", "my_20keys": "my keys", "a_2": "a_2", "x_zz": "x_zz", "_5f": "_"} {
		if got := decodeLabel(in); got != want {
			t.Errorf("decodeLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCommandLine(t *testing.T) {
	var out, errb bytes.Buffer
	if code := command([]string{"version"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "protocol 1") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	out.Reset()
	if code := command([]string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage") {
		t.Fatalf("unknown: %d %q", code, errb.String())
	}
}
