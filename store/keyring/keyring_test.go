package keyring

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/dbusaddr"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// TestFakeKeyringHelper is not a test: run by fakeHelper's script, it plays
// fourinsight-token-keyring as FAKE_KEYRING_MODE says, keeping items in the
// JSON file FAKE_KEYRING_STATE.
func TestFakeKeyringHelper(t *testing.T) {
	mode := os.Getenv("FAKE_KEYRING_MODE")
	if mode == "" {
		t.Skip("run as the fake keyring helper only")
	}
	os.Exit(fakeHelperMain(mode, os.Getenv("FAKE_KEYRING_STATE")))
}

func fakeHelperMain(mode, state string) int {
	switch mode {
	case "hang":
		time.Sleep(time.Hour)
		return 1
	case "crash":
		fmt.Fprintln(os.Stderr, "org.freedesktop.DBus.Error.ServiceUnknown: no secrets here")
		return 1
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if mode == "garbage" {
			fmt.Println("this is not JSON")
			continue
		}
		var req Request
		json.Unmarshal(sc.Bytes(), &req)
		items := map[string]string{}
		if data, err := os.ReadFile(state); err == nil {
			json.Unmarshal(data, &items)
		}
		resp := Response{OK: true, Backend: BackendSecretService}
		if mode == "password" {
			resp.Backend = BackendFile
			if req.Password == "" {
				resp = Response{Backend: BackendFile, Code: CodeNeedPassword, Error: "needs its password", NewFile: len(items) == 0}
			} else if req.Password != "right" {
				resp = Response{Backend: BackendFile, Code: CodeBadPassword, Error: "the password does not open the encrypted keyring file"}
			}
		}
		if resp.OK {
			switch req.Op {
			case OpGet:
				if d, ok := items[req.Key]; ok {
					resp.Data = d
				} else {
					resp = Response{Backend: resp.Backend, Code: CodeNotFound}
				}
			case OpSet:
				if len(req.Data) > 3000 {
					resp = Response{Backend: resp.Backend, Code: CodeTooLarge, Error: "the entry is too large for the wincred keyring; use --store file"}
				}
				items[req.Key] = req.Data
			case OpDelete:
				delete(items, req.Key)
			case OpList:
				for k := range items {
					resp.Keys = append(resp.Keys, k)
				}
				resp.Keys = append(resp.Keys, "not-ours", "token.bad key")
			}
			data, _ := json.Marshal(items)
			os.WriteFile(state, data, 0o600)
		}
		line, _ := json.Marshal(resp)
		fmt.Println(string(line))
	}
	return 0
}

// fakeKeyring is a Store whose helper is this test binary in mode.
func fakeKeyring(t *testing.T, mode string) (*Store, string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake helper is a shell script")
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "items.json")
	script := filepath.Join(dir, "fake-helper")
	body := fmt.Sprintf("#!/bin/sh\nFAKE_KEYRING_MODE=%s FAKE_KEYRING_STATE='%s' exec '%s' -test.run='^TestFakeKeyringHelper$'\n", mode, state, os.Args[0])
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	k := &Store{Dir: cache, Helper: script, Timeout: 5 * time.Second}
	t.Cleanup(func() { k.Close() })
	return k, state
}

func testEntry(token string) *store.Entry {
	return &store.Entry{AccessToken: token, RefreshToken: "refresh-" + token, ExpiresAt: time.Now().Add(time.Hour).Truncate(time.Second), TokenURL: "https://idp.example/token"}
}

func TestKeyringRoundTrip(t *testing.T) {
	k, _ := fakeKeyring(t, "mem")
	if _, err := k.Load("ws0"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("empty keyring: %v", err)
	}
	for _, key := range []string{"", "ws0", "default"} {
		if err := k.Save(key, testEntry("tok-"+key)); err != nil {
			t.Fatalf("save %q: %v", key, err)
		}
	}
	for _, key := range []string{"", "ws0", "default"} {
		e, err := k.Load(key)
		if err != nil || e.AccessToken != "tok-"+key || e.RefreshToken != "refresh-tok-"+key || e.TokenURL != "https://idp.example/token" {
			t.Fatalf("load %q: %+v, %v", key, e, err)
		}
		if _, ok, err := (store.File{Dir: k.Dir}).InKeyring(key); !ok || err != nil {
			t.Fatalf("no marker for %q", key)
		}
	}
	keys, err := k.Keys()
	if err != nil || !reflect.DeepEqual(keys, []string{"", "default", "ws0"}) {
		t.Fatalf("keys %q, %v (foreign names must be left out)", keys, err)
	}
	if err := k.Delete("ws0"); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete("ws0"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
	if _, err := k.Load("ws0"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if _, ok, _ := (store.File{Dir: k.Dir}).InKeyring("ws0"); ok {
		t.Fatal("delete left the marker")
	}
	if err := k.Save("bad key", testEntry("x")); !errors.Is(err, store.ErrBadKey) {
		t.Fatalf("bad key: %v", err)
	}
	// Every entry is stored compact, as the backends' size limits count.
	if data, _ := os.ReadFile(filepath.Join(filepath.Dir(k.Helper), "items.json")); strings.Contains(string(data), `\n`) {
		t.Fatalf("entry stored with newlines: %s", data)
	}
}

// The two stores point at each other instead of signing in again.
func TestStoresSayWhereASessionIs(t *testing.T) {
	k, _ := fakeKeyring(t, "mem")
	f := store.File{Dir: k.Dir}
	if err := f.Save("filed", testEntry("a")); err != nil {
		t.Fatal(err)
	}
	_, err := k.Load("filed")
	if !errors.Is(err, store.ErrOtherStore) || !strings.Contains(err.Error(), "fourinsight-token logout --store file -s filed") {
		t.Fatalf("keyring load of a file session: %v", err)
	}
	if err := k.Save("kept", testEntry("b")); err != nil {
		t.Fatal(err)
	}
	_, err = f.Load("kept")
	if !errors.Is(err, store.ErrOtherStore) || !strings.Contains(err.Error(), "kept in the keyring (secret-service)") {
		t.Fatalf("file load of a keyring session: %v", err)
	}
	if _, err := f.Load("nowhere"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("file load of no session: %v", err)
	}
	// Saved by another backend than the one in use now.
	if err := f.MarkInKeyring("moved", BackendKWallet); err != nil {
		t.Fatal(err)
	}
	_, err = k.Load("moved")
	if !errors.Is(err, store.ErrOtherStore) || !strings.Contains(err.Error(), "--keyring-backend kwallet") {
		t.Fatalf("keyring load of a session in another backend: %v", err)
	}
	keys, _ := f.Keys()
	if !reflect.DeepEqual(keys, []string{"filed"}) {
		t.Fatalf("the file store lists %q: markers are not sessions", keys)
	}
}

func TestKeyringFailures(t *testing.T) {
	tests := []struct {
		mode    string
		timeout time.Duration
		is      error
		says    string
	}{
		{"hang", 300 * time.Millisecond, ErrTimeout, "did not answer within 300ms"},
		{"crash", 5 * time.Second, nil, "ServiceUnknown: no secrets here"},
		{"garbage", 5 * time.Second, ErrUnusable, "not its protocol"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			k, _ := fakeKeyring(t, tt.mode)
			k.Timeout = tt.timeout
			start := time.Now()
			_, err := k.Load("ws0")
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("got %v, want %v saying %q", err, tt.is, tt.says)
			}
			if took := time.Since(start); took > tt.timeout+3*time.Second {
				t.Fatalf("took %s", took)
			}
			// The helper is gone; later calls fail at once, the same way.
			start = time.Now()
			if _, err2 := k.Keys(); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("second call: %v", err2)
			} else if time.Since(start) > 100*time.Millisecond {
				t.Fatal("the second call waited again")
			}
		})
	}
}

func TestKeyringPassword(t *testing.T) {
	t.Run("asked once, then kept", func(t *testing.T) {
		k, _ := fakeKeyring(t, "password")
		asked := 0
		k.Password = func(prompt string, confirm bool) (string, error) {
			asked++
			if !strings.Contains(prompt, "New password") || !confirm {
				t.Errorf("an empty keyring must ask for a new password, confirmed: %q %v", prompt, confirm)
			}
			return "right", nil
		}
		if err := k.Save("ws0", testEntry("a")); err != nil {
			t.Fatal(err)
		}
		if e, err := k.Load("ws0"); err != nil || e.AccessToken != "a" {
			t.Fatalf("load: %v", err)
		}
		if asked != 1 {
			t.Fatalf("asked %d times", asked)
		}
	})
	t.Run("wrong", func(t *testing.T) {
		k, _ := fakeKeyring(t, "password")
		k.Password = func(string, bool) (string, error) { return "wrong", nil }
		if _, err := k.Load("ws0"); !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "does not open") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("cannot ask", func(t *testing.T) {
		k, _ := fakeKeyring(t, "password")
		if _, err := k.Load("ws0"); !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "FOURINSIGHT_KEYRING_PASSWORD") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("asking fails", func(t *testing.T) {
		k, _ := fakeKeyring(t, "password")
		no := errors.New("no terminal")
		k.Password = func(string, bool) (string, error) { return "", no }
		if _, err := k.Load("ws0"); !errors.Is(err, no) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestKeyringTooLarge(t *testing.T) {
	k, _ := fakeKeyring(t, "mem")
	e := testEntry(strings.Repeat("x", 4000))
	if err := k.Save("big", e); !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("got %v", err)
	}
}

func TestKeyringHelperPath(t *testing.T) {
	t.Setenv(HelperEnv, "")
	t.Setenv("PATH", t.TempDir())
	k := &Store{Dir: t.TempDir()}
	_, err := k.Load("ws0")
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "go install github.com/fourinsight-token/fourinsight-token/cmd/fourinsight-token-keyring@latest") {
		t.Fatalf("no helper: %v", err)
	}
	t.Setenv(HelperEnv, "/no/such/helper")
	if p, err := (&Store{}).helperPath(); p != "/no/such/helper" || err != nil {
		t.Fatalf("%s overrides: %q %v", HelperEnv, p, err)
	}
}

func TestHelperEnv(t *testing.T) {
	base := []string{"HOME=/h", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/bus"}
	tests := []struct {
		backend string
		want    string
	}{
		{"", "unix:path=/run/bus"},
		{BackendSecretService, "unix:path=/run/bus"},
		{BackendFile, dbusaddr.Disabled},
		{BackendKeyctl, dbusaddr.Disabled},
		{BackendPass, dbusaddr.Disabled},
	}
	for _, tt := range tests {
		got := getEnv(helperEnv(base, tt.backend), "DBUS_SESSION_BUS_ADDRESS")
		if runtime.GOOS != "linux" {
			tt.want = "unix:path=/run/bus"
		}
		if got != tt.want {
			t.Errorf("backend %q: DBUS_SESSION_BUS_ADDRESS=%q, want %q", tt.backend, got, tt.want)
		}
	}
}

func TestCheckBackend(t *testing.T) {
	for _, name := range append([]string{""}, Backends...) {
		if err := CheckBackend(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	for _, name := range []string{"vault", "File", "secretservice"} {
		if err := CheckBackend(name); !errors.Is(err, ErrUnusable) {
			t.Errorf("%q accepted", name)
		}
	}
}

func TestItemName(t *testing.T) {
	tests := []struct {
		key, item string
	}{
		{"", "token"},
		{"ws0", "token.ws0"},
		{"default", "token.default"},
	}
	for _, tt := range tests {
		if got := ItemName(tt.key); got != tt.item {
			t.Errorf("ItemName(%q) = %q", tt.key, got)
		}
		if key, ok := SessionOfItem(tt.item); !ok || key != tt.key {
			t.Errorf("SessionOfItem(%q) = %q, %v", tt.item, key, ok)
		}
	}
	for _, bad := range []string{"token.", "tokens", "token.a.lock", "token.a b", "x"} {
		if _, ok := SessionOfItem(bad); ok {
			t.Errorf("SessionOfItem(%q) accepted", bad)
		}
	}
}

// getEnv is the value of key in env, as the helper would see it.
func getEnv(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}
