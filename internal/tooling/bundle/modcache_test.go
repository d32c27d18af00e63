package bundle

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEscapePathEncodesUpperCase(t *testing.T) {
	assert.Equal(t, "github.com/!burnt!sushi/toml", escapePath("github.com/BurntSushi/toml"))
	assert.Equal(t, "v1.0.0-!r!c1", escapePath("v1.0.0-RC1"))
	assert.Equal(t, "golang.org/x/sys", escapePath("golang.org/x/sys"))
}

func TestDownloadMetadataFollowsGoSum(t *testing.T) {
	gosum := `github.com/BurntSushi/toml v1.2.0 h1:AAA=
github.com/BurntSushi/toml v1.2.0/go.mod h1:BBB=
golang.org/x/sys v0.1.0/go.mod h1:CCC=

not a go.sum line
`
	assert.Equal(t, []string{
		"cache/download/github.com/!burnt!sushi/toml/@v/v1.2.0.info",
		"cache/download/github.com/!burnt!sushi/toml/@v/v1.2.0.mod",
		"cache/download/github.com/!burnt!sushi/toml/@v/v1.2.0.ziphash",
		"cache/download/golang.org/x/sys/@v/v0.1.0.mod",
	}, downloadMetadata([]byte(gosum)))
}

func TestModcacheFilesKeepsPackageDirsCgoRefsAndMetadata(t *testing.T) {
	mc := t.TempDir()
	mod := filepath.Join(mc, "example.com/cgolib@v1.0.0")
	writeFiles(t, mc, map[string]string{
		"example.com/cgolib@v1.0.0/go.mod":            "module example.com/cgolib\n",
		"example.com/cgolib@v1.0.0/LICENSE":           "MIT",
		"example.com/cgolib@v1.0.0/README.md":         "not needed",
		"example.com/cgolib@v1.0.0/c/c.go":            "package c\n\n// #cgo CFLAGS: -I${SRCDIR}/../include -I${SRCDIR}/../../../outside\nimport \"C\"\n",
		"example.com/cgolib@v1.0.0/c/wrap.cpp":        "int f() { return 1; }",
		"example.com/cgolib@v1.0.0/c/c_test.go":       "package c",
		"example.com/cgolib@v1.0.0/c/sub/other.go":    "package sub",
		"example.com/cgolib@v1.0.0/c/assets/logo.txt": "embedded",
		"example.com/cgolib@v1.0.0/include/api.h":     "int f();",
		"example.com/cgolib@v1.0.0/include/deep/x.h":  "int x();",
		"example.com/cgolib@v1.0.0/unused/unused.go":  "package unused",
		"outside/o.h": "outside the module",
		"cache/download/example.com/cgolib/@v/v1.0.0.mod":     "module example.com/cgolib\n",
		"cache/download/example.com/cgolib/@v/v1.0.0.ziphash": "h1:X=",
		"cache/download/example.com/cgolib/@v/v1.0.0.zip":     "zip bytes",
	})
	pkgs := []Package{
		{ImportPath: "fmt", Dir: "/usr/local/go/src/fmt", Standard: true},
		{ImportPath: "example.com/main", Dir: "/src/main", Module: &Module{Path: "example.com/main", Main: true}},
		{ImportPath: "example.com/cgolib/c", Dir: filepath.Join(mod, "c"), EmbedFiles: []string{"assets/logo.txt"},
			Module: &Module{Path: "example.com/cgolib", Version: "v1.0.0", Dir: mod}},
	}
	gosum := "example.com/cgolib v1.0.0 h1:X=\nexample.com/cgolib v1.0.0/go.mod h1:Y=\n"
	got, err := ModcacheFiles(mc, pkgs, []byte(gosum))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"cache/download/example.com/cgolib/@v/v1.0.0.mod",
		"cache/download/example.com/cgolib/@v/v1.0.0.ziphash",
		"example.com/cgolib@v1.0.0/LICENSE",
		"example.com/cgolib@v1.0.0/c/assets/logo.txt",
		"example.com/cgolib@v1.0.0/c/c.go",
		"example.com/cgolib@v1.0.0/c/wrap.cpp",
		"example.com/cgolib@v1.0.0/go.mod",
		"example.com/cgolib@v1.0.0/include/api.h",
		"example.com/cgolib@v1.0.0/include/deep/x.h",
	}, got)
}

func TestModcacheFilesRefusesPackagesOutsideTheCache(t *testing.T) {
	pkgs := []Package{{ImportPath: "example.com/local", Dir: "/home/me/local",
		Module: &Module{Path: "example.com/local", Version: "v1.0.0", Replace: &Module{Path: "/home/me/local"}}}}
	_, err := ModcacheFiles(t.TempDir(), pkgs, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "example.com/local")
	assert.Contains(t, err.Error(), "outside the module cache")
}

func TestKeepGorootSource(t *testing.T) {
	for rel, want := range map[string]bool{
		"src/fmt/print.go":                                                true,
		"src/runtime/asm_amd64.s":                                         true,
		"src/runtime/cgo/gcc_linux_amd64.c":                               true,
		"src/vendor/golang.org/x/net/LICENSE":                             true,
		"src/fmt/fmt_test.go":                                             false,
		"src/cmd/go/main.go":                                              false,
		"src/image/png/testdata/pngsuite/a.png":                           false,
		"src/runtime/race/race_linux_arm64.syso":                          false,
		"src/runtime/race/internal/amd64v1/race_linux.syso":               true,
		"src/crypto/internal/boring/syso/goboringcrypto_linux_amd64.syso": true,
		"pkg/tool/linux_amd64/compile":                                    false,
		"doc/go_spec.html":                                                false,
	} {
		assert.Equal(t, want, KeepGorootSource(rel), rel)
	}
}
