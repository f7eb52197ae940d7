package cliargs

// The generator of fastflags_gen.go: ParseFast's flag table, read from
// CLI's struct tags by reflection here, once, instead of at every start of
// the front. `go generate ./internal/cliargs` runs it (TestFlagTable with
// -update, built with -tags genflags so that a table that no longer
// compiles is left out: fastflags_off.go); without -update, TestFlagTable
// fails when the committed table is not the one CLI gives.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite fastflags_gen.go from CLI's struct tags")

const flagTableFile = "fastflags_gen.go"

func TestFlagTable(t *testing.T) {
	got, err := generateFlagTable(reflect.TypeFor[CLI]())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(flagTableFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(flagTableFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("flag table is stale: run go generate ./internal/cliargs\n%s", firstDifference(want, got))
	}
}

// firstDifference shows the first line where the committed table (have)
// and the generated one (want) differ.
func firstDifference(have, want []byte) string {
	h, w := strings.Split(string(have), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(h) || i < len(w); i++ {
		var hl, wl string
		if i < len(h) {
			hl = h[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if hl != wl {
			return fmt.Sprintf("%s:%d:\n  committed: %s\n  generated: %s", flagTableFile, i+1, hl, wl)
		}
	}
	return ""
}

// Every row's field is of the type its kind says: ParseFast's type
// assertions cannot fail.
func TestFlagTableFieldTypes(t *testing.T) {
	var c CLI
	for i, f := range fastFlagTable {
		var ok bool
		switch p := fastField(&c, i); f.kind {
		case fastString:
			_, ok = p.(*string)
		case fastBool:
			_, ok = p.(*bool)
		case fastDuration:
			_, ok = p.(*time.Duration)
		case fastDurationPtr:
			_, ok = p.(**time.Duration)
		case fastStrings:
			_, ok = p.(*[]string)
		}
		if !ok {
			t.Errorf("--%s: kind %d, field %T", f.long, f.kind, fastField(&c, i))
		}
	}
}

// The generator follows the model: a new flag is a new row, and whatever
// ParseFast cannot decide as kong would turns it off, saying why.
func TestGenerateFlagTable(t *testing.T) {
	type oneFlag struct {
		Session string `short:"s" env:"X_SESSION"`
		Get     GetCmd `cmd:"" default:"withargs"`
	}
	type aFlagMore struct {
		Session string `short:"s" env:"X_SESSION"`
		CAFile  string `env:"X_CA, X_CA_FILE" default:"/etc/ca.pem"`
		Get     GetCmd `cmd:"" default:"withargs"`
	}
	type kinds struct {
		Globals
		Get struct {
			Wait  time.Duration `name:"wait-for"`
			Hosts []string      `sep:" " enum:"a, b"`
			Whole []string      `sep:"none"`
		} `cmd:"" default:"withargs"`
		Other struct {
			Ignored int `arg:""`
		} `cmd:""`
	}
	type unknownTag struct {
		Where string `xor:"w"`
	}
	type unknownType struct{ Count int }
	type interpolated struct {
		Dir string `default:"${home}"`
	}
	type nonASCII struct{ Größe string }
	type aNameTwice struct {
		A string `name:"x"`
		B string `name:"x"`
	}
	type help struct {
		Hilfe bool `short:"h"`
	}
	type withHooks struct{ hooked }
	type hooks struct {
		H withHooks `cmd:"" name:"get" default:"withargs"`
	}
	type anotherDefault struct {
		Run struct{} `cmd:"" default:"1"`
	}
	type enumOnBool struct {
		Yes bool `enum:"true"`
	}
	tests := []struct {
		model reflect.Type
		want  []string // lines in the generated table
		off   string   // the reason it is off, if it is
	}{
		{model: reflect.TypeFor[oneFlag](), want: []string{"func fastField(c *oneFlag, row int) any {",
			"// Session\n\t{long: \"session\", short: \"s\", envs: []string{\"X_SESSION\"}, kind: fastString},", "return &c.Session"}},
		{model: reflect.TypeFor[aFlagMore](), want: []string{
			"// Session\n\t{long: \"session\", short: \"s\", envs: []string{\"X_SESSION\"}, kind: fastString},", "case 0:\n\t\treturn &c.Session",
			"// CAFile\n\t{long: \"ca-file\", envs: []string{\"X_CA\", \"X_CA_FILE\"}, def: \"/etc/ca.pem\", hasDef: true, kind: fastString},", "case 1:\n\t\treturn &c.CAFile"}},
		{model: reflect.TypeFor[kinds](), want: []string{
			`{long: "verbose", short: "v", envs: []string{"FOURINSIGHT_VERBOSE"}, kind: fastBool},`,
			`{long: "wait-for", kind: fastDuration},`,
			`{long: "hosts", enum: []string{"a", "b"}, sep: ' ', kind: fastStrings},`,
			`{long: "whole", sep: -1, kind: fastStrings},`,
			"return &c.Get.Whole", "return &c.Globals.MinValid"}},
		{model: reflect.TypeFor[unknownTag](), off: `Where: tag "xor" is not one ParseFast reads`},
		{model: reflect.TypeFor[unknownType](), off: "Count: ParseFast does not parse a int"},
		{model: reflect.TypeFor[interpolated](), off: "Dir: kong would interpolate its default"},
		{model: reflect.TypeFor[nonASCII](), off: "Größe: kong derives its name otherwise"},
		{model: reflect.TypeFor[aNameTwice](), off: "B: --x is taken"},
		{model: reflect.TypeFor[help](), off: "Hilfe: -h is taken"},
		{model: reflect.TypeFor[hooks](), off: "H: kong calls a method"},
		{model: reflect.TypeFor[anotherDefault](), off: "Run: another default command"},
		{model: reflect.TypeFor[enumOnBool](), off: "Yes: an enum on a bool"},
	}
	for _, tt := range tests {
		t.Run(tt.model.Name(), func(t *testing.T) {
			src, err := generateFlagTable(tt.model)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range tt.want {
				if !bytes.Contains(src, []byte(line)) {
					t.Errorf("no %s in\n%s", line, src)
				}
			}
			if off := bytes.Contains(src, []byte("const fastParseOff = true")); off != (tt.off != "") || !bytes.Contains(src, []byte(tt.off)) {
				t.Errorf("want off %q, got\n%s", tt.off, src)
			}
		})
	}
}

type hooked struct{}

func (*hooked) AfterApply() error { return nil }

// generateFlagTable writes fastflags_gen.go for a model like CLI (model):
// its flag table and fastField, or fastParseOff with the reason.
func generateFlagTable(model reflect.Type) ([]byte, error) {
	rows, err := flagRows(model)
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by \"go generate\" (TestFlagTable) from %s's struct tags; DO NOT EDIT.\n\n", model.Name())
	b.WriteString("//go:build !genflags\n\n") // see fastflags_off.go
	b.WriteString("package cliargs\n\n")
	if err != nil {
		fmt.Fprintf(&b, "// fastParseOff: ParseFast leaves every command line to kong, because\n// %s.\n", err)
		b.WriteString("const fastParseOff = true\n\n")
		b.WriteString("var fastFlagTable = [...]fastFlag{}\n\n")
		fmt.Fprintf(&b, "func fastField(c *%s, row int) any { return nil }\n", model.Name())
		return format.Source(b.Bytes())
	}
	b.WriteString("// fastParseOff: ParseFast can decide get's command lines as kong would.\n")
	b.WriteString("const fastParseOff = false\n\n")
	fmt.Fprintf(&b, "// fastFlagTable holds the flags of the get command's path, in %s's order.\n", model.Name())
	b.WriteString("var fastFlagTable = [...]fastFlag{\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "// %s\n%s,\n", r.path, r.literal())
	}
	b.WriteString("}\n\n")
	b.WriteString("// fastField is the field of c that fastFlagTable[row] sets: a *string, *bool,\n")
	b.WriteString("// *time.Duration, **time.Duration or *[]string, as the row's kind says.\n")
	fmt.Fprintf(&b, "func fastField(c *%s, row int) any {\n\tswitch row {\n", model.Name())
	for i, r := range rows {
		fmt.Fprintf(&b, "\tcase %d:\n\t\treturn &c.%s\n", i, r.path)
	}
	b.WriteString("\t}\n\treturn nil\n}\n")
	return format.Source(b.Bytes())
}

// flagRow is one row of the table, and the path of its field from the model.
type flagRow struct {
	fastFlag
	path string // Globals.Session
}

var kindNames = [...]string{fastString: "fastString", fastBool: "fastBool", fastDuration: "fastDuration", fastDurationPtr: "fastDurationPtr", fastStrings: "fastStrings"}

// literal is the row as a fastFlag composite literal, zero fields left out.
func (r flagRow) literal() string {
	quoted := func(ss []string) string {
		q := make([]string, len(ss))
		for i, s := range ss {
			q[i] = strconv.Quote(s)
		}
		return "[]string{" + strings.Join(q, ", ") + "}"
	}
	fields := []string{"long: " + strconv.Quote(r.long)}
	if r.short != "" {
		fields = append(fields, "short: "+strconv.Quote(r.short))
	}
	if r.envs != nil {
		fields = append(fields, "envs: "+quoted(r.envs))
	}
	if r.hasDef {
		fields = append(fields, "def: "+strconv.Quote(r.def), "hasDef: true")
	}
	if r.enum != nil {
		fields = append(fields, "enum: "+quoted(r.enum))
	}
	if r.kind == fastStrings {
		sep := strconv.QuoteRune(r.sep)
		if r.sep == -1 {
			sep = "-1"
		}
		fields = append(fields, "sep: "+sep)
	}
	fields = append(fields, "kind: "+kindNames[r.kind])
	return "{" + strings.Join(fields, ", ") + "}"
}

// flagRows reads the flags of the get command's path in model (a struct like
// CLI): its fields and those of its embedded structs, and those of the
// default command get. It returns an error for anything in the model beyond
// ParseFast.
func flagRows(model reflect.Type) ([]flagRow, error) {
	var rows []flagRow
	taken := map[string]bool{"--help": true, "-h": true} // kong's own
	var walk func(t reflect.Type, path string, inGet bool) error
	walk = func(t reflect.Type, path string, inGet bool) error {
		if hasHooks(reflect.PointerTo(t)) {
			return fmt.Errorf("%s: kong calls a method of %s while parsing", strings.TrimSuffix(path, "."), t)
		}
		for i := 0; i < t.NumField(); i++ {
			ft := t.Field(i)
			where := path + ft.Name
			tags, err := parseTags(ft.Tag)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if k, ok := tags.lookup("kong"); ok {
				if k != "-" {
					return fmt.Errorf("%s: kong-style tags are not read here", where)
				}
				continue
			}
			if !ft.IsExported() {
				continue
			}
			if _, cmd := tags.lookup("cmd"); cmd {
				if inGet || ft.Type.Kind() != reflect.Struct {
					return fmt.Errorf("%s: a command ParseFast does not know", where)
				}
				def, hasDef := tags.lookup("default")
				name := tags.get("name")
				if name == "" {
					name = kongName(ft.Name)
				}
				switch {
				case name == "":
					return fmt.Errorf("%s: kong derives its name otherwise", where)
				case hasDef && (def != "withargs" || name != "get"):
					return fmt.Errorf("%s: another default command than get", where)
				case name == "get":
					if !hasDef {
						return fmt.Errorf("%s: get is not the default command", where)
					}
					if err := walk(ft.Type, where+".", true); err != nil {
						return err
					}
				}
				continue // another command: not on get's path
			}
			if ft.Anonymous {
				if ft.Type.Kind() != reflect.Struct || ft.Tag != "" {
					return fmt.Errorf("%s: an embedded field ParseFast does not know", where)
				}
				if err := walk(ft.Type, where+".", inGet); err != nil {
					return err
				}
				continue
			}
			f, err := newFastFlag(ft, tags)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			for _, name := range []string{"--" + f.long, "-" + f.short} {
				if name != "-" && taken[name] {
					return fmt.Errorf("%s: %s is taken", where, name)
				}
				taken[name] = true
			}
			rows = append(rows, flagRow{f, where})
		}
		return nil
	}
	return rows, walk(model, "", false)
}

// newFastFlag reads one flag's tags as kong would.
func newFastFlag(ft reflect.StructField, tags tagPairs) (fastFlag, error) {
	f := fastFlag{long: tags.get("name")}
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
		return f, fmt.Errorf("ParseFast does not parse a %s", ft.Type)
	}
	for _, k := range [...]string{"name", "short", "env", "default", "enum", "sep"} {
		if strings.Contains(tags.get(k), "${") {
			return f, fmt.Errorf("kong would interpolate its %s", k)
		}
	}
	if f.long == "" {
		if f.long = kongName(ft.Name); f.long == "" {
			return f, errors.New("kong derives its name otherwise (not ASCII letters and digits); give it a name tag")
		}
	}
	if s := tags.get("short"); s != "" {
		if utf8.RuneCountInString(s) != 1 {
			return f, fmt.Errorf("short %q is not one character", s)
		}
		f.short = s
	}
	f.envs = strings.FieldsFunc(tags.get("env"), func(r rune) bool { return r == ',' || r == ' ' })
	if len(f.envs) == 0 {
		f.envs = nil
	}
	f.def, f.hasDef = tags.lookup("default")
	if enum := tags.get("enum"); enum != "" {
		if f.kind != fastString && f.kind != fastStrings {
			return f, fmt.Errorf("an enum on a %s", ft.Type)
		}
		for e := range strings.SplitSeq(enum, ",") {
			f.enum = append(f.enum, strings.TrimSpace(e))
		}
	}
	f.sep = ','
	if s, ok := tags.lookup("sep"); ok {
		switch r, n := utf8.DecodeRuneInString(s); {
		case s == "none":
			f.sep = -1
		case n > 0 && n == len(s):
			f.sep = r
		default:
			return f, fmt.Errorf("sep %q is not one character or none", s)
		}
	}
	return f, nil
}

// hasHooks reports whether kong would call a method of t while parsing: hooks,
// validators, custom mappers or signatures.
func hasHooks(t reflect.Type) bool {
	for _, m := range [...]string{"BeforeReset", "BeforeResolve", "BeforeApply", "AfterApply", "Validate", "Decode", "Signature", "IgnoreDefault"} {
		if _, ok := t.MethodByName(m); ok {
			return true
		}
	}
	return false
}

// fastTags are the struct tags ParseFast understands; any other kong tag
// (arg, aliases, negatable, type, xor, required, prefix…) turns it off.
const fastTags = " cmd name short env default enum sep help placeholder hidden group kong "

// tagPair is one key:"value" of a struct tag, its value unquoted.
type tagPair struct{ key, value string }

// tagPairs are a field's tags.
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

// parseTags reads a struct tag as reflect.StructTag.Lookup does, and returns
// an error for anything ParseFast does not handle: a key outside fastTags, a
// key given twice, a malformed tag.
func parseTags(tag reflect.StructTag) (tagPairs, error) {
	var pairs tagPairs
	s := string(tag)
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return pairs, nil
		}
		colon := strings.Index(s, `:"`)
		if colon <= 0 || strings.ContainsAny(s[:colon], " \"") {
			return nil, fmt.Errorf("tag %q is not key:\"value\" pairs", tag)
		}
		key := s[:colon]
		if !strings.Contains(fastTags, " "+key+" ") {
			return nil, fmt.Errorf("tag %q is not one ParseFast reads", key)
		}
		if _, dup := pairs.lookup(key); dup {
			return nil, fmt.Errorf("tag %q given twice", key)
		}
		s = s[colon+1:]
		end := 1
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(s) {
			return nil, fmt.Errorf("tag %q: its value does not end", key)
		}
		value, err := strconv.Unquote(s[:end+1])
		if err != nil {
			return nil, fmt.Errorf("tag %q: its value is not a Go string: %w", key, err)
		}
		pairs = append(pairs, tagPair{key, value})
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

// parseTags reads tags as reflect.StructTag.Lookup does, and refuses what
// the fast parser leaves to kong (the generator turns it off).
func TestParseTags(t *testing.T) {
	tests := []struct {
		tag  reflect.StructTag
		ok   bool
		want map[string]string
	}{
		{`short:"s" env:"FOURINSIGHT_SESSION" help:"Cache entry (\"quoted\"), a \\ back-slash."`, true,
			map[string]string{"short": "s", "env": "FOURINSIGHT_SESSION", "help": `Cache entry ("quoted"), a \ back-slash.`}},
		{`  name:"retry-signin-after"   default:""`, true, map[string]string{"name": "retry-signin-after", "default": ""}},
		{``, true, map[string]string{}},
		{`short:"s" short:"t"`, false, nil},          // a key twice
		{`xor:"where"`, false, nil},                  // a tag kong reads and parseFast does not
		{`short:"s`, false, nil},                     // unterminated
		{`short: "s"`, false, nil},                   // not key:"value"
		{`help:"bad \q escape"`, false, nil},         // not a Go string
		{`help:"line` + "\n" + `break"`, false, nil}, // a raw newline
	}
	for _, tt := range tests {
		got, err := parseTags(tt.tag)
		if ok := err == nil; ok != tt.ok {
			t.Errorf("parseTags(%q) ok = %v (%v), want %v", tt.tag, ok, err, tt.ok)
			continue
		}
		for k, v := range tt.want {
			if g, found := got.lookup(k); !found || g != v {
				t.Errorf("parseTags(%q)[%s] = %q, %v; want %q", tt.tag, k, g, found, v)
			}
			if r, _ := tt.tag.Lookup(k); r != v {
				t.Errorf("reflect reads %q as %q for %s, the test wants %q", tt.tag, r, k, v)
			}
		}
	}
}

// kongCamelCase is kong's camelCase (camelcase.go), which kongName follows
// for ASCII names.
func kongCamelCase(src string) (entries []string) {
	var runes [][]rune
	lastClass := 0
	for _, r := range src {
		var class int
		switch {
		case unicode.IsLower(r):
			class = 1
		case unicode.IsUpper(r):
			class = 2
		case unicode.IsDigit(r):
			class = 3
		default:
			class = 4
		}
		if class == lastClass {
			runes[len(runes)-1] = append(runes[len(runes)-1], r)
		} else {
			runes = append(runes, []rune{r})
		}
		lastClass = class
	}
	for i := 0; i < len(runes)-1; i++ {
		if unicode.IsUpper(runes[i][0]) && unicode.IsLower(runes[i+1][0]) {
			runes[i+1] = append([]rune{runes[i][len(runes[i])-1]}, runes[i+1]...)
			runes[i] = runes[i][:len(runes[i])-1]
		}
	}
	for _, s := range runes {
		if len(s) > 0 {
			entries = append(entries, string(s))
		}
	}
	return entries
}

func FuzzKongName(f *testing.F) {
	for _, s := range []string{"ClientSecretFile", "CAFile", "DeviceAuthURL", "NoStore", "Foo2Bar", "ABc", "X", "URLs", "A1b", "HTTPServer2Go"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		got := kongName(field)
		for i := 0; i < len(field); i++ {
			if c := field[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				if got != "" {
					t.Fatalf("kongName(%q) = %q, want \"\" (not ASCII letters and digits)", field, got)
				}
				return
			}
		}
		if want := strings.ToLower(strings.Join(kongCamelCase(field), "-")); got != want {
			t.Fatalf("kongName(%q) = %q, kong says %q", field, got, want)
		}
	})
}
