package flows

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// noticeLog collects Notice lines; the slow-request notice comes from a timer.
type noticeLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *noticeLog) add(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }
func (l *noticeLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// Long waits are said, each once, with the host and never the query.
func TestNoticesSayLongWaits(t *testing.T) {
	slowGood := func(w http.ResponseWriter) {
		time.Sleep(400 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"good-token","token_type":"Bearer","expires_in":3600}`))
	}
	tests := []struct {
		name    string
		answers []func(http.ResponseWriter)
		want    []string // one notice each, with every "|"-separated part
	}{
		{"a retry after 503", []func(http.ResponseWriter){status(503)},
			[]string{"answered 503; retrying in |ms (attempt 2/3)"}},
		{"a Retry-After wait", []func(http.ResponseWriter){status(429, "Retry-After", "1")},
			[]string{"answered 429 and asked to wait (Retry-After); retrying in 1s (attempt 2/3)"}},
		{"a slow provider", []func(http.ResponseWriter){slowGood},
			[]string{"to answer (100ms so far, --timeout 30s)…"}},
		{"a quick answer", nil, nil},
	}
	t.Run("a quick retry is not worth a line", func(t *testing.T) {
		srv, _ := faultyProvider(t, status(503))
		var log noticeLog
		client, _ := NewHTTPClient(HTTPOptions{Notice: log.add})
		cfg := &oauth2.Config{ClientID: "id", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
		if _, err := ClientCredentials(WithClient(context.Background(), client), cfg); err != nil {
			t.Fatal(err)
		}
		if lines := log.all(); len(lines) != 0 {
			t.Fatalf("notices %q for a retry after 0.2s", lines)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := faultyProvider(t, tt.answers...)
			var log noticeLog
			client, err := NewHTTPClient(HTTPOptions{Notice: log.add, SlowAfter: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			cfg := &oauth2.Config{ClientID: "id", ClientSecret: "the-secret",
				Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/token?code=secret-query-value", AuthStyle: oauth2.AuthStyleInHeader}}
			if _, err := ClientCredentials(WithClient(context.Background(), client), cfg); err != nil {
				t.Fatal(err)
			}
			lines := log.all()
			if len(lines) != len(tt.want) {
				t.Fatalf("notices %q, want %d", lines, len(tt.want))
			}
			host := strings.TrimPrefix(srv.URL, "http://")
			for i, w := range tt.want {
				for _, part := range append(strings.Split(w, "|"), host) {
					if !strings.Contains(lines[i], part) {
						t.Errorf("notice %q lacks %q", lines[i], part)
					}
				}
				if strings.Contains(lines[i], "secret-query-value") || strings.Contains(lines[i], "/token") {
					t.Errorf("notice shows more than the host: %q", lines[i])
				}
			}
		})
	}
}
