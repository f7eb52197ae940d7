package cliargs

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ParseFast parses the command line of a plain get — what shells, Makefiles,
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
//
// It allocates little: every first allocation of a size touches fresh
// memory, and page faults are a good part of a short process's time.
func ParseFast(args []string, cli *CLI) bool {
	var c CLI
	var buf [48]fastFlag
	flags, ok := fastFlags(reflect.ValueOf(&c).Elem(), buf[:0])
	if !ok {
		return false
	}
	// Environment and defaults first (kong's Reset), then the command line.
	for i := range flags {
		if !flags[i].reset() {
			return false
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
			f = findFlag(flags, func(f *fastFlag) bool { return f.longName() == name })
		case len(arg) == 2 && arg[0] == '-' && arg[1] != '-':
			f = findFlag(flags, func(f *fastFlag) bool { return f.short == arg[1:] })
		}
		if f == nil || f.bad {
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
				for _, item := range splitEscaped(value, f.sep) {
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
	for i := range flags {
		if !flags[i].checkEnum() {
			return false
		}
	}
	*cli = c
	return true
}

func findFlag(flags []fastFlag, match func(*fastFlag) bool) *fastFlag {
	for i := range flags {
		if match(&flags[i]) {
			return &flags[i]
		}
	}
	return nil
}

type fastKind int

const (
	fastString fastKind = iota
	fastBool
	fastDuration
	fastDurationPtr
	fastStrings
)

// fastFlag is one flag as kong would see it.
type fastFlag struct {
	v       reflect.Value // the field, settable
	field   string        // the field's name
	kind    fastKind
	name    string // long name without "--": the name tag, else computed on first use
	short   string // one character, or ""
	envs    string // the env tag: names separated by ',' or ' '
	def     string
	hasDef  bool
	enum    string
	sep     rune
	flagged bool // given on the command line: a list starts afresh
	bad     bool // its name is not one kong derives alike: leave it to kong
}

// fastFlags appends to flags the flags of the get command's path in v (a
// CLI): the fields of CLI and of its embedded structs, and those of the
// default command. ok is false if anything in the model is beyond parseFast.
func fastFlags(v reflect.Value, flags []fastFlag) (_ []fastFlag, ok bool) {
	var walk func(v reflect.Value, inGet bool) bool
	walk = func(v reflect.Value, inGet bool) bool {
		if hasHooks(v.Addr().Type()) {
			return false
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			ft, fv := t.Field(i), v.Field(i)
			var buf [16]tagPair
			tags, ok := parseTags(ft.Tag, buf[:0])
			if !ok {
				return false
			}
			if k, ok := tags.lookup("kong"); ok {
				if k != "-" {
					return false // kong-style tags: not read here
				}
				continue
			}
			if !fv.CanSet() {
				continue
			}
			if _, cmd := tags.lookup("cmd"); cmd {
				if inGet || ft.Type.Kind() != reflect.Struct {
					return false
				}
				def, hasDef := tags.lookup("default")
				name := tags.get("name")
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
				if ft.Type.Kind() != reflect.Struct || ft.Tag != "" || !walk(fv, inGet) {
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
	ok = walk(v, false)
	return flags, ok
}

// fastTags are the struct tags parseFast understands; any other kong tag
// (arg, aliases, negatable, type, xor, required, prefix…) sends the command
// line to kong.
const fastTags = " cmd name short env default enum sep help placeholder hidden group kong "

func newFastFlag(ft reflect.StructField, fv reflect.Value, tags tagPairs) (fastFlag, bool) {
	f := fastFlag{v: fv, field: ft.Name, name: tags.get("name"), sep: ','}
	switch ft.Type {
	case reflect.TypeFor[string]():
		f.kind = fastString
	case reflect.TypeFor[bool]():
		f.kind = fastBool
	case reflect.TypeFor[time.Duration]():
		f.kind = fastDuration
	case reflect.TypeFor[*time.Duration]():
		f.kind = fastDurationPtr
	case reflect.TypeFor[[]string]():
		f.kind = fastStrings
	default:
		return f, false
	}
	for _, k := range [...]string{"name", "short", "env", "default", "enum", "sep"} {
		if strings.Contains(tags.get(k), "${") {
			return f, false // kong would interpolate it
		}
	}
	if s := tags.get("short"); s != "" {
		if utf8.RuneCountInString(s) != 1 {
			return f, false
		}
		f.short = s
	}
	f.envs = tags.get("env")
	f.def, f.hasDef = tags.lookup("default")
	f.enum = tags.get("enum")
	if s, ok := tags.lookup("sep"); ok {
		switch r, n := utf8.DecodeRuneInString(s); {
		case s == "none":
			f.sep = -1
		case n > 0 && n == len(s):
			f.sep = r
		default:
			return f, false
		}
	}
	return f, true
}

// longName is the flag's name without "--", as kong derives it.
func (f *fastFlag) longName() string {
	if f.name == "" {
		if f.name = kongName(f.field); f.name == "" {
			f.bad = true
		}
	}
	return f.name
}

// reset applies the flag's environment variable (the first one set) or its
// default, as kong does before it reads the command line.
func (f *fastFlag) reset() bool {
	for rest := f.envs; rest != ""; {
		i := strings.IndexAny(rest, ", ")
		env := rest
		if i >= 0 {
			env, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if env == "" {
			continue
		}
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
	case fastDurationPtr:
		d, err := time.ParseDuration(s)
		if err != nil {
			return false
		}
		f.v.Set(reflect.ValueOf(&d))
	case fastStrings:
		list := f.v.Interface().([]string)
		switch {
		case !flagged:
			list = nil
		case !f.flagged:
			list = []string{} // the command line replaces the environment's list
			f.flagged = true
		}
		f.v.Set(reflect.ValueOf(append(list, splitEscaped(s, f.sep)...)))
	}
	return true
}

func (f *fastFlag) checkEnum() bool {
	if f.enum == "" {
		return true
	}
	allowed := func(v string) bool {
		for rest := f.enum; ; {
			e, after, more := strings.Cut(rest, ",")
			if strings.TrimSpace(e) == v {
				return true
			}
			if !more {
				return false
			}
			rest = after
		}
	}
	switch f.kind {
	case fastString:
		return allowed(f.v.String())
	case fastStrings:
		for _, s := range f.v.Interface().([]string) {
			if !allowed(s) {
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
	if t.NumMethod() == 0 {
		return false
	}
	for _, m := range [...]string{"BeforeReset", "BeforeResolve", "BeforeApply", "AfterApply", "Validate", "Decode", "Signature", "IgnoreDefault"} {
		if _, ok := t.MethodByName(m); ok {
			return true
		}
	}
	return false
}

// tagPair is one key:"value" of a struct tag, its value unquoted.
type tagPair struct{ key, value string }

// tagPairs are a field's tags, read once: every later question about them is
// a look-up here, not another scan of the tag (help texts make tags long,
// and reflect.StructTag.Lookup scans from the start every time).
type tagPairs []tagPair

func (ts tagPairs) lookup(key string) (string, bool) {
	for _, t := range ts {
		if t.key == key {
			return t.value, true
		}
	}
	return "", false
}

func (ts tagPairs) get(key string) string { v, _ := ts.lookup(key); return v }

// parseTags reads a struct tag as reflect.StructTag.Lookup does, into pairs
// (appended to buf, whose capacity bounds how many are read), and reports
// false for anything parseFast does not handle: a key outside fastTags, a
// key given twice, a malformed tag. Only the values parseFast uses are
// unquoted; the others (help, placeholder) are only checked to be well
// formed.
func parseTags(tag reflect.StructTag, buf []tagPair) (tagPairs, bool) {
	s := string(tag)
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return buf, true
		}
		colon := strings.Index(s, `:"`)
		if colon <= 0 || strings.ContainsAny(s[:colon], " \"") {
			return nil, false
		}
		key := s[:colon]
		if !strings.Contains(fastTags, " "+key+" ") || len(buf) == cap(buf) {
			return nil, false
		}
		if _, dup := tagPairs(buf).lookup(key); dup {
			return nil, false
		}
		s = s[colon+1:]
		end, escaped := 1, false
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				end++
				escaped = true
			}
			end++
		}
		if end >= len(s) {
			return nil, false
		}
		quoted := s[:end+1]
		value := quoted[1:end]
		if escaped || strings.ContainsAny(value, "\n\r") {
			v, err := strconv.Unquote(quoted)
			if err != nil {
				return nil, false
			}
			value = v
		}
		buf = append(buf, tagPair{key, value})
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
	var b strings.Builder
	b.Grow(len(field) + 4)
	for i := 0; i < len(field); {
		c := class(field[i])
		if c == 4 {
			return ""
		}
		j := i + 1
		for j < len(field) && class(field[j]) == c {
			j++
		}
		// A run of capitals followed by lower case gives its last capital
		// to the next word: "CAF" "ile" → "CA" "File".
		if c == 2 && j-i > 1 && j < len(field) && class(field[j]) == 1 {
			j--
		}
		// A capital followed by lower case starts one word: "F" + "ile".
		if c == 2 && j-i == 1 && j < len(field) && class(field[j]) == 1 {
			for j < len(field) && class(field[j]) == 1 {
				j++
			}
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		for k := i; k < j; k++ {
			ch := field[k]
			if class(ch) == 2 {
				ch += 'a' - 'A'
			}
			b.WriteByte(ch)
		}
		i = j
	}
	return b.String()
}

// splitEscaped splits s at sep as kong does for list values: a backslash
// before sep keeps the separator in the item; before anything else, the
// backslash is kept.
func splitEscaped(s string, sep rune) []string {
	if sep == -1 {
		return []string{s}
	}
	var out []string
	var item strings.Builder
	runes := []rune(s)
	for i := 0; i < len(runes); i++ {
		switch ch := runes[i]; {
		case ch == '\\' && i < len(runes)-1:
			i++
			if runes[i] != sep {
				item.WriteRune('\\')
			}
			item.WriteRune(runes[i])
		case ch == sep:
			out = append(out, item.String())
			item.Reset()
		default:
			item.WriteRune(ch)
		}
	}
	if item.Len() > 0 {
		out = append(out, item.String())
	}
	return out
}
