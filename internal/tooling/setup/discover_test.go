package setup

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeLibtorch lays out include/.../version.h and lib/*.so under root.
func fakeLibtorch(t *testing.T, incRoot, libDir, version string, cuda bool) {
	t.Helper()
	var maj, min, patch string
	_, err := fmtSscanVersion(version, &maj, &min, &patch)
	require.NoError(t, err)
	vh := filepath.Join(incRoot, "torch", "csrc", "api", "include", "torch", "version.h")
	require.NoError(t, os.MkdirAll(filepath.Dir(vh), 0o755))
	require.NoError(t, os.WriteFile(vh, []byte("#pragma once\n#define TORCH_VERSION_MAJOR "+maj+"\n#define TORCH_VERSION_MINOR "+min+"\n#define TORCH_VERSION_PATCH "+patch+"\n"), 0o644))
	require.NoError(t, os.MkdirAll(libDir, 0o755))
	libs := []string{"libtorch.so", "libtorch_cpu.so", "libc10.so"}
	if cuda {
		libs = append(libs, "libtorch_cuda.so", "libc10_cuda.so")
	}
	for _, l := range libs {
		require.NoError(t, os.WriteFile(filepath.Join(libDir, l), nil, 0o644))
	}
}

func fmtSscanVersion(v string, a, b, c *string) (int, error) {
	var p [3]string
	i := 0
	for _, r := range v {
		if r == '.' {
			i++
			continue
		}
		p[i] += string(r)
	}
	*a, *b, *c = p[0], p[1], p[2]
	return 3, nil
}

func testEnv(root string, vars map[string]string, pyDirs []string) Env {
	return Env{
		Getenv:          func(k string) string { return vars[k] },
		FSRoot:          root,
		PythonTorchDirs: func() []string { return pyDirs },
		PythonTorchDir: func(python string) (string, error) {
			if dir, ok := vars["fake-torch-of:"+python]; ok {
				return dir, nil
			}
			return "", errors.New("it has no torch package (pip install torch)")
		},
		PackageVersion: func(pkg string) string {
			if pkg == "libtorch-dev" {
				return "1.13.1+dfsg-4"
			}
			return ""
		},
		CXX11ABI: func(libDir string) (bool, error) { return filepath.Base(libDir) != "lib", nil },
	}
}

func TestDiscoverPrefersLIBTORCH(t *testing.T) {
	root := t.TempDir()
	zip := filepath.Join(root, "opt", "libtorch")
	fakeLibtorch(t, filepath.Join(zip, "include"), filepath.Join(zip, "lib"), "2.1.0", true)
	py := filepath.Join(root, "py", "torch")
	fakeLibtorch(t, filepath.Join(py, "include"), filepath.Join(py, "lib"), "2.5.1", false)
	fakeLibtorch(t, filepath.Join(root, "usr", "include"), filepath.Join(root, "usr", "lib", "x86_64-linux-gnu"), "1.13.0", false)

	lt, err := Discover(testEnv(root, map[string]string{"LIBTORCH": zip}, []string{py}))
	require.NoError(t, err)
	assert.Equal(t, SourceEnv, lt.Source)
	assert.Equal(t, "2.1.0", lt.Version)
	assert.True(t, lt.CUDA)
	assert.False(t, lt.CXX11ABI)
	assert.Equal(t, filepath.Join(zip, "lib"), lt.LibDir)
	assert.Equal(t, []string{filepath.Join(zip, "include"), filepath.Join(zip, "include", "torch", "csrc", "api", "include")}, lt.IncludeDirs)
}

func TestDiscoverPythonBeforeSystem(t *testing.T) {
	root := t.TempDir()
	py := filepath.Join(root, "py", "torch")
	fakeLibtorch(t, filepath.Join(py, "include"), filepath.Join(py, "lib"), "2.5.1", true)
	fakeLibtorch(t, filepath.Join(root, "usr", "include"), filepath.Join(root, "usr", "lib", "x86_64-linux-gnu"), "1.13.0", false)
	lt, err := Discover(testEnv(root, nil, []string{py}))
	require.NoError(t, err)
	assert.Equal(t, SourcePython, lt.Source)
	assert.Equal(t, "2.5.1", lt.Version)
	assert.True(t, lt.CUDA)
	assert.Equal(t, "cuda", lt.Device())
}

func TestDiscoverSkipsPythonWithoutHeadersAndUsesSystem(t *testing.T) {
	root := t.TempDir()
	py := filepath.Join(root, "py", "torch") // a torch package with no lib/
	require.NoError(t, os.MkdirAll(py, 0o755))
	fakeLibtorch(t, filepath.Join(root, "usr", "include"), filepath.Join(root, "usr", "lib", "x86_64-linux-gnu"), "1.13.0", false)
	lt, err := Discover(testEnv(root, nil, []string{py}))
	require.NoError(t, err)
	assert.Equal(t, SourceSystem, lt.Source)
	assert.Equal(t, "1.13.0", lt.Version)
	assert.Equal(t, "1.13.1", lt.DisplayVersion(), "the package version wins for display")
	assert.Equal(t, "1.13", lt.MajorMinor())
	assert.True(t, lt.NeedsPatching())
	assert.False(t, lt.CUDA)
	assert.True(t, lt.CXX11ABI)
	require.Len(t, lt.Notes, 1)
	assert.Contains(t, lt.Notes[0], py)
}

func TestDiscoverSkipsPythonThatLinksToSystem(t *testing.T) {
	root := t.TempDir()
	sysLib := filepath.Join(root, "usr", "lib", "x86_64-linux-gnu")
	fakeLibtorch(t, filepath.Join(root, "usr", "include"), sysLib, "1.13.0", false)
	py := filepath.Join(root, "py", "torch")
	require.NoError(t, os.MkdirAll(filepath.Join(py, "lib"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(root, "usr", "include"), filepath.Join(py, "include")))
	require.NoError(t, os.Symlink(filepath.Join(sysLib, "libtorch_cpu.so"), filepath.Join(py, "lib", "libtorch_cpu.so")))
	lt, err := Discover(testEnv(root, nil, []string{py}))
	require.NoError(t, err)
	assert.Equal(t, SourceSystem, lt.Source)
}

func TestDiscoverBadLIBTORCHIsAnError(t *testing.T) {
	root := t.TempDir()
	fakeLibtorch(t, filepath.Join(root, "usr", "include"), filepath.Join(root, "usr", "lib"), "1.13.0", false)
	_, err := Discover(testEnv(root, map[string]string{"LIBTORCH": filepath.Join(root, "nope")}, nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "LIBTORCH=")
}

func TestDiscoverNothingListsTheThreeWays(t *testing.T) {
	_, err := Discover(testEnv(t.TempDir(), nil, nil))
	require.ErrorIs(t, err, ErrNotFound)
	for _, want := range []string{"LIBTORCH=", "pip install torch", "apt-get install -y libtorch-dev"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestDiscoverMissingVersionHeader(t *testing.T) {
	root := t.TempDir()
	zip := filepath.Join(root, "lt")
	require.NoError(t, os.MkdirAll(filepath.Join(zip, "lib"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(zip, "lib", "libtorch_cpu.so"), nil, 0o644))
	_, err := Discover(testEnv(root, map[string]string{"LIBTORCH": zip}, nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "version.h")
}

func TestIdentityChangesWithLibtorch(t *testing.T) {
	a := Libtorch{Source: SourceSystem, Root: "/usr", LibDir: "/nonexistent", Version: "1.13.0"}
	b := a
	b.CUDA = true
	c := a
	c.Version = "2.1.0"
	assert.Len(t, Identity(a), 12)
	assert.Equal(t, Identity(a), Identity(a))
	assert.NotEqual(t, Identity(a), Identity(b))
	assert.NotEqual(t, Identity(a), Identity(c))
	assert.Contains(t, CopyDir("/cache", b), "/cache/gotch-v0.9.1-libtorch1.13.0-cuda-")
}

func TestIsDebianLike(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "os-release"), []byte("NAME=\"Linux Mint\"\nID=linuxmint\nID_LIKE=\"ubuntu debian\"\n"), 0o644))
	assert.True(t, IsDebianLike(root))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "os-release"), []byte("ID=fedora\n"), 0o644))
	assert.False(t, IsDebianLike(root))
	assert.False(t, IsDebianLike(filepath.Join(root, "missing")))
}

// A pip CUDA torch in a venv, as on the lent GPU hosts: torch and the
// nvidia-* packages side by side in site-packages.
func pipCUDATorch(t *testing.T, root string) (site, torch string) {
	t.Helper()
	site = filepath.Join(root, "opt", "torch", ".venv", "lib", "python3.12", "site-packages")
	torch = filepath.Join(site, "torch")
	fakeLibtorch(t, filepath.Join(torch, "include"), filepath.Join(torch, "lib"), "2.11.0", true)
	for _, lib := range []string{"cu13/lib/libcudart.so.13", "cudnn/lib/libcudnn.so.9", "nccl/lib/libnccl.so.2"} {
		path := filepath.Join(site, "nvidia", lib)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, nil, 0o644))
	}
	// A package without libraries (headers only) is not a library dir.
	require.NoError(t, os.MkdirAll(filepath.Join(site, "nvidia", "cuda_nvcc", "lib"), 0o755))
	return site, torch
}

func TestDiscoverPYTHONFindsAVenvTorchWithItsNvidiaLibraries(t *testing.T) {
	root := t.TempDir()
	site, torch := pipCUDATorch(t, root)
	fakeLibtorch(t, filepath.Join(root, "usr", "include"), filepath.Join(root, "usr", "lib", "x86_64-linux-gnu"), "1.13.0", false)
	py := filepath.Join(root, "opt", "torch", ".venv", "bin", "python")
	lt, err := Discover(testEnv(root, map[string]string{"PYTHON": py, "fake-torch-of:" + py: torch}, nil))
	require.NoError(t, err)
	assert.Equal(t, SourcePython, lt.Source)
	assert.Equal(t, "2.11.0", lt.Version)
	assert.True(t, lt.CUDA)
	assert.Equal(t, []string{filepath.Join(site, "nvidia", "cu13", "lib"), filepath.Join(site, "nvidia", "cudnn", "lib"), filepath.Join(site, "nvidia", "nccl", "lib")}, lt.ExtraLibDirs)
	ld := strings.Join(CgoFlags(lt).LDFlags, " ")
	assert.Contains(t, ld, "-Wl,-rpath-link,"+filepath.Join(site, "nvidia", "cudnn", "lib")+" -Wl,-rpath,"+filepath.Join(site, "nvidia", "cudnn", "lib"))
	assert.Contains(t, ld, "-Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed")
}

func TestDiscoverTORCHDIRBeforePYTHONAndPythonsOnPath(t *testing.T) {
	root := t.TempDir()
	_, torch := pipCUDATorch(t, root)
	other := filepath.Join(root, "py", "torch")
	fakeLibtorch(t, filepath.Join(other, "include"), filepath.Join(other, "lib"), "2.5.1", false)
	lt, err := Discover(testEnv(root, map[string]string{"TORCH_DIR": torch, "PYTHON": "/nonexistent/python"}, []string{other}))
	require.NoError(t, err)
	assert.Equal(t, torch, lt.Root)
	assert.Equal(t, "2.11.0", lt.Version)
}

func TestDiscoverExplicitPythonWithoutTorchIsAnError(t *testing.T) {
	root := t.TempDir()
	fakeLibtorch(t, filepath.Join(root, "usr", "include"), filepath.Join(root, "usr", "lib", "x86_64-linux-gnu"), "1.13.0", false)
	_, err := Discover(testEnv(root, map[string]string{"PYTHON": "/usr/bin/python3"}, nil))
	require.Error(t, err)
	assert.Equal(t, "setup: PYTHON=/usr/bin/python3: it has no torch package (pip install torch)", err.Error())
	_, err = Discover(testEnv(root, map[string]string{"TORCH_DIR": filepath.Join(root, "nope")}, nil))
	assert.ErrorContains(t, err, "setup: TORCH_DIR=")
}

// A CPU pip torch needs no nvidia libraries, even if some are installed.
func TestDiscoverCPUPipTorchHasNoExtraLibDirs(t *testing.T) {
	root := t.TempDir()
	site := filepath.Join(root, "site-packages")
	torch := filepath.Join(site, "torch")
	fakeLibtorch(t, filepath.Join(torch, "include"), filepath.Join(torch, "lib"), "2.11.0", false)
	require.NoError(t, os.MkdirAll(filepath.Join(site, "nvidia", "cudnn", "lib"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(site, "nvidia", "cudnn", "lib", "libcudnn.so.9"), nil, 0o644))
	lt, err := Discover(testEnv(root, map[string]string{"TORCH_DIR": torch}, nil))
	require.NoError(t, err)
	assert.False(t, lt.CUDA)
	assert.Empty(t, lt.ExtraLibDirs)
}

// A venv's python3 is a link to the base interpreter, which finds the venv's
// packages only when started by the link's path (the usual venv layout, as
// /opt/torch/.venv on the lent GPU hosts).
func TestHostPythonsRunAVenvInterpreterByItsLinkPath(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base", "python3.12")
	venvBin := filepath.Join(dir, "venv", "bin")
	require.NoError(t, os.MkdirAll(filepath.Dir(base), 0o755))
	require.NoError(t, os.MkdirAll(venvBin, 0o755))
	// Answers like python -c findTorchScript: a torch folder only when
	// started as the venv's interpreter.
	script := "#!/bin/sh\ncase \"$0\" in */venv/bin/*) echo " + filepath.Join(dir, "venv", "torch") + ";; esac\n"
	require.NoError(t, os.WriteFile(base, []byte(script), 0o755))
	require.NoError(t, os.Symlink(base, filepath.Join(venvBin, "python3")))
	t.Setenv("PATH", venvBin)
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv("CONDA_PREFIX", "")

	dirs := hostPythonTorchDirs() // then /usr/bin/python3's, where it has one
	require.NotEmpty(t, dirs)
	assert.Equal(t, filepath.Join(dir, "venv", "torch"), dirs[0])
}

// Newer torch (its header-only split): torch/version.h only includes
// torch/headeronly/version.h, where the macros are (as torch 2.11 on the
// lent GPU hosts).
func TestDiscoverReadsTheHeaderOnlyVersion(t *testing.T) {
	root := t.TempDir()
	py := filepath.Join(root, "py", "torch")
	inc := filepath.Join(py, "include")
	fakeLibtorch(t, inc, filepath.Join(py, "lib"), "2.11.0", true)
	old := filepath.Join(inc, "torch", "csrc", "api", "include", "torch", "version.h")
	macros, err := os.ReadFile(old)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(old, []byte("#pragma once\n#include <torch/headeronly/version.h>\n"), 0o644))
	moved := filepath.Join(inc, "torch", "headeronly", "version.h")
	require.NoError(t, os.MkdirAll(filepath.Dir(moved), 0o755))
	require.NoError(t, os.WriteFile(moved, macros, 0o644))

	lt, err := Discover(testEnv(root, nil, []string{py}))
	require.NoError(t, err)
	assert.Equal(t, "2.11.0", lt.Version)
}

// When no libtorch does, the error says why each Python's torch was skipped.
func TestDiscoverNothingSaysWhyAPythonTorchWasSkipped(t *testing.T) {
	root := t.TempDir()
	py := filepath.Join(root, "py", "torch")
	fakeLibtorch(t, filepath.Join(py, "include"), filepath.Join(py, "lib"), "2.11.0", true)
	require.NoError(t, os.RemoveAll(filepath.Join(py, "include")))

	_, err := Discover(testEnv(root, nil, []string{py}))
	require.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "python torch at "+py+" skipped: no torch/version.h")
}
