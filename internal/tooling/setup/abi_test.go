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
