package aten

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch/ts"
)

// The rule this package exists for: outside internal/aten, no non-test Go
// file of the module reaches libtorch except through it. Checked on the
// source, so it holds without anyone remembering it.

// forbiddenImports may only be imported by internal/aten.
var forbiddenImports = map[string]string{
	"C":                               "cgo",
	"github.com/sugarme/gotch/libtch": "gotch's C bindings",
	"github.com/sugarme/gotch/ts":     "gotch's generated tensor ops",
}

// inPlaceMethods are gotch Tensor's in-place X_ methods (they leak the
// tensor they return; see scope.go).
func inPlaceMethods() map[string]bool {
	m := map[string]bool{}
	typ := reflect.TypeOf(&ts.Tensor{})
	for i := 0; i < typ.NumMethod(); i++ {
		if name := typ.Method(i).Name; strings.HasSuffix(name, "_") {
			m[name] = true
		}
	}
	return m
}

// violations lists every forbidden use in the non-test Go files under
// root, skipping skipDir (relative to root).
func violations(root, skipDir string) ([]string, error) {
	inPlace := inPlaceMethods()
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == skipDir || (rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		gotchName := ""
		otherPkgs := map[string]bool{} // import names of non-gotch packages
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, "github.com/sugarme/gotch") {
				name := filepath.Base(p)
				if imp.Name != nil {
					name = imp.Name.Name
				}
				otherPkgs[name] = true
			}
			if why, bad := forbiddenImports[p]; bad {
				out = append(out, fmt.Sprintf("%s: imports %q (%s)", rel, p, why))
			}
			if p == "github.com/sugarme/gotch" {
				gotchName = "gotch"
				if imp.Name != nil {
					gotchName = imp.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			name := sel.Sel.Name
			if x, ok := sel.X.(*ast.Ident); ok && otherPkgs[x.Name] {
				return true // regexp.MustCompile and the like
			}
			pos := fset.Position(sel.Sel.Pos())
			where := fmt.Sprintf("%s:%d", rel, pos.Line)
			switch {
			case strings.HasPrefix(name, "Must") && len(name) > 4 && name[4] >= 'A' && name[4] <= 'Z':
				out = append(out, fmt.Sprintf("%s: calls %s (gotch's Must* wrappers log.Fatal and leak)", where, name))
			case inPlace[name]:
				out = append(out, fmt.Sprintf("%s: calls %s (gotch's in-place ops leak the tensor)", where, name))
			case gotchName != "":
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == gotchName && name == "CUDA" {
					out = append(out, fmt.Sprintf("%s: uses gotch.CUDA (use engine or internal/aten)", where))
				}
			}
			return true
		})
		return nil
	})
	sort.Strings(out)
	return out, err
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no go.mod above the package")
		dir = parent
	}
}

func TestOnlyAtenReachesLibtorch(t *testing.T) {
	root := moduleRoot(t)
	v, err := violations(root, filepath.Join("internal", "aten"))
	require.NoError(t, err)
	assert.Empty(t, v, "libtorch must be reached through internal/aten only")
}

// TestGuardCatchesViolations: the guard is itself tested on a module that
// breaks each rule once.
func TestGuardCatchesViolations(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644))
	bad := `package x

import "C"

import (
	"regexp"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

func f(t *ts.Tensor) {
	y := ts.MustZeros(nil, gotch.Float, gotch.CPU)
	t.Relu_()
	_ = gotch.CUDA.IsAvailable()
	_ = t.MustSize()
	_ = regexp.MustCompile("ok")
	_ = y
}
`
	require.NoError(t, os.MkdirAll(filepath.Join(root, "dskd"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "dskd", "bad.go"), []byte(bad), 0o644))
	// Test files and the skipped folder may do anything.
	require.NoError(t, os.WriteFile(filepath.Join(root, "dskd", "bad_test.go"), []byte(bad), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "internal", "aten"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "internal", "aten", "ok.go"), []byte(bad), 0o644))
	v, err := violations(root, filepath.Join("internal", "aten"))
	require.NoError(t, err)
	assert.Equal(t, []string{
		`dskd/bad.go: imports "C" (cgo)`,
		`dskd/bad.go: imports "github.com/sugarme/gotch/ts" (gotch's generated tensor ops)`,
		`dskd/bad.go:13: calls MustZeros (gotch's Must* wrappers log.Fatal and leak)`,
		`dskd/bad.go:14: calls Relu_ (gotch's in-place ops leak the tensor)`,
		`dskd/bad.go:15: uses gotch.CUDA (use engine or internal/aten)`,
		`dskd/bad.go:16: calls MustSize (gotch's Must* wrappers log.Fatal and leak)`,
	}, v)
}
