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
	"regexp"
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
	err := eachGoFile(root, skipDir, fset, parser.SkipObjectResolution, func(rel string, f *ast.File) error {
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

// eachGoFile parses every non-test Go file under root (skipping skipDir,
// relative to root, and hidden, "_", testdata and node_modules folders)
// and calls fn with its path relative to root and its syntax tree.
func eachGoFile(root, skipDir string, fset *token.FileSet, mode parser.Mode, fn func(rel string, f *ast.File) error) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			name := d.Name()
			if rel == skipDir || (rel != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, mode)
		if err != nil {
			return err
		}
		return fn(rel, f)
	})
}

// The module's packages form layers; each package's doc.go names its own
// ("Layer: NAME"). A runtime package imports only packages of its own
// layer or the ones below; tooling stands apart and imports only the
// foundation; the foundation and the tooling never import gotch.
var runtimeLayers = []string{"foundation", "libtorch", "tensors", "training", "study", "programs"}

const toolingLayer = "tooling"

var layerLine = regexp.MustCompile(`(?m)^Layer: ([a-z]+)\b`)

// modulePackage is one package directory of the module: its layer and the
// imports of its non-test files.
type modulePackage struct {
	layer   string
	imports []string
}

// readLayers maps each package directory under root (module path modPath)
// to its layer and imports.
func readLayers(root, modPath string) (map[string]*modulePackage, error) {
	pkgs := map[string]*modulePackage{}
	fset := token.NewFileSet()
	err := eachGoFile(root, "", fset, parser.ImportsOnly|parser.ParseComments, func(rel string, f *ast.File) error {
		dir := filepath.ToSlash(filepath.Dir(rel))
		p := pkgs[dir]
		if p == nil {
			p = &modulePackage{}
			pkgs[dir] = p
		}
		if filepath.Base(rel) == "doc.go" && f.Doc != nil {
			if m := layerLine.FindStringSubmatch(f.Doc.Text()); m != nil {
				p.layer = m[1]
			}
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if ip == modPath || strings.HasPrefix(ip, modPath+"/") {
				ip = strings.TrimPrefix(strings.TrimPrefix(ip, modPath), "/")
				if ip == "" {
					ip = "."
				}
			} else if !strings.HasPrefix(ip, "github.com/sugarme/gotch") && ip != "C" {
				continue
			}
			p.imports = append(p.imports, ip)
		}
		return nil
	})
	return pkgs, err
}

func layerRank(layer string) int {
	for i, l := range runtimeLayers {
		if l == layer {
			return i
		}
	}
	return -1
}

// layerViolations lists every package without a known layer and every
// import that breaks the rules.
func layerViolations(pkgs map[string]*modulePackage) []string {
	var out []string
	known := func(l string) bool { return l == toolingLayer || layerRank(l) >= 0 }
	for dir, p := range pkgs {
		if !known(p.layer) {
			out = append(out, fmt.Sprintf("%s: doc.go names no known layer (%q); want a line \"Layer: NAME\", NAME one of %s or %s",
				dir, p.layer, strings.Join(runtimeLayers, ", "), toolingLayer))
			continue
		}
		for _, ip := range p.imports {
			libtorch := ip == "C" || strings.HasPrefix(ip, "github.com/sugarme/gotch")
			if libtorch {
				if p.layer == "foundation" || p.layer == toolingLayer {
					out = append(out, fmt.Sprintf("%s (%s) imports %s: only layers above the foundation reach libtorch", dir, p.layer, ip))
				}
				continue
			}
			q, ok := pkgs[ip]
			if !ok || !known(q.layer) {
				continue // reported as a package of its own
			}
			switch {
			case p.layer == toolingLayer:
				if q.layer != toolingLayer && q.layer != "foundation" {
					out = append(out, fmt.Sprintf("%s (tooling) imports %s (%s): tooling imports only the foundation", dir, ip, q.layer))
				}
			case q.layer == toolingLayer:
				out = append(out, fmt.Sprintf("%s (%s) imports %s (tooling): runtime packages never import tooling", dir, p.layer, ip))
			case q.layer == "programs":
				out = append(out, fmt.Sprintf("%s (%s) imports %s (programs): nothing imports a program", dir, p.layer, ip))
			case layerRank(q.layer) > layerRank(p.layer):
				out = append(out, fmt.Sprintf("%s (%s) imports %s (%s): an import runs up the layers", dir, p.layer, ip, q.layer))
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestPackagesKeepTheirLayers(t *testing.T) {
	root := moduleRoot(t)
	pkgs, err := readLayers(root, "github.com/angioseg/dskd")
	require.NoError(t, err)
	require.Greater(t, len(pkgs), 25, "the walk found the module's packages")
	assert.Empty(t, layerViolations(pkgs))
	assert.Equal(t, "libtorch", pkgs["internal/aten"].layer)
	assert.Equal(t, "training", pkgs["dskd"].layer)
}

// TestLayerRulesCatchViolations: the rules on a small module that breaks
// each once.
func TestLayerRulesCatchViolations(t *testing.T) {
	root := t.TempDir()
	write := func(dir, layer, imports string) {
		require.NoError(t, os.MkdirAll(filepath.Join(root, dir), 0o755))
		doc := "// Package x.\n//\n// Layer: " + layer + ".\npackage x\n"
		if layer == "" {
			doc = "// Package x.\npackage x\n"
		}
		require.NoError(t, os.WriteFile(filepath.Join(root, dir, "doc.go"), []byte(doc), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(root, dir, "x.go"), []byte("package x\n\nimport (\n"+imports+")\n"), 0o644))
		// Test files may import anything.
		require.NoError(t, os.WriteFile(filepath.Join(root, dir, "x_test.go"), []byte("package x\n\nimport _ \"m/cmd/tool\"\n"), 0o644))
	}
	write("data", "foundation", "\t_ \"github.com/sugarme/gotch\"\n")
	write("engine", "tensors", "\t_ \"m/data\"\n\t_ \"m/trainer\"\n")
	write("trainer", "training", "\t_ \"m/engine\"\n\t_ \"m/cmd/tool\"\n\t_ \"m/build\"\n")
	write("build", "tooling", "\t_ \"m/data\"\n\t_ \"m/engine\"\n")
	write("cmd/tool", "programs", "\t_ \"m/trainer\"\n")
	write("loose", "", "\t_ \"m/data\"\n")
	pkgs, err := readLayers(root, "m")
	require.NoError(t, err)
	assert.Equal(t, []string{
		`build (tooling) imports engine (tensors): tooling imports only the foundation`,
		`data (foundation) imports github.com/sugarme/gotch: only layers above the foundation reach libtorch`,
		`engine (tensors) imports trainer (training): an import runs up the layers`,
		`loose: doc.go names no known layer (""); want a line "Layer: NAME", NAME one of foundation, libtorch, tensors, training, study, programs or tooling`,
		`trainer (training) imports build (tooling): runtime packages never import tooling`,
		`trainer (training) imports cmd/tool (programs): nothing imports a program`,
	}, layerViolations(pkgs))
}
