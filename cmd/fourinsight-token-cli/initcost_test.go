package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/internal/testtool"
)

// Go runs the init of every package it links, at every start: a cached get
// pays for all of them. A package-level regexp.MustCompile costs about as
// much as the whole of get's own work, so none of this module's packages
// linked into fourinsight-token may compile one at init (compile it where
// it is used, or check by hand). See docs/performance.md.
func TestNoRegexpCompiledAtInit(t *testing.T) {
	testtool.Need(t, "go")
	const module = "github.com/fourinsight-token/fourinsight-token"
	for _, goos := range []string{"linux", "darwin", "windows"} {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \"\\t\"}}", module+"/cmd/fourinsight-token")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fields := strings.Split(line, "\t")
			if !strings.HasPrefix(fields[0], module) {
				continue
			}
			for _, name := range fields[2:] {
				path := filepath.Join(fields[1], name)
				for _, where := range initRegexps(t, path) {
					t.Errorf("GOOS=%s: %s compiles a regexp at init (%s)", goos, fields[0], where)
				}
			}
		}
	}
}

// initRegexps lists the package-level variables of a Go file whose value
// compiles a regexp.
func initRegexps(t *testing.T, path string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.VAR {
			continue
		}
		ast.Inspect(gen, func(n ast.Node) bool {
			if _, ok := n.(*ast.FuncLit); ok {
				return false // runs when called, not at init
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "regexp" && strings.Contains(sel.Sel.Name, "Compile") {
					found = append(found, fset.Position(call.Pos()).String())
				}
			}
			return true
		})
	}
	return found
}
