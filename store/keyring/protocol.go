package keyring

import "github.com/fourinsight-token/fourinsight-token/store"

// The keyring helper protocol: how the fourinsight-token binary talks to
// fourinsight-token-keyring, the separate binary that links
// github.com/99designs/keyring (see docs/keyring.md for why it is separate).
//
// The helper reads one Request per line on stdin and answers each with
// one Response line on stdout, until stdin ends. Secrets (entries,
// passwords) travel only on these pipes, never in argv or the environment the
// helper is started with (but for the password the user set in PasswordEnv,
// passed on as the user gave it), and the helper never writes them to stderr.

// Protocol is the protocol version a request carries.
const Protocol = 1

// PasswordEnv holds the encrypted-file backend's password. The helper reads
// it when a request carries none; Store hands the user's value to the
// helper alone under this name (see Store.EnvPassword). The command line
// takes the same variable from its environment (internal/cliargs, which
// spells it out rather than import this package: the fast front links
// cliargs and must not link the keyring client).
const PasswordEnv = "FOURINSIGHT_KEYRING_PASSWORD"

// Service is the service name items are kept under.
const Service = "fourinsight-token"

// Keyring backend names, as --keyring-backend takes them. The empty name is
// the automatic choice.
const (
	BackendSecretService = "secret-service"
	BackendKWallet       = "kwallet"
	BackendKeychain      = "keychain"
	BackendWinCred       = "wincred"
	BackendPass          = "pass"
	BackendKeyctl        = "keyctl"
	BackendFile          = "file"
)

// Backends lists the backend names --keyring-backend accepts, "auto"
// (the automatic choice) first.
var Backends = []string{"auto", BackendSecretService, BackendKWallet, BackendKeychain, BackendWinCred, BackendPass, BackendKeyctl, BackendFile}

// Keyring operations.
const (
	OpGet    = "get"    // Key → Data
	OpSet    = "set"    // Key, Data
	OpDelete = "delete" // Key; deleting a missing item is not an error
	OpList   = "list"   // → Keys (item names)
	OpProbe  = "probe"  // → Backend: which backend the request resolves to
)

// Request is one call to the helper.
type Request struct {
	V       int    `json:"v"`
	Op      string `json:"op"`
	Backend string `json:"backend,omitempty"` // "" = automatic
	Key     string `json:"key,omitempty"`     // item name: "token" or "token.KEY", as the file store names files
	Data    string `json:"data,omitempty"`    // set: the entry, JSON
	// FileDir is where the encrypted-file backend keeps its items.
	FileDir string `json:"file_dir,omitempty"`
	// Password unlocks the encrypted-file backend; empty: the helper uses
	// FOURINSIGHT_KEYRING_PASSWORD, else answers CodeNeedPassword.
	Password string `json:"password,omitempty"`
}

// Response is the helper's answer to one request.
type Response struct {
	OK      bool     `json:"ok"`
	Backend string   `json:"backend,omitempty"` // the backend that served (or refused) it
	Data    string   `json:"data,omitempty"`
	Keys    []string `json:"keys,omitempty"`
	Code    string   `json:"code,omitempty"`  // one of the Code constants when !OK
	Error   string   `json:"error,omitempty"` // one line saying what to do; never a secret
	// NewFile: with CodeNeedPassword, the encrypted file keyring holds no
	// item yet, so the password being asked for is a new one.
	NewFile bool `json:"new_file,omitempty"`
}

// Response codes.
const (
	CodeNotFound     = "not_found"     // no such item
	CodeNeedPassword = "need_password" // the file backend needs its password
	CodeBadPassword  = "bad_password"  // the password does not open the file backend
	CodeTooLarge     = "too_large"     // the entry is larger than the backend can hold
	CodeUnavailable  = "unavailable"   // the backend does not exist here or cannot be used as configured
	CodeBadRequest   = "bad_request"   // malformed request or another protocol version
	CodeFailed       = "failed"        // the backend failed
)

// ItemName is the keyring item of a session: the name the file store gives
// its file ("token" or "token.KEY"), so that the default session and a
// session named "default" stay apart.
func ItemName(key string) string {
	if key == "" {
		return "token"
	}
	return "token." + key
}

// SessionOfItem is the inverse of ItemName; ok is false for names that are no
// session's item.
func SessionOfItem(name string) (key string, ok bool) {
	if name == "token" {
		return "", true
	}
	if len(name) > len("token.") && name[:len("token.")] == "token." {
		key = name[len("token."):]
		return key, store.CheckKey(key) == nil
	}
	return "", false
}
