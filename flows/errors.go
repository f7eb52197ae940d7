package flows

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"golang.org/x/oauth2"
)

// Errors a caller tells apart with errors.Is.
var (
	// ErrRefused: the provider answered with an OAuth error (invalid_client,
	// invalid_grant, access_denied, ...). Trying again will not help.
	ErrRefused = errors.New("the provider refused")
	// ErrUnavailable: no usable answer in time (network, 429, 5xx, timeout).
	ErrUnavailable = errors.New("no answer from the provider")
	// ErrMalformed: the provider answered something that is not OAuth.
	ErrMalformed = errors.New("the provider sent a malformed answer")
)

// ProviderError is an OAuth error response. It matches ErrRefused.
type ProviderError struct {
	Code        string // RFC 6749 "error"
	Description string // "error_description", as the provider wrote it
	Status      int
}

func (e *ProviderError) Error() string {
	// Code and Description come from the provider (or the browser's
	// address bar): no control characters or escape sequences reach the
	// terminal.
	msg := "the provider refused: " + printable.Cut(e.Code, 80)
	if e.Description != "" {
		msg += ": " + printable.Cut(printable.Line(e.Description), 300)
	}
	return msg
}

func (e *ProviderError) Is(target error) bool { return target == ErrRefused }

// IsInvalidGrant reports whether err is the provider's invalid_grant answer:
// the refresh token or code is no longer good.
func IsInvalidGrant(err error) bool {
	var pe *ProviderError
	return errors.As(err, &pe) && pe.Code == "invalid_grant"
}

// explain turns what x/oauth2 and net/http return into errors that say what
// happened in one line, without the response body (it may echo secrets).
func explain(err error, what, endpoint string) error {
	if err == nil {
		return nil
	}
	host := endpoint
	if u, perr := url.Parse(endpoint); perr == nil && u.Host != "" {
		host = u.Host
	}
	if errors.Is(err, ErrRedirected) {
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err // our own message, without the URL wrapper
		}
		return err
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		switch {
		case re.ErrorCode != "" && status < 500 && status != http.StatusTooManyRequests:
			return &ProviderError{Code: re.ErrorCode, Description: re.ErrorDescription, Status: status}
		case status == http.StatusTooManyRequests || status >= 500:
			return fmt.Errorf("%w: %s at %s answered %d %s after retries; try again later", ErrUnavailable, what, host, status, http.StatusText(status))
		case status >= 400:
			return &ProviderError{Code: fmt.Sprintf("HTTP %d %s", status, http.StatusText(status)), Status: status}
		}
		return fmt.Errorf("%w: %s at %s answered HTTP %d", ErrMalformed, what, host, status)
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w: %s at %s did not answer in time (raise --timeout or check your network)", ErrUnavailable, what, host)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s at %s: cancelled", what, host)
	case errors.As(err, &ne):
		return fmt.Errorf("%w: cannot reach %s at %s: %s (check your network, proxy or --ca-file)", ErrUnavailable, what, host, rootCause(err))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%w: cannot reach %s at %s: %s (check your network, proxy or --ca-file)", ErrUnavailable, what, host, rootCause(err))
	}
	if strings.HasPrefix(err.Error(), "oauth2: ") {
		// "cannot parse json", "server response missing access_token", ...
		return fmt.Errorf("%w: %s at %s: %s", ErrMalformed, what, host, strings.TrimPrefix(err.Error(), "oauth2: "))
	}
	return fmt.Errorf("%s at %s: %w", what, host, err)
}

// rootCause is the innermost message, without the URL wrappers repeat.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return printable.Line(err.Error())
		}
		err = next
	}
}

// HumanDuration renders a duration for people, to the second: "3s", "2m5s",
// "10m", "1h30m".
func HumanDuration(d time.Duration) string {
	d = max(d.Round(time.Second), time.Second)
	s := d.String()
	if d >= time.Minute && d%time.Minute == 0 {
		s = strings.TrimSuffix(s, "0s")
		if d%time.Hour == 0 {
			s = strings.TrimSuffix(s, "0m")
		}
	}
	return s
}
