package main

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alecthomas/kong"
)

// parseFast parses the command line of a plain get — what shells, Makefiles,
// kubectl and git run thousands of times a day — without kong. kong builds
// its whole model by reflection at every start (every command, flag and help
// text), which costs more than the rest of a cached get.
//
// It reads the struct tags kong reads (name, short, env, default, enum, sep)
// and accepts only what it can decide exactly as kong would: the flags of the
// get command's path (CLI's embedded structs and GetCmd) given as
// --name=value, --name value or -x value, or bare --name and -x for booleans;
// the command name "get" once; and the environment variables of those flags.
// Anything else — help, another command, an unknown or malformed flag, a
// value kong would reject, a tag or type it does not know — returns false,
// and kong parses the command line as usual, with its messages.
// fastparse_test.go checks that both give the same result.
func parseFast(args []string, cli *CLI) bool {
	var c CLI
	flags, ok := fastFlags(reflect.ValueOf(&c).Elem())
	if !ok {
		return false
	}
	// Environment and defaults first (kong's Reset), then the command line.
	for _, f := range flags {
		if !f.reset() {
			return false
		}
	}
	long := make(map[string]*fastFlag, len(flags))
	short := make(map[string]*fastFlag, len(flags))
	for _, f := range flags {
		long[f.name] = f
		if f.short != "" {
			short[f.short] = f
		}
	}
	get := false
	for i := 0; i < len(args); i++ {
		arg := args[i]
		var f *fastFlag
		value, inline := "", false
		switch {
		case arg == "get" && !get:
			get = true
			continue
		case len(arg) > 2 && strings.HasPrefix(arg, "--"):
			var name string
			name, value, inline = strings.Cut(arg[2:], "=")
			f = long[name]
		case len(arg) == 2 && arg[0] == '-' && arg[1] != '-':
			f = short[arg[1:]]
		}
		if f == nil {
			return false
		}
		if f.kind == fastBool {
			if inline {
				return false
			}
			f.v.SetBool(true)
			continue
		}
		if !inline {
			// kong takes the next argument unless it looks like a flag.
			if i+1 >= len(args) || (args[i+1] != "-" && strings.HasPrefix(args[i+1], "-")) {
				return false
			}
			i++
			value = args[i]
			if f.kind == fastStrings {
				// kong checks each item of the list the same way.
				for _, item := range kong.SplitEscaped(value, f.sep) {
					if item != "-" && strings.HasPrefix(item, "-") {
						return false
					}
				}
			}
		}
		if !f.parse(value, true) {
			return false
		}
	}
	for _, f := range flags {
		if !f.checkEnum() {
			return false
		}
	}
	*cli = c
	return true
}

type fastKind int

const (
	fastString fastKind = iota
	fastBool
	fastDuration
	fastStrings
)

// fastFlag is one flag as kong would see it.
type fastFlag struct {
	v       reflect.Value // the field, settable
	kind    fastKind
	name    string // long name, without "--"
	short   string // one character, or ""
	envs    []string
	def     string
	hasDef  bool
	enum    string
	sep     rune
	flagged bool // given on the command line: a list starts afresh
}

// fastFlags lists the flags of the get command's path in v (a CLI): the
// fields of CLI and of its embedded structs, and those of the default
// command. ok is false if anything in the model is beyond parseFast.
func fastFlags(v reflect.Value) (flags []*fastFlag, ok bool) {
	var walk func(v reflect.Value, inGet bool) bool
	walk = func(v reflect.Value, inGet bool) bool {
		if hasHooks(v.Addr().Type()) {
			return false
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			ft, fv := t.Field(i), v.Field(i)
			tags, ok := tagItems(ft.Tag)
			if !ok {
				return false
			}
			if k, ok := tags["kong"]; ok {
				if k != "-" {
					return false // kong-style tags: not read here
				}
				continue
			}
			if !fv.CanSet() {
				continue
			}
			if _, cmd := tags["cmd"]; cmd {
				if inGet || ft.Type.Kind() != reflect.Struct {
					return false
				}
				def, hasDef := tags["default"]
				name := tags["name"]
				if name == "" {
					name = kongName(ft.Name)
				}
				switch {
				case name == "":
					return false
				case hasDef && (def != "withargs" || name != "get"):
					return false // another default command
				case name == "get":
					if !hasDef || !walk(fv, true) {
						return false
					}
				}
				continue // another command: not on get's path
			}
			if ft.Anonymous {
				if ft.Type.Kind() != reflect.Struct || len(tags) != 0 || !walk(fv, inGet) {
					return false
				}
				continue
			}
			f, ok := newFastFlag(ft, fv, tags)
			if !ok {
				return false
			}
			flags = append(flags, f)
		}
		return true
	}
	return flags, walk(v, false)
}

// fastTags are the struct tags parseFast understands; any other kong tag
// (arg, aliases, negatable, type, xor, required, prefix…) sends the command
// line to kong.
var fastTags = map[string]bool{
	"cmd": true, "name": true, "short": true, "env": true, "default": true, "enum": true,
	"sep": true, "help": true, "placeholder": true, "hidden": true, "group": true,
}

func newFastFlag(ft reflect.StructField, fv reflect.Value, tags map[string]string) (*fastFlag, bool) {
	f := &fastFlag{v: fv, name: tags["name"], sep: ','}
	switch ft.Type {
	case reflect.TypeFor[string]():
		f.kind = fastString
	case reflect.TypeFor[bool]():
		f.kind = fastBool
	case reflect.TypeFor[time.Duration]():
		f.kind = fastDuration
	case reflect.TypeFor[[]string]():
		f.kind = fastStrings
	default:
		return nil, false
	}
	for k, v := range tags {
		if !fastTags[k] || strings.Contains(v, "${") {
			return nil, false
		}
	}
	if f.name == "" {
		if f.name = kongName(ft.Name); f.name == "" {
			return nil, false
		}
	}
	if s := tags["short"]; s != "" {
		if utf8.RuneCountInString(s) != 1 {
			return nil, false
		}
		f.short = s
	}
	f.envs = strings.FieldsFunc(tags["env"], func(r rune) bool { return r == ',' || r == ' ' })
	f.def, f.hasDef = tags["default"]
	f.enum = tags["enum"]
	if s, ok := tags["sep"]; ok {
		switch r := []rune(s); {
		case s == "none":
			f.sep = -1
		case len(r) == 1:
			f.sep = r[0]
		default:
			return nil, false
		}
	}
	return f, true
}

// reset applies the flag's environment variable (the first one set) or its
// default, as kong does before it reads the command line.
func (f *fastFlag) reset() bool {
	for _, env := range f.envs {
		if v, ok := os.LookupEnv(env); ok {
			return f.parse(v, false)
		}
	}
	if f.hasDef {
		return f.parse(f.def, false)
	}
	return true
}

// parse sets the flag from one value, the way kong's mappers do. flagged: the
// value comes from the command line.
func (f *fastFlag) parse(s string, flagged bool) bool {
	if !utf8.ValidString(s) { // kong's JSON round trip would alter it
		return false
	}
	switch f.kind {
	case fastString:
		f.v.SetString(s)
	case fastBool:
		switch strings.ToLower(s) {
		case "true", "1", "yes":
			f.v.SetBool(true)
		case "false", "0", "no":
			f.v.SetBool(false)
		default:
			return false
		}
	case fastDuration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return false
		}
		f.v.SetInt(int64(d))
	case fastStrings:
		list := f.v.Interface().([]string)
		switch {
		case !flagged:
			list = nil
		case !f.flagged:
			list = []string{} // the command line replaces the environment's list
			f.flagged = true
		}
		f.v.Set(reflect.ValueOf(append(list, kong.SplitEscaped(s, f.sep)...)))
	}
	return true
}

func (f *fastFlag) checkEnum() bool {
	if f.enum == "" {
		return true
	}
	allowed := map[string]bool{}
	for _, e := range strings.Split(f.enum, ",") {
		allowed[strings.TrimSpace(e)] = true
	}
	switch f.kind {
	case fastString:
		return allowed[f.v.String()]
	case fastStrings:
		for _, s := range f.v.Interface().([]string) {
			if !allowed[s] {
				return false
			}
		}
		return true
	}
	return false
}

// hasHooks reports whether kong would call a method of t while parsing: hooks,
// validators, custom mappers or signatures.
func hasHooks(t reflect.Type) bool {
	for _, m := range []string{"BeforeReset", "BeforeResolve", "BeforeApply", "AfterApply", "Validate", "Decode", "Signature", "IgnoreDefault"} {
		if _, ok := t.MethodByName(m); ok {
			return true
		}
	}
	return false
}

// tagItems splits a struct tag into its key:"value" pairs. ok is false for a
// tag it cannot read, or one that repeats a key.
func tagItems(tag reflect.StructTag) (map[string]string, bool) {
	items := map[string]string{}
	s := string(tag)
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return items, true
		}
		colon := strings.Index(s, `:"`)
		if colon <= 0 || strings.ContainsAny(s[:colon], " \"") {
			return nil, false
		}
		key := s[:colon]
		s = s[colon+1:]
		end := 1
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(s) {
			return nil, false
		}
		value, err := strconv.Unquote(s[:end+1])
		if _, dup := items[key]; err != nil || dup {
			return nil, false
		}
		items[key] = value
		s = s[end+1:]
	}
}

// kongName is kong's flag and command name for a field: its camel-case words,
// lower-cased and joined by '-' (ClientSecretFile → client-secret-file,
// CAFile → ca-file, DeviceAuthURL → device-auth-url). "" for a name that is
// not ASCII letters and digits.
func kongName(field string) string {
	class := func(c byte) int {
		switch {
		case c >= 'a' && c <= 'z':
			return 1
		case c >= 'A' && c <= 'Z':
			return 2
		case c >= '0' && c <= '9':
			return 3
		}
		return 4
	}
	// Runs of one class: "CAF" "ile".
	var runs []string
	for i := 0; i < len(field); {
		c := class(field[i])
		if c == 4 {
			return ""
		}
		j := i + 1
		for j < len(field) && class(field[j]) == c {
			j++
		}
		runs = append(runs, field[i:j])
		i = j
	}
	// An upper-case run followed by a lower-case one gives it its last
	// letter: "CAF" "ile" → "CA" "File".
	for i := 0; i+1 < len(runs); i++ {
		if class(runs[i][0]) == 2 && class(runs[i+1][0]) == 1 {
			n := len(runs[i]) - 1
			runs[i+1] = runs[i][n:] + runs[i+1]
			runs[i] = runs[i][:n]
		}
	}
	words := runs[:0]
	for _, r := range runs {
		if r != "" {
			words = append(words, strings.ToLower(r))
		}
	}
	return strings.Join(words, "-")
}
