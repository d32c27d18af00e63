package setup

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildLibc10 compiles a tiny shared library named libc10.so that exports a
// function taking std::string, with the given libstdc++ ABI.
func buildLibc10(t *testing.T, abi string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "c10.cpp")
	require.NoError(t, os.WriteFile(src, []byte("#include <string>\nnamespace c10 { int check(const std::string& s) { return (int)s.size(); } }\n"), 0o644))
	out, err := exec.Command("g++", "-shared", "-fPIC", "-D_GLIBCXX_USE_CXX11_ABI="+abi, "-o", filepath.Join(dir, "libc10.so"), src).CombinedOutput()
	require.NoError(t, err, "g++ (needed by cgo anyway): %s", out)
	return dir
}

func TestDetectCXX11ABIFromSymbols(t *testing.T) {
	got, err := DetectCXX11ABI(buildLibc10(t, "1"))
	require.NoError(t, err)
	assert.True(t, got)
	got, err = DetectCXX11ABI(buildLibc10(t, "0"))
	require.NoError(t, err)
	assert.False(t, got)
}

func TestDetectCXX11ABIErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := DetectCXX11ABI(dir)
	assert.ErrorContains(t, err, "libc10.so")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "libc10.so"), []byte("not an ELF file"), 0o644))
	_, err = DetectCXX11ABI(dir)
	assert.Error(t, err)
}

func TestPrepareGotchPatchesOnceAndReuses(t *testing.T) {
	// A fake gotch tree whose generated file has one wrapper the "compiler"
	// (a script standing in for g++) rejects.
	src := t.TempDir()
	libtch := filepath.Join(src, "libtch")
	require.NoError(t, os.MkdirAll(libtch, 0o755))
	gen := "void atg_ok(tensor *out__) {\n  PROTECT(\n    ok();\n  )\n}\nvoid atg_bad(tensor *out__) {\n  PROTECT(\n    bad();\n  )\n}\n"
	require.NoError(t, os.WriteFile(filepath.Join(libtch, GeneratedFile), []byte(gen), 0o444))
	require.NoError(t, os.WriteFile(filepath.Join(libtch, "torch_api.cpp"), []byte("#include \"torch_api_generated.cpp.h\"\n"), 0o444))
	require.NoError(t, os.WriteFile(filepath.Join(libtch, "lib.go"), []byte("package libtch\n"), 0o444))
	fakeCXX := filepath.Join(t.TempDir(), "fake-g++")
	script := "#!/bin/sh\nfor a; do f=$a; done\nd=$(dirname \"$f\")\nif grep -q 'bad();' \"$d/" + GeneratedFile + "\"; then echo '" + GeneratedFile + ":8:5: error: bad is not a member of torch' >&2; exit 1; fi\nexit 0\n"
	require.NoError(t, os.WriteFile(fakeCXX, []byte(script), 0o755))
	t.Setenv("CXX", fakeCXX)

	cache := t.TempDir()
	lt := Libtorch{Source: SourceSystem, Root: "/usr", LibDir: "/nonexistent", IncludeDirs: []string{"/usr/include"}, Version: "1.13.0", CXX11ABI: true}
	var logs []string
	logf := func(f string, a ...any) { logs = append(logs, f) }
	dir, st, err := PrepareGotch(lt, src, cache, logf)
	require.NoError(t, err)
	assert.Equal(t, CopyDir(cache, lt), dir)
	assert.Equal(t, 1, st.ReplacedOps)
	ops, err := os.ReadFile(filepath.Join(dir, "replaced-ops.txt"))
	require.NoError(t, err)
	assert.Equal(t, "atg_bad\n", string(ops))
	patched, err := os.ReadFile(filepath.Join(dir, "libtch", GeneratedFile))
	require.NoError(t, err)
	assert.NotContains(t, string(patched), "bad();")
	assert.Contains(t, string(patched), "ok();")
	libgo, err := os.ReadFile(filepath.Join(dir, "libtch", "lib.go"))
	require.NoError(t, err)
	assert.Contains(t, string(libgo), "-D_GLIBCXX_USE_CXX11_ABI=1")

	// Second run: nothing to do, no compiler call, same stamp.
	logs = nil
	dir2, st2, err := PrepareGotch(lt, src, cache, logf)
	require.NoError(t, err)
	assert.Equal(t, dir, dir2)
	assert.Equal(t, st.Prepared, st2.Prepared)
	assert.Empty(t, logs)
	// No temp dirs left behind.
	entries, err := os.ReadDir(cache)
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}
