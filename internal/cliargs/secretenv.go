package cliargs

import (
	"os"

	"github.com/fourinsight-token/fourinsight-token/store"
)

// Variables the tool reads secrets from. TakeSecretEnv removes them from the
// process environment, so that no child process inherits them: not exec's
// command, not the browser opener, not the kubectl or git that setup runs.
// The keyring helper is given the keyring password explicitly.
const (
	ClientSecretEnv    = "FOURINSIGHT_CLIENT_SECRET"
	KeyringPasswordEnv = store.PasswordEnv
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
