// Package profile holds the provider settings: named profiles, the config
// file, the built-in 4insight profile, the settings of one call, whose
// settings a cache entry is used with, and Decide, the one answer to "can
// the cache serve this call?".
//
// It stands apart from package broker because the fast front must use it
// without linking broker's network code (HTTP, OAuth2, discovery): it
// imports no network code. Package broker uses it for everything else.
package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fourinsight-token/fourinsight-token/internal/safefile"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// Profile is a named set of provider settings. Fields left empty fall back to
// the built-in defaults; flags and environment variables override them.
type Profile struct {
	Name          string   `json:"-"`
	Issuer        string   `json:"issuer,omitempty"`
	AuthURL       string   `json:"auth_url,omitempty"`
	TokenURL      string   `json:"token_url,omitempty"`
	DeviceAuthURL string   `json:"device_auth_url,omitempty"`
	RevocationURL string   `json:"revocation_url,omitempty"`
	SignInURL     string   `json:"signin_url,omitempty"` // the page that shows the paste package
	ClientID      string   `json:"client_id,omitempty"`
	Scopes        []string `json:"scopes,omitempty"`
	Flow          string   `json:"flow,omitempty"`
	TrustHosts    []string `json:"trust_hosts,omitempty"`
	RedirectURL   string   `json:"redirect_url,omitempty"`
	// ClientSecretFile names a file holding the secret; ClientSecret holds it
	// inline (the config file is then refused unless only its owner can read it).
	ClientSecretFile string `json:"client_secret_file,omitempty"`
	ClientSecret     string `json:"client_secret,omitempty"`
	// PublicClientSecret is a secret shipped in public clients (4insight's
	// user client). It is sent like any secret but does not make the
	// automatic choice the client flow, since the user did not supply it.
	PublicClientSecret string `json:"-"`
	// ServiceTokenURL and ServiceScopes are used by the client flow when they
	// differ from the user flows' (4insight's service accounts live elsewhere).
	ServiceTokenURL string   `json:"service_token_url,omitempty"`
	ServiceScopes   []string `json:"service_scopes,omitempty"`
	APIBase         string   `json:"api_base,omitempty"`
	// APITrustHosts are other hosts that api and proxy may send the token
	// to, for absolute URLs ('*.example.com' for subdomains).
	APITrustHosts []string `json:"api_trust_hosts,omitempty"`
	// APITimeout bounds one API call of api and proxy (default 100s, as the
	// Python client waits).
	APITimeout *Duration `json:"api_timeout,omitempty"`

	// Defaults for flags, so a profile can carry them too.
	CacheDir string `json:"cache_dir,omitempty"`
	Store    string `json:"store,omitempty"`
	// Durations are pointers: nil is "not set here", and an explicit "0s"
	// means what it says (--min-valid 0s: serve until expiry).
	MinValid        *Duration `json:"min_valid,omitempty"`
	Timeout         *Duration `json:"timeout,omitempty"`
	LoginTimeout    *Duration `json:"login_timeout,omitempty"`
	LockTimeout     *Duration `json:"lock_timeout,omitempty"`
	DefaultLifetime *Duration `json:"default_lifetime,omitempty"`
	CAFile          string    `json:"ca_file,omitempty"`
	// RetrySignInAfter: how long an abandoned, denied or timed-out sign-in
	// keeps callers without a terminal from opening another (default 10m).
	RetrySignInAfter *Duration `json:"retry_signin_after,omitempty"`
	// RefreshAhead: renew in the background when a served token has less
	// than this left; "0s" turns it off (default: a third of the lifetime,
	// at most 10m).
	RefreshAhead *Duration `json:"refresh_ahead,omitempty"`
}

// Duration reads "90s" or "5m" from JSON.
type Duration time.Duration

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("durations are strings such as \"90s\" or \"5m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// DefaultProfile is the name of the built-in profile.
const DefaultProfile = "4insight"

// Builtin4insight holds the public values the official Python client
// (fourinsight.api, _constants.json) ships in every install. The user client
// secret is public: it identifies the client, not the user.
func Builtin4insight() Profile {
	return Profile{
		Name:               DefaultProfile,
		SignInURL:          "https://4insight.io/auth",
		ClientID:           "b6c8c4d4-5fc1-4bba-b46c-8f6a6cc9843d",
		PublicClientSecret: "H_McZ-g.56~SS1d4SxCcSUTp~0Sv3AVERk",
		ServiceTokenURL:    "https://login.microsoftonline.com/4subseaid.onmicrosoft.com/oauth2/v2.0/token",
		ServiceScopes:      []string{"https://4subseaid.onmicrosoft.com/4insight-api-prod/.default"},
		TrustHosts:         []string{"login.microsoftonline.com", "*.b2clogin.com", "4insight.io", "*.4insight.io", "*.4subsea.net"},
		APIBase:            "https://api.4insight.io/",
	}
}

// Config is the config file: named profiles and which one is the default.
type Config struct {
	DefaultProfile string             `json:"default_profile,omitempty"`
	Profiles       map[string]Profile `json:"profiles"`
}

// ErrConfig: the config file or a setting is wrong (exit 2).
var ErrConfig = errors.New("configuration error")

// DefaultConfigPath is where the config file lives unless --config says.
func DefaultConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "fourinsight-token", "config.json")
}

// LoadConfig reads the config file. A missing file is an empty config unless
// the user named it explicitly. It decides where secrets are sent, so it is
// read as a cache file is: without blocking, at most maxConfigSize, and
// refused when another user owns it or others can change it (store.AccessOf).
// A pipe works too (--config <(make-config)).
func LoadConfig(path string, explicit bool) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	data, access, err := readConfig(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return c, fmt.Errorf("%w: the config file %s is empty", ErrConfig, path)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: %s: %v", ErrConfig, path, err)
	}
	for name, p := range c.Profiles {
		if p.ClientSecret != "" && access == store.ReadableByOthers {
			return c, fmt.Errorf("%w: %s holds a client_secret for profile %q but other users can read it; run: chmod 600 %s", ErrConfig, path, name, path)
		}
	}
	return c, nil
}

// maxConfigSize bounds what is read of a config file; real ones are a few KiB.
const maxConfigSize = 1 << 20

// readConfig reads the config file and says who else can read it, refusing
// one that others could change.
func readConfig(path string) ([]byte, store.Access, error) {
	f, info, err := safefile.Open(path, safefile.Options{Pipe: true})
	if err != nil {
		return nil, 0, fmt.Errorf("%w: cannot read the config file: %w", ErrConfig, err)
	}
	defer f.Close()
	access := store.AccessOf(info)
	switch access {
	case store.OtherOwner:
		return nil, 0, fmt.Errorf("%w: the config file %s belongs to another user, and it decides where secrets are sent; use a copy of your own (--config or FOURINSIGHT_CONFIG)", ErrConfig, path)
	case store.WritableByOthers:
		return nil, 0, fmt.Errorf("%w: the config file %s is writable by other users (mode %04o), and it decides where secrets are sent; run: chmod go-w %s", ErrConfig, path, info.Mode().Perm(), path)
	}
	data, err := safefile.ReadAll(f, maxConfigSize)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: cannot read the config file %s: %v", ErrConfig, path, err)
	}
	return data, access, nil
}

// Profile returns the named profile: the built-in one, a config profile, or
// a config profile named "4insight" laid over the built-in one.
func (c Config) Profile(name string) (Profile, error) {
	if name == "" {
		name = c.DefaultProfile
	}
	if name == "" {
		name = DefaultProfile
	}
	p, ok := c.Profiles[name]
	if name == DefaultProfile {
		b := Builtin4insight()
		if ok {
			// trust_hosts add to 4insight's own hosts (an organisation's
			// provider besides them); every other setting replaces.
			hosts := append(b.TrustHosts, p.TrustHosts...)
			b = Overlay(b, p)
			b.TrustHosts = hosts
		}
		return b, nil
	}
	if !ok {
		return Profile{}, fmt.Errorf("%w: no profile %q in the config file (known: %s)", ErrConfig, name, strings.Join(c.names(), ", "))
	}
	p.Name = name
	return p, nil
}

func (c Config) names() []string {
	names := []string{DefaultProfile}
	for n := range c.Profiles {
		if n != DefaultProfile {
			names = append(names, n)
		}
	}
	return names
}

// Overlay returns base with every non-empty field of top laid over it.
func Overlay(base, top Profile) Profile {
	str := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	list := func(dst *[]string, v []string) {
		if len(v) > 0 {
			*dst = v
		}
	}
	dur := func(dst **Duration, v *Duration) {
		if v != nil {
			*dst = v
		}
	}
	str(&base.Issuer, top.Issuer)
	str(&base.AuthURL, top.AuthURL)
	str(&base.TokenURL, top.TokenURL)
	str(&base.DeviceAuthURL, top.DeviceAuthURL)
	str(&base.RevocationURL, top.RevocationURL)
	str(&base.SignInURL, top.SignInURL)
	str(&base.ClientID, top.ClientID)
	list(&base.Scopes, top.Scopes)
	str(&base.Flow, top.Flow)
	list(&base.TrustHosts, top.TrustHosts)
	str(&base.RedirectURL, top.RedirectURL)
	str(&base.ClientSecretFile, top.ClientSecretFile)
	str(&base.ClientSecret, top.ClientSecret)
	str(&base.ServiceTokenURL, top.ServiceTokenURL)
	list(&base.ServiceScopes, top.ServiceScopes)
	str(&base.APIBase, top.APIBase)
	list(&base.APITrustHosts, top.APITrustHosts)
	dur(&base.APITimeout, top.APITimeout)
	str(&base.CacheDir, top.CacheDir)
	str(&base.Store, top.Store)
	dur(&base.MinValid, top.MinValid)
	dur(&base.Timeout, top.Timeout)
	dur(&base.LoginTimeout, top.LoginTimeout)
	dur(&base.LockTimeout, top.LockTimeout)
	dur(&base.DefaultLifetime, top.DefaultLifetime)
	str(&base.CAFile, top.CAFile)
	dur(&base.RetrySignInAfter, top.RetrySignInAfter)
	dur(&base.RefreshAhead, top.RefreshAhead)
	return base
}
