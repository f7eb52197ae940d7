// Package nodump keeps secrets out of core dumps: a process that holds a
// client secret, refresh token or access token calls Protect first thing.
package nodump
