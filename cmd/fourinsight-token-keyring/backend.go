package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	ring "github.com/99designs/keyring"
	"github.com/fourinsight-token/fourinsight-token/internal/printable"
	"github.com/fourinsight-token/fourinsight-token/store/keyring"
)

// secretServicePrefix namespaces our items in the Secret Service: its
// collections (the login keyring) are shared by every application.
const secretServicePrefix = keyring.Service + "/"

// maxItemSize is what a backend can hold, where that is less than any
// entry could need. Windows Credential Manager keeps at most
// CRED_MAX_CREDENTIAL_BLOB_SIZE (5*512) bytes; a kernel key's payload is at
// most 32767 bytes (and the user's key quota is often smaller).
var maxItemSize = map[string]int{
	keyring.BackendWinCred: 5 * 512,
	keyring.BackendKeyctl:  32767,
}

// errNeedPassword: the file backend has no password to work with.
var errNeedPassword = errors.New("the encrypted keyring file needs its password")

// server answers requests; it keeps opened backends for the next request.
type server struct {
	open     map[string]ring.Keyring // by backend name (not for file)
	autoName string
	autoErr  error
	autoDone bool
}

func newServer() *server { return &server{open: map[string]ring.Keyring{}} }

// available lists the backends this build can use here.
func available() []string {
	var out []string
	for _, b := range ring.AvailableBackends() {
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

func (s *server) handle(req keyring.Request) keyring.Response {
	if req.V != keyring.Protocol {
		return refuse(keyring.CodeBadRequest, "this %s speaks protocol %d, not %d; install fourinsight-token and %s from the same release", keyring.HelperName, keyring.Protocol, req.V, keyring.HelperName)
	}
	switch req.Op {
	case keyring.OpGet, keyring.OpSet, keyring.OpDelete:
		if _, ok := keyring.SessionOfItem(req.Key); !ok {
			return refuse(keyring.CodeBadRequest, "%q is not a session's item name", req.Key)
		}
	case keyring.OpList, keyring.OpProbe:
	default:
		return refuse(keyring.CodeBadRequest, "unknown operation %q", req.Op)
	}
	name := req.Backend
	if name == "" || name == "auto" {
		var err error
		if name, err = s.auto(); err != nil {
			return refuse(keyring.CodeUnavailable, "%v", err)
		}
	}
	if err := keyring.CheckBackend(name); err != nil || name == "auto" {
		return refuse(keyring.CodeBadRequest, "unknown keyring backend %q", name)
	}
	if !isAvailable(name) {
		resp := refuse(keyring.CodeUnavailable, "%s", unavailable(name))
		resp.Backend = name
		return resp
	}
	var resp keyring.Response
	if name == keyring.BackendFile {
		resp = s.file(req)
	} else {
		resp = s.native(name, req)
	}
	resp.Backend = name
	return resp
}

// config is the keyring configuration for one backend: everything under
// the service "fourinsight-token", in the places users look for it.
func config(name string) ring.Config {
	cfg := ring.Config{
		AllowedBackends: []ring.BackendType{ring.BackendType(name)},
		ServiceName:     keyring.Service,
	}
	switch name {
	case keyring.BackendSecretService:
		cfg.LibSecretCollectionName = collection()
	case keyring.BackendKWallet:
		cfg.ServiceName = "kdewallet" // the wallet: the user's default one
		cfg.KWalletAppID = keyring.Service
		cfg.KWalletFolder = keyring.Service
	case keyring.BackendKeychain:
		cfg.KeychainTrustApplication = true
		cfg.KeychainAccessibleWhenUnlocked = true
		cfg.KeychainSynchronizable = false
	case keyring.BackendPass:
		cfg.PassPrefix = keyring.Service
	case keyring.BackendKeyctl:
		// The user keyring outlives the process; possessor and user may
		// read and write, group and others nothing.
		cfg.KeyCtlScope = "user"
		cfg.KeyCtlPerm = keyctlPerm()
	}
	return cfg
}

// itemKey is the backend's key for an item name.
func itemKey(name, item string) string {
	if name == keyring.BackendSecretService {
		return secretServicePrefix + item
	}
	return item
}

// itemNames keeps the keys that are our items, as item names.
func itemNames(name string, keys []string) []string {
	out := []string{}
	for _, k := range keys {
		if name == keyring.BackendSecretService {
			var ok bool
			if k, ok = strings.CutPrefix(k, secretServicePrefix); !ok {
				continue
			}
		}
		if _, ok := keyring.SessionOfItem(k); ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func tooLarge(name string, size int) *keyring.Response {
	limit, ok := maxItemSize[name]
	if !ok || size <= limit {
		return nil
	}
	r := refuse(keyring.CodeTooLarge, "the entry is %d bytes, more than the %s keyring holds (%d bytes); choose another with --keyring-backend, or use --store file", size, name, limit)
	return &r
}

// native serves a request from an OS keyring backend.
func (s *server) native(name string, req keyring.Request) keyring.Response {
	kr, ok := s.open[name]
	if !ok {
		var err error
		if err := checkBackend(name); err != nil {
			return refuse(keyring.CodeUnavailable, "%v", err)
		}
		if kr, err = ring.Open(config(name)); err != nil {
			return refuse(keyring.CodeUnavailable, "cannot open the %s keyring: %s", name, describe(err))
		}
		s.open[name] = kr
	}
	switch req.Op {
	case keyring.OpProbe:
		return keyring.Response{OK: true}
	case keyring.OpGet:
		item, err := kr.Get(itemKey(name, req.Key))
		if errors.Is(err, ring.ErrKeyNotFound) {
			return refuse(keyring.CodeNotFound, "no item %s", req.Key)
		}
		if err != nil {
			return failed(name, "reading", err)
		}
		return keyring.Response{OK: true, Data: string(item.Data)}
	case keyring.OpSet:
		if r := tooLarge(name, len(req.Data)); r != nil {
			return *r
		}
		err := kr.Set(ring.Item{
			Key:         itemKey(name, req.Key),
			Data:        []byte(req.Data),
			Label:       itemKey(name, req.Key),
			Description: "fourinsight-token session " + req.Key,
		})
		if isQuota(err) {
			return refuse(keyring.CodeTooLarge, "the %s keyring has no room for an entry of %d bytes (the kernel's key quota, /proc/sys/kernel/keys/maxbytes); choose another with --keyring-backend, or use --store file", name, len(req.Data))
		}
		if err != nil {
			return failed(name, "writing", err)
		}
		return keyring.Response{OK: true}
	case keyring.OpDelete:
		err := kr.Remove(itemKey(name, req.Key))
		if err != nil && !errors.Is(err, ring.ErrKeyNotFound) {
			return failed(name, "deleting", err)
		}
		return keyring.Response{OK: true}
	case keyring.OpList:
		keys, err := kr.Keys()
		if err != nil {
			return failed(name, "listing", err)
		}
		return keyring.Response{OK: true, Keys: itemNames(name, keys)}
	}
	return refuse(keyring.CodeBadRequest, "unknown operation %q", req.Op)
}

func failed(name, doing string, err error) keyring.Response {
	if why := lockedHint(name); why != "" {
		return refuse(keyring.CodeUnavailable, "%s", why)
	}
	return refuse(keyring.CodeFailed, "%s the %s keyring: %s", doing, name, describe(err))
}

// describe renders a library error on one printable line.
func describe(err error) string { return printable.Line(err.Error()) }

// file serves a request from the encrypted-file backend: one JWE file per
// item in req.FileDir, encrypted with a key derived from the password.
func (s *server) file(req keyring.Request) keyring.Response {
	dir := req.FileDir
	if dir == "" || !filepath.IsAbs(dir) {
		return refuse(keyring.CodeBadRequest, "the file backend needs an absolute directory")
	}
	password := req.Password
	if password == "" {
		password = os.Getenv(keyring.PasswordEnv)
	}
	kr, err := openFile(dir, password)
	if err != nil {
		return refuse(keyring.CodeUnavailable, "cannot open the encrypted keyring file in %s: %s", dir, describe(err))
	}
	names, err := fileItems(dir)
	if err != nil {
		return failed(keyring.BackendFile, "listing", err)
	}
	needPassword := func() keyring.Response {
		r := refuse(keyring.CodeNeedPassword, "the encrypted keyring file in %s needs its password (%s)", dir, keyring.PasswordEnv)
		r.NewFile = len(names) == 0
		return r
	}
	badPassword := func() keyring.Response {
		return refuse(keyring.CodeBadPassword, "the password does not open the encrypted keyring file in %s; check %s (or what was typed)", dir, keyring.PasswordEnv)
	}
	get := func(item string) (string, *keyring.Response) {
		it, err := kr.Get(item)
		switch {
		case err == nil:
			return string(it.Data), nil
		case errors.Is(err, ring.ErrKeyNotFound):
			r := refuse(keyring.CodeNotFound, "no item %s", item)
			return "", &r
		case errors.Is(err, errNeedPassword):
			r := needPassword()
			return "", &r
		case isPathError(err):
			r := failed(keyring.BackendFile, "reading", err)
			return "", &r
		}
		r := badPassword() // the JWE did not decrypt
		return "", &r
	}
	switch req.Op {
	case keyring.OpProbe:
		return keyring.Response{OK: true}
	case keyring.OpGet:
		// A password is needed even for an item that is not there, so
		// that a wrong or missing one stops fourinsight-token before a
		// sign-in whose result it could not save.
		if password == "" {
			return needPassword()
		}
		data, r := get(req.Key)
		if r != nil && r.Code == keyring.CodeNotFound && len(names) > 0 {
			if _, r2 := get(names[0]); r2 != nil {
				return *r2
			}
		}
		if r != nil {
			return *r
		}
		return keyring.Response{OK: true, Data: data}
	case keyring.OpSet:
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
			return failed(keyring.BackendFile, "writing", err)
		}
		return keyring.Response{OK: true}
	case keyring.OpDelete:
		if err := os.Remove(filepath.Join(dir, req.Key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return failed(keyring.BackendFile, "deleting", err)
		}
		return keyring.Response{OK: true}
	case keyring.OpList:
		return keyring.Response{OK: true, Keys: names}
	}
	return refuse(keyring.CodeBadRequest, "unknown operation %q", req.Op)
}

func openFile(dir, password string) (ring.Keyring, error) {
	cfg := config(keyring.BackendFile)
	cfg.FileDir = dir
	cfg.FilePasswordFunc = func(string) (string, error) {
		if password == "" {
			return "", errNeedPassword
		}
		return password, nil
	}
	return ring.Open(cfg)
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
	return itemNames(keyring.BackendFile, keys), nil
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
	if err := kr.Set(ring.Item{Key: item, Data: data}); err != nil {
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
