package aten

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		p := pkgs[dir]
		if p == nil {
			p = &modulePackage{}
			pkgs[dir] = p
		}
		if filepath.Base(path) == "doc.go" && f.Doc != nil {
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
