package broker

import "time"

// warnShortLifetime says so when the provider issues tokens that live less
// than MinValid: no cached token can ever serve, so every call refreshes or
// signs in again — silently slow, and a sign-in prompt each time on a
// provider without refresh tokens.
func (b *Broker) warnShortLifetime(key string, expires time.Time) {
	if expires.IsZero() || b.MinValid <= 0 {
		return
	}
	left := time.Until(expires)
	if left >= b.MinValid {
		return
	}
	b.warn("the provider issued session %s a token valid for %s, less than --min-valid %s, so no call can use the cache and each one gets a new token; lower --min-valid (FOURINSIGHT_MIN_VALID, min_valid in the profile) below %s",
		name(key), left.Round(time.Second), b.MinValid, left.Round(time.Second))
}
