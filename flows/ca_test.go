package flows

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// A provider behind a company TLS-inspecting proxy: its certificate is
// trusted only with --ca-file, and without it the error says what to do.
func TestCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"tls-token","token_type":"Bearer","expires_in":60}`))
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	cfg := &oauth2.Config{ClientID: "id", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}}

	plain, _ := NewHTTPClient(HTTPOptions{Attempts: 1})
	_, err := ClientCredentials(WithClient(context.Background(), plain), cfg)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "--ca-file") {
		t.Fatalf("without the CA: %v", err)
	}
	withCA, err := NewHTTPClient(HTTPOptions{CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ClientCredentials(WithClient(context.Background(), withCA), cfg)
	if err != nil || tok.AccessToken != "tls-token" {
		t.Fatalf("with the CA: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := NewHTTPClient(HTTPOptions{CAFile: bad}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("a bad CA file: %v", err)
	}
}

// --ca-file is read like every file the tool is given: a device is refused
// at once and a file past the cap is refused, not read into memory.
func TestCAFileBounded(t *testing.T) {
	dir := t.TempDir()
	large := filepath.Join(dir, "large.pem")
	os.WriteFile(large, make([]byte, maxCAFile+1), 0o600)
	tests := map[string]string{
		large: "holds more than 4 MiB",
		dir:   "is a directory, not a regular file or a pipe",
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		tests["/dev/zero"] = "is a character device, not a regular file or a pipe"
	}
	for path, want := range tests {
		if _, err := NewHTTPClient(HTTPOptions{CAFile: path}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--ca-file %s: %v, want %q", path, err, want)
		}
	}
}
