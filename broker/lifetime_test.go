package broker

import (
	"strings"
	"testing"
	"time"
)

func TestWarnShortLifetime(t *testing.T) {
	tests := []struct {
		name     string
		minValid time.Duration
		lifetime time.Duration // 0: no expiry known
		warn     bool
	}{
		{"token outlives --min-valid", time.Minute, time.Hour, false},
		{"token shorter than --min-valid", 10 * time.Minute, 5 * time.Minute, true},
		{"no expiry known", 10 * time.Minute, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			b := &Broker{MinValid: tt.minValid, Stderr: &stderr}
			var expires time.Time
			if tt.lifetime > 0 {
				expires = time.Now().Add(tt.lifetime)
			}
			b.warnShortLifetime("ws0", expires)
			got := stderr.String()
			if !tt.warn {
				if got != "" {
					t.Fatalf("warned: %s", got)
				}
				return
			}
			if strings.Count(got, "\n") != 1 || !strings.Contains(got, "less than --min-valid 10m0s") || !strings.Contains(got, "lower --min-valid") {
				t.Fatalf("warning = %q", got)
			}
		})
	}
}
