package cliargs

import (
	"os"
	"strings"
)

// Variables the tool reads secrets from. TakeSecretEnv removes them from the
// process environment, so that no child process inherits them: not exec's
// command, not the browser opener, not the kubectl or git that setup runs.
// The keyring helper is given the keyring password explicitly.
//
// KeyringPasswordEnv is the keyring helper's keyring.PasswordEnv, spelled
// out here because the fast front links this package and must not link the
// keyring client (store/keyring); a test holds the two to the same name.
const (
	ClientSecretEnv    = "FOURINSIGHT_CLIENT_SECRET"
	KeyringPasswordEnv = "FOURINSIGHT_KEYRING_PASSWORD"
)

var takenEnv = map[string]string{}

// TakeSecretEnv moves the secret variables out of the environment into this
// process's memory, where SecretEnv finds them. The full command line calls
// it first thing; the fast front starts no child but the full command line,
// which needs them.
func TakeSecretEnv() {
	for _, k := range [...]string{ClientSecretEnv, KeyringPasswordEnv} {
		if v, ok := os.LookupEnv(k); ok {
			takenEnv[k] = v
			os.Unsetenv(k)
		}
	}
}

// SecretEnv is the value of a secret variable, taken or still in the
// environment.
func SecretEnv(key string) string {
	if v, ok := takenEnv[key]; ok {
		return v
	}
	return os.Getenv(key)
}

// DropEmptyEnv unsets the FOURINSIGHT_ variables that are set but empty, so
// that FOURINSIGHT_SESSION=$(SESSION) with SESSION unset, as Makefiles and
// scripts write it, means "not set" for every setting, as it does in most
// tools. Front and full command line call it before they parse.
func DropEmptyEnv() {
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); v == "" && strings.HasPrefix(k, "FOURINSIGHT_") {
			os.Unsetenv(k)
		}
	}
}
