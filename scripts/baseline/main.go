// Command baseline is the yardstick of scripts/bench: the least a cached
// token print can cost in Go with the standard library only — read the cache
// file, parse the JSON, check the expiry, print the token. It is not shipped.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	home, err := os.UserHomeDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	data, err := os.ReadFile(filepath.Join(home, ".fourinsight", "api", "token"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var e struct {
		AccessToken string  `json:"access_token"`
		ExpiresAt   float64 `json:"expires_at"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if e.AccessToken == "" || time.Until(time.Unix(int64(e.ExpiresAt), 0)) < time.Minute {
		fmt.Fprintln(os.Stderr, "expired")
		os.Exit(1)
	}
	fmt.Println(e.AccessToken)
}
