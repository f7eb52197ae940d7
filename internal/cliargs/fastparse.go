package cliargs

import (
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

//go:generate go test -tags genflags -run TestFlagTable -update

// ParseFast parses the command line of a plain get — what shells, Makefiles,
// kubectl and git run thousands of times a day — without kong. kong builds
// its whole model by reflection at every start (every command, flag and help
// text), which costs more than the rest of a cached get.
//
// It reads the flags from fastFlagTable, which is generated from the struct
// tags kong reads (name, short, env, default, enum, sep) of the get command's
// path (CLI's embedded structs and GetCmd); a test fails when the table is
// stale. It accepts only what it can decide exactly as kong would: those flags
// given as --name=value, --name value or -x value, or bare --name and -x for
// booleans; the command name "get" once; and the environment variables of
// those flags. Anything else — help, another command, an unknown or malformed
// flag, a value kong would reject, a model the table cannot describe
// (fastParseOff) — returns false, and kong parses the command line as usual,
// with its messages. cmd/fourinsight-token-cli's fastparse_test.go checks that
// both give the same result.
//
// It uses no reflection and allocates little: every first allocation of a
// size touches fresh memory, and page faults are a good part of a short
// process's time.
func ParseFast(args []string, cli *CLI) bool {
	if fastParseOff {
		return false
	}
	var c CLI
	var flagged [len(fastFlagTable)]bool // a list given on the command line
	// Environment and defaults first (kong's Reset), then the command line.
	for i := range fastFlagTable {
		if !fastFlagTable[i].reset(&c, i) {
			return false
		}
	}
	get := false
	for i := 0; i < len(args); i++ {
		arg := args[i]
		f := -1
		value, inline := "", false
		switch {
		case arg == "get" && !get:
			get = true
			continue
		case len(arg) > 2 && strings.HasPrefix(arg, "--"):
			var name string
			name, value, inline = strings.Cut(arg[2:], "=")
			f = findLong(name)
		case len(arg) == 2 && arg[0] == '-' && arg[1] != '-':
			f = findShort(arg[1:])
		}
		if f < 0 {
			return false
		}
		flag := &fastFlagTable[f]
		if flag.kind == fastBool {
			if inline {
				return false
			}
			*fastField(&c, f).(*bool) = true
			continue
		}
		if !inline {
			// kong takes the next argument unless it looks like a flag.
			if i+1 >= len(args) || (args[i+1] != "-" && strings.HasPrefix(args[i+1], "-")) {
				return false
			}
			i++
			value = args[i]
			if flag.kind == fastStrings && !itemsLookLikeValues(value, flag.sep) {
				return false
			}
		}
		if flag.kind == fastStrings && !flagged[f] {
			// The command line replaces the list the environment or the
			// default gave (with an empty list, as kong does, not nil).
			*fastField(&c, f).(*[]string) = []string{}
			flagged[f] = true
		}
		if !flag.parse(&c, f, value) {
			return false
		}
	}
	for i := range fastFlagTable {
		if !fastFlagTable[i].checkEnum(&c, i) {
			return false
		}
	}
	*cli = c
	return true
}

func findLong(name string) int {
	for i := range fastFlagTable {
		if fastFlagTable[i].long == name {
			return i
		}
	}
	return -1
}

func findShort(short string) int {
	for i := range fastFlagTable {
		if fastFlagTable[i].short == short {
			return i
		}
	}
	return -1
}

type fastKind int

const (
	fastString      fastKind = iota // string
	fastBool                        // bool
	fastDuration                    // time.Duration
	fastDurationPtr                 // *time.Duration
	fastStrings                     // []string
)

// fastFlag is one flag as kong sees it: one row of fastFlagTable, whose
// field in a CLI is fastField(c, row).
type fastFlag struct {
	long   string   // without "--"
	short  string   // one character, or ""
	envs   []string // the environment variables that set it, the first one set wins
	def    string   // its default, if hasDef
	hasDef bool
	enum   []string // the values allowed, if not nil
	sep    rune     // fastStrings: the separator of items in one value; -1: none
	kind   fastKind
}

// reset applies the flag's environment variable (the first one set) or its
// default, as kong does before it reads the command line.
func (f *fastFlag) reset(c *CLI, row int) bool {
	for _, env := range f.envs {
		if v, ok := os.LookupEnv(env); ok {
			return f.parse(c, row, v)
		}
	}
	if f.hasDef {
		return f.parse(c, row, f.def)
	}
	return true
}

// parse sets the flag's field in c from one value, the way kong's mappers
// do; a list's items are added to it.
func (f *fastFlag) parse(c *CLI, row int, s string) bool {
	if !utf8.ValidString(s) { // kong's JSON round trip would alter it
		return false
	}
	switch f.kind {
	case fastString:
		*fastField(c, row).(*string) = s
	case fastBool:
		b := fastField(c, row).(*bool)
		switch strings.ToLower(s) {
		case "true", "1", "yes":
			*b = true
		case "false", "0", "no":
			*b = false
		default:
			return false
		}
	case fastDuration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return false
		}
		*fastField(c, row).(*time.Duration) = d
	case fastDurationPtr:
		d, err := time.ParseDuration(s)
		if err != nil {
			return false
		}
		*fastField(c, row).(**time.Duration) = &d
	case fastStrings:
		list := fastField(c, row).(*[]string)
		*list = appendSplit(*list, s, f.sep)
	}
	return true
}

func (f *fastFlag) checkEnum(c *CLI, row int) bool {
	if f.enum == nil {
		return true
	}
	switch f.kind {
	case fastString:
		return f.allowed(*fastField(c, row).(*string))
	case fastStrings:
		for _, s := range *fastField(c, row).(*[]string) {
			if !f.allowed(s) {
				return false
			}
		}
		return true
	}
	return false // the generator gives no other kind an enum
}

func (f *fastFlag) allowed(v string) bool {
	for _, e := range f.enum {
		if e == v {
			return true
		}
	}
	return false
}

// itemsLookLikeValues reports whether kong takes each item of a list value
// that follows its flag as a value: like the value itself, an item that
// looks like a flag is not one.
func itemsLookLikeValues(value string, sep rune) bool {
	for _, item := range appendSplit(nil, value, sep) {
		if item != "-" && strings.HasPrefix(item, "-") {
			return false
		}
	}
	return true
}

// appendSplit appends to list the items of s split at sep as kong splits
// list values (kong.SplitEscaped): a backslash before sep keeps the
// separator in the item; before anything else, the backslash is kept. sep
// -1: s is one item.
func appendSplit(list []string, s string, sep rune) []string {
	if sep == -1 {
		return append(list, s)
	}
	var item strings.Builder
	for i := 0; i < len(s); {
		ch, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case ch == '\\' && i < len(s):
			next, m := utf8.DecodeRuneInString(s[i:])
			i += m
			if next != sep {
				item.WriteRune('\\')
			}
			item.WriteRune(next)
		case ch == sep:
			list = append(list, item.String())
			item.Reset()
		default:
			item.WriteRune(ch)
		}
	}
	if item.Len() > 0 {
		list = append(list, item.String())
	}
	return list
}
