package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/99designs/keyring"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// PasswordEnv holds the encrypted-file backend's password.
const PasswordEnv = store.PasswordEnv

// secretServicePrefix namespaces our items in the Secret Service: its
// collections (the login keyring) are shared by every application.
const secretServicePrefix = store.KeyringService + "/"

// maxItemSize is what a backend can hold, where that is less than any
// entry could need. Windows Credential Manager keeps at most
// CRED_MAX_CREDENTIAL_BLOB_SIZE (5*512) bytes; a kernel key's payload is at
// most 32767 bytes (and the user's key quota is often smaller).
var maxItemSize = map[string]int{
	store.BackendWinCred: 5 * 512,
	store.BackendKeyctl:  32767,
}

// errNeedPassword: the file backend has no password to work with.
var errNeedPassword = errors.New("the encrypted keyring file needs its password")

// server answers requests; it keeps opened backends for the next request.
type server struct {
	open     map[string]keyring.Keyring // by backend name (not for file)
	autoName string
	autoErr  error
	autoDone bool
}

func newServer() *server { return &server{open: map[string]keyring.Keyring{}} }

// available lists the backends this build can use here.
func available() []string {
	var out []string
	for _, b := range keyring.AvailableBackends() {
		out = append(out, string(b))
	}
	return out
}

func isAvailable(name string) bool {
	for _, b := range available() {
		if b == name {
			return true
		}
	}
	return false
}

// auto is the automatic choice, decided by what exists here and never by
// what fails: a Secret Service that errs is an error, not a reason to keep
// secrets elsewhere.
func (s *server) auto() (string, error) {
	if !s.autoDone {
		s.autoName, s.autoErr = autoBackend()
		s.autoDone = true
	}
	return s.autoName, s.autoErr
}

func (s *server) handle(req store.KeyringRequest) store.KeyringResponse {
	if req.V != store.KeyringProtocol {
		return refuse(store.CodeBadRequest, "this %s speaks protocol %d, not %d; install fourinsight-token and %s from the same release", store.HelperName, store.KeyringProtocol, req.V, store.HelperName)
	}
	switch req.Op {
	case store.OpGet, store.OpSet, store.OpDelete:
		if _, ok := store.SessionOfItem(req.Key); !ok {
			return refuse(store.CodeBadRequest, "%q is not a session's item name", req.Key)
		}
	case store.OpList, store.OpProbe:
	default:
		return refuse(store.CodeBadRequest, "unknown operation %q", req.Op)
	}
	name := req.Backend
	if name == "" || name == "auto" {
		var err error
		if name, err = s.auto(); err != nil {
			return refuse(store.CodeUnavailable, "%v", err)
		}
	}
	if err := store.CheckKeyringBackend(name); err != nil || name == "auto" {
		return refuse(store.CodeBadRequest, "unknown keyring backend %q", name)
	}
	if !isAvailable(name) {
		resp := refuse(store.CodeUnavailable, "%s", unavailable(name))
		resp.Backend = name
		return resp
	}
	var resp store.KeyringResponse
	if name == store.BackendFile {
		resp = s.file(req)
	} else {
		resp = s.native(name, req)
	}
	resp.Backend = name
	return resp
}

// config is the keyring configuration for one backend: everything under
// the service "fourinsight-token", in the places users look for it.
func config(name string) keyring.Config {
	cfg := keyring.Config{
		AllowedBackends: []keyring.BackendType{keyring.BackendType(name)},
		ServiceName:     store.KeyringService,
	}
	switch name {
	case store.BackendSecretService:
		cfg.LibSecretCollectionName = collection()
	case store.BackendKWallet:
		cfg.ServiceName = "kdewallet" // the wallet: the user's default one
		cfg.KWalletAppID = store.KeyringService
		cfg.KWalletFolder = store.KeyringService
	case store.BackendKeychain:
		cfg.KeychainTrustApplication = true
		cfg.KeychainAccessibleWhenUnlocked = true
		cfg.KeychainSynchronizable = false
	case store.BackendPass:
		cfg.PassPrefix = store.KeyringService
	case store.BackendKeyctl:
		// The user keyring outlives the process; possessor and user may
		// read and write, group and others nothing.
		cfg.KeyCtlScope = "user"
		cfg.KeyCtlPerm = keyctlPerm()
	}
	return cfg
}

// itemKey is the backend's key for an item name.
func itemKey(name, item string) string {
	if name == store.BackendSecretService {
		return secretServicePrefix + item
	}
	return item
}

// itemNames keeps the keys that are our items, as item names.
func itemNames(name string, keys []string) []string {
	out := []string{}
	for _, k := range keys {
		if name == store.BackendSecretService {
			var ok bool
			if k, ok = strings.CutPrefix(k, secretServicePrefix); !ok {
				continue
			}
		}
		if _, ok := store.SessionOfItem(k); ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func tooLarge(name string, size int) *store.KeyringResponse {
	limit, ok := maxItemSize[name]
	if !ok || size <= limit {
		return nil
	}
	r := refuse(store.CodeTooLarge, "the entry is %d bytes, more than the %s keyring holds (%d bytes); choose another with --keyring-backend, or use --store file", size, name, limit)
	return &r
}

// native serves a request from an OS keyring backend.
func (s *server) native(name string, req store.KeyringRequest) store.KeyringResponse {
	kr, ok := s.open[name]
	if !ok {
		var err error
		if err := checkBackend(name); err != nil {
			return refuse(store.CodeUnavailable, "%v", err)
		}
		if kr, err = keyring.Open(config(name)); err != nil {
			return refuse(store.CodeUnavailable, "cannot open the %s keyring: %s", name, describe(err))
		}
		s.open[name] = kr
	}
	switch req.Op {
	case store.OpProbe:
		return store.KeyringResponse{OK: true}
	case store.OpGet:
		item, err := kr.Get(itemKey(name, req.Key))
		if errors.Is(err, keyring.ErrKeyNotFound) {
			return refuse(store.CodeNotFound, "no item %s", req.Key)
		}
		if err != nil {
			return failed(name, "reading", err)
		}
		return store.KeyringResponse{OK: true, Data: string(item.Data)}
	case store.OpSet:
		if r := tooLarge(name, len(req.Data)); r != nil {
			return *r
		}
		err := kr.Set(keyring.Item{
			Key:         itemKey(name, req.Key),
			Data:        []byte(req.Data),
			Label:       itemKey(name, req.Key),
			Description: "fourinsight-token session " + req.Key,
		})
		if isQuota(err) {
			return refuse(store.CodeTooLarge, "the %s keyring has no room for an entry of %d bytes (the kernel's key quota, /proc/sys/kernel/keys/maxbytes); choose another with --keyring-backend, or use --store file", name, len(req.Data))
		}
		if err != nil {
			return failed(name, "writing", err)
		}
		return store.KeyringResponse{OK: true}
	case store.OpDelete:
		err := kr.Remove(itemKey(name, req.Key))
		if err != nil && !errors.Is(err, keyring.ErrKeyNotFound) {
			return failed(name, "deleting", err)
		}
		return store.KeyringResponse{OK: true}
	case store.OpList:
		keys, err := kr.Keys()
		if err != nil {
			return failed(name, "listing", err)
		}
		return store.KeyringResponse{OK: true, Keys: itemNames(name, keys)}
	}
	return refuse(store.CodeBadRequest, "unknown operation %q", req.Op)
}

func failed(name, doing string, err error) store.KeyringResponse {
	if why := lockedHint(name); why != "" {
		return refuse(store.CodeUnavailable, "%s", why)
	}
	return refuse(store.CodeFailed, "%s the %s keyring: %s", doing, name, describe(err))
}

// describe renders a library error on one line.
func describe(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// file serves a request from the encrypted-file backend: one JWE file per
// item in req.FileDir, encrypted with a key derived from the password.
func (s *server) file(req store.KeyringRequest) store.KeyringResponse {
	dir := req.FileDir
	if dir == "" || !filepath.IsAbs(dir) {
		return refuse(store.CodeBadRequest, "the file backend needs an absolute directory")
	}
	password := req.Password
	if password == "" {
		password = os.Getenv(PasswordEnv)
	}
	kr, err := openFile(dir, password)
	if err != nil {
		return refuse(store.CodeUnavailable, "cannot open the encrypted keyring file in %s: %s", dir, describe(err))
	}
	names, err := fileItems(dir)
	if err != nil {
		return failed(store.BackendFile, "listing", err)
	}
	needPassword := func() store.KeyringResponse {
		r := refuse(store.CodeNeedPassword, "the encrypted keyring file in %s needs its password (%s)", dir, PasswordEnv)
		r.NewFile = len(names) == 0
		return r
	}
	badPassword := func() store.KeyringResponse {
		return refuse(store.CodeBadPassword, "the password does not open the encrypted keyring file in %s; check %s (or what was typed)", dir, PasswordEnv)
	}
	get := func(item string) (string, *store.KeyringResponse) {
		it, err := kr.Get(item)
		switch {
		case err == nil:
			return string(it.Data), nil
		case errors.Is(err, keyring.ErrKeyNotFound):
			r := refuse(store.CodeNotFound, "no item %s", item)
			return "", &r
		case errors.Is(err, errNeedPassword):
			r := needPassword()
			return "", &r
		case isPathError(err):
			r := failed(store.BackendFile, "reading", err)
			return "", &r
		}
		r := badPassword() // the JWE did not decrypt
		return "", &r
	}
	switch req.Op {
	case store.OpProbe:
		return store.KeyringResponse{OK: true}
	case store.OpGet:
		// A password is needed even for an item that is not there, so
		// that a wrong or missing one stops fourinsight-token before a
		// sign-in whose result it could not save.
		if password == "" {
			return needPassword()
		}
		data, r := get(req.Key)
		if r != nil && r.Code == store.CodeNotFound && len(names) > 0 {
			if _, r2 := get(names[0]); r2 != nil {
				return *r2
			}
		}
		if r != nil {
			return *r
		}
		return store.KeyringResponse{OK: true, Data: data}
	case store.OpSet:
		if password == "" {
			return needPassword()
		}
		// Never write an item under another password than the others:
		// the password must open an item that is already there.
		if len(names) > 0 {
			if _, r := get(names[0]); r != nil {
				return *r
			}
		}
		if err := setFileAtomic(dir, password, req.Key, []byte(req.Data)); err != nil {
			return failed(store.BackendFile, "writing", err)
		}
		return store.KeyringResponse{OK: true}
	case store.OpDelete:
		if err := os.Remove(filepath.Join(dir, req.Key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return failed(store.BackendFile, "deleting", err)
		}
		return store.KeyringResponse{OK: true}
	case store.OpList:
		return store.KeyringResponse{OK: true, Keys: names}
	}
	return refuse(store.CodeBadRequest, "unknown operation %q", req.Op)
}

func openFile(dir, password string) (keyring.Keyring, error) {
	cfg := config(store.BackendFile)
	cfg.FileDir = dir
	cfg.FilePasswordFunc = func(string) (string, error) {
		if password == "" {
			return "", errNeedPassword
		}
		return password, nil
	}
	return keyring.Open(cfg)
}

// fileItems lists the item files in dir (not the temporary directories of
// writes in progress).
func fileItems(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []string{}, nil
	}
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			keys = append(keys, e.Name())
		}
	}
	return itemNames(store.BackendFile, keys), nil
}

// setFileAtomic writes an item as the file backend does, but into a
// temporary directory first and then renames it into place, so that a
// reader never sees a torn item (the library writes in place).
func setFileAtomic(dir, password, item string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, ".write-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	kr, err := openFile(tmp, password)
	if err != nil {
		return err
	}
	if err := kr.Set(keyring.Item{Key: item, Data: data}); err != nil {
		return err
	}
	if err := syncFile(filepath.Join(tmp, item)); err != nil {
		return err
	}
	return os.Rename(filepath.Join(tmp, item), filepath.Join(dir, item))
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func isPathError(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe)
}

// unavailable says why a backend cannot be used here.
func unavailable(name string) string {
	if why := platformUnavailable(name); why != "" {
		return why
	}
	return fmt.Sprintf("the %s keyring does not exist on this system; choose another with --keyring-backend (available: %s)", name, strings.Join(available(), ", "))
}

// decodeLabel undoes the escaping of D-Bus object paths ("_xx" hex), as
// 99designs/keyring compares collection names decoded.
func decodeLabel(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && i+2 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+3], "%02x", &c); err == nil {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
