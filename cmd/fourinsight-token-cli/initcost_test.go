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
// much as the whole of get's own work, and a package-level fmt.Errorf runs
// fmt's cold code (about 1 % of a cached get), so none of this module's
// packages linked into fourinsight-token may call either at init (compile
// or format where it is used; errors.New for a fixed error). See
// docs/performance.md.
func TestNoCostlyWorkAtInit(t *testing.T) {
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
				for _, where := range initCalls(t, path) {
					t.Errorf("GOOS=%s: %s calls %s at init", goos, fields[0], where)
				}
			}
		}
	}
}

// initCalls lists the package-level variables of a Go file whose value
// compiles a regexp or calls fmt.
func initCalls(t *testing.T, path string) []string {
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
				if pkg, ok := sel.X.(*ast.Ident); ok && (pkg.Name == "regexp" && strings.Contains(sel.Sel.Name, "Compile") || pkg.Name == "fmt") {
					found = append(found, pkg.Name+"."+sel.Sel.Name+" ("+fset.Position(call.Pos()).String()+")")
				}
			}
			return true
		})
	}
	return found
}
