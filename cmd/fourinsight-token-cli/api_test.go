package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/internal/apicall"
)

func TestAPIArgs(t *testing.T) {
	tests := []struct {
		args         []string
		body         bool
		method, path string
		usage        bool
	}{
		{args: []string{"/v1.1/Campaigns"}, method: "GET", path: "/v1.1/Campaigns"},
		{args: []string{"/v1.1/Campaigns"}, body: true, method: "POST", path: "/v1.1/Campaigns"},
		{args: []string{"delete", "/v1.1/Campaigns/c1"}, method: "DELETE", path: "/v1.1/Campaigns/c1"},
		{args: []string{"PUT", "/x"}, body: true, method: "PUT", path: "/x"},
		{args: []string{"/x", "/y"}, usage: true},
		{args: []string{"GET", "/x", "/y"}, usage: true},
		{args: []string{"G-T", "/x"}, usage: true},
	}
	for _, tt := range tests {
		method, path, err := apiArgs(tt.args, tt.body)
		if tt.usage {
			if !errors.Is(err, errUsage) {
				t.Errorf("%q: %v, want a usage error", tt.args, err)
			}
			continue
		}
		if err != nil || method != tt.method || path != tt.path {
			t.Errorf("%q: %s %s %v; want %s %s", tt.args, method, path, err, tt.method, tt.path)
		}
	}
}

// The API's answers map to the contract's exit statuses.
func TestAPIExitCodes(t *testing.T) {
	for err, want := range map[error]int{
		&apicall.StatusError{Method: "GET", URL: "u", Status: "404 Not Found", Code: 404}: 6,
		fmt.Errorf("page 2: %w", &apicall.StatusError{Code: 500}):                         6,
		fmt.Errorf("%w: not the API", apicall.ErrNotAllowed):                              2,
		fmt.Errorf("%w: GET u: connection refused", apicall.ErrNoAnswer):                  5,
	} {
		if got := exitCode(err); got != want {
			t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
		}
	}
}
