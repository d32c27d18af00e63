package setup

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Env is everything discovery reads from the machine. The zero value is not
// usable; call HostEnv for the real machine. Tests build fake trees and set
// FSRoot so that system paths such as /usr/include resolve inside them.
type Env struct {
	Getenv func(string) string
	// FSRoot prefixes the absolute system paths that are probed (/usr, ...).
	// Empty on the real machine.
	FSRoot string
	// PythonTorchDirs returns candidate torch package directories of the
	// Python interpreters on this machine (without importing torch).
	PythonTorchDirs func() []string
	// PythonTorchDir asks one interpreter ($PYTHON) where its torch is.
	PythonTorchDir func(python string) (string, error)
	// PackageVersion returns the installed version of a distribution
	// package, or "" if unknown.
	PackageVersion func(pkg string) string
	// CXX11ABI reports whether the libraries in libDir use the C++11 ABI.
	CXX11ABI func(libDir string) (bool, error)
	// Exports reports whether the shared library lib defines a symbol
	// whose name contains part; nil means ExportsSymbol.
	Exports func(lib, part string) bool
	// Needed lists the libraries a shared library depends on; nil means
	// NeededLibraries.
	Needed func(lib string) []string
}

// HostEnv is the Env of the machine this runs on.
func HostEnv() Env {
	return Env{
		Getenv:          os.Getenv,
		PythonTorchDirs: hostPythonTorchDirs,
		PythonTorchDir:  pythonTorchDir,
		PackageVersion:  dpkgVersion,
		CXX11ABI:        DetectCXX11ABI,
		Exports:         ExportsSymbol,
		Needed:          NeededLibraries,
	}
}

// ErrNotFound means no libtorch was found anywhere.
var ErrNotFound = errors.New(`setup: no libtorch found. Provide one of:
  1. an official libtorch zip (CPU or CUDA) unpacked anywhere, with LIBTORCH=/path/to/libtorch
  2. a Python torch package: pip install torch (python3 -c 'import torch' must work; for
     another interpreter, e.g. a venv's, PYTHON=/path/to/bin/python, or the package itself:
     TORCH_DIR=/path/to/site-packages/torch)
  3. the system package (Debian/Ubuntu): apt-get install -y libtorch-dev
     (run this setup as root, or with --install, to have it do that for you)`)

// systemPrefixes are searched, in order, for a distribution libtorch.
var systemPrefixes = []string{"/usr", "/usr/local"}

// systemLibSubdirs are where distributions put shared libraries.
var systemLibSubdirs = []string{"lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu", "lib64", "lib"}

// Discover finds a libtorch in the documented order: $LIBTORCH, $TORCH_DIR
// (a Python torch package directory), the torch of $PYTHON, the torch of
// the Python interpreters found on the machine, the system. A variable that
// does not lead to a libtorch is an error (the user asked for it), not a
// reason to look elsewhere.
func Discover(env Env) (Libtorch, error) {
	var notes []string
	if dir := env.Getenv("LIBTORCH"); dir != "" {
		lt, err := probeBundle(env, dir, SourceEnv)
		if err != nil {
			return Libtorch{}, fmt.Errorf("setup: LIBTORCH=%s: %w", dir, err)
		}
		return lt, nil
	}
	if dir := env.Getenv("TORCH_DIR"); dir != "" {
		lt, err := probeBundle(env, dir, SourcePython)
		if err != nil {
			return Libtorch{}, fmt.Errorf("setup: TORCH_DIR=%s: %w", dir, err)
		}
		return lt, nil
	}
	if py := env.Getenv("PYTHON"); py != "" {
		dir, err := env.PythonTorchDir(py)
		if err == nil {
			var lt Libtorch
			if lt, err = probeBundle(env, dir, SourcePython); err == nil {
				return lt, nil
			}
			err = fmt.Errorf("its torch at %s: %w", dir, err)
		}
		return Libtorch{}, fmt.Errorf("setup: PYTHON=%s: %w", py, err)
	}
	for _, dir := range env.PythonTorchDirs() {
		lt, err := probeBundle(env, dir, SourcePython)
		if err == nil {
			lt.Notes = append(notes, lt.Notes...)
			return lt, nil
		}
		notes = append(notes, fmt.Sprintf("python torch at %s skipped: %v", dir, err))
	}
	for _, prefix := range systemPrefixes {
		lt, err := probeSystem(env, prefix)
		if err == nil {
			lt.Notes = append(notes, lt.Notes...)
			return lt, nil
		}
	}
	if len(notes) > 0 { // say why the Pythons' torches did not do
		return Libtorch{}, fmt.Errorf("%w\n%s", ErrNotFound, strings.Join(notes, "\n"))
	}
	return Libtorch{}, ErrNotFound
}

// probeBundle checks the layout shared by the official zip and the Python
// package: DIR/include/... and DIR/lib/libtorch_cpu.so.
func probeBundle(env Env, dir string, src Source) (Libtorch, error) {
	inc := filepath.Join(dir, "include")
	lib := filepath.Join(dir, "lib")
	if !exists(filepath.Join(lib, "libtorch_cpu.so")) {
		return Libtorch{}, fmt.Errorf("no lib/libtorch_cpu.so (headers and libraries missing)")
	}
	if src == SourcePython {
		// Debian's python3-torch links its include/ and lib/ to the system
		// libtorch: report that one, with its package version.
		real, err := filepath.EvalSymlinks(filepath.Join(lib, "libtorch_cpu.so"))
		if err == nil && !strings.HasPrefix(real, filepath.Clean(dir)+string(filepath.Separator)) {
			return Libtorch{}, fmt.Errorf("its libraries are links to %s (a system libtorch)", filepath.Dir(real))
		}
	}
	lt, err := finish(env, Libtorch{Source: src, Root: dir, LibDir: lib}, inc)
	if err == nil && src == SourcePython && lt.CUDA {
		lt.ExtraLibDirs = nvidiaLibDirs(filepath.Dir(filepath.Clean(dir)))
	}
	return lt, err
}

// nvidiaLibDirs lists the library directories of the nvidia-* pip packages
// installed next to a CUDA torch (site-packages/nvidia/<name>/lib holding a
// shared library: cudnn, cublas, nccl, cu13, ...), which its libraries
// load.
func nvidiaLibDirs(sitePackages string) []string {
	matches, _ := filepath.Glob(filepath.Join(sitePackages, "nvidia", "*", "lib"))
	var dirs []string
	for _, dir := range matches {
		if libs, _ := filepath.Glob(filepath.Join(dir, "*.so*")); len(libs) > 0 {
			dirs = append(dirs, dir)
		}
	}
	sort.Strings(dirs)
	return dirs
}

func probeSystem(env Env, prefix string) (Libtorch, error) {
	inc := filepath.Join(env.FSRoot, prefix, "include")
	for _, sub := range systemLibSubdirs {
		lib := filepath.Join(env.FSRoot, prefix, sub)
		if exists(filepath.Join(lib, "libtorch_cpu.so")) {
			lt := Libtorch{Source: SourceSystem, Root: filepath.Join(env.FSRoot, prefix), LibDir: lib}
			lt.PackageVersion = env.PackageVersion("libtorch-dev")
			return finish(env, lt, inc)
		}
	}
	return Libtorch{}, fmt.Errorf("no libtorch_cpu.so under %s", prefix)
}

func finish(env Env, lt Libtorch, inc string) (Libtorch, error) {
	api := filepath.Join(inc, "torch", "csrc", "api", "include")
	ver, err := readVersionIn(inc)
	if err != nil {
		return Libtorch{}, err
	}
	lt.Version = ver
	lt.IncludeDirs = []string{inc, api}
	lt.CUDA = exists(filepath.Join(lt.LibDir, "libtorch_cuda.so"))
	abi, err := env.CXX11ABI(lt.LibDir)
	if err != nil {
		return Libtorch{}, fmt.Errorf("detecting the C++ ABI of %s: %w", lt.LibDir, err)
	}
	lt.CXX11ABI = abi
	lt.Dist = detectDistributed(env, lt)
	return lt, nil
}

// versionHeaders hold libtorch's TORCH_VERSION_* macros, relative to the
// include root, in the order tried: newer torch (its header-only split) defines them in
// torch/headeronly/version.h, which the old header only includes.
var versionHeaders = []string{"torch/csrc/api/include/torch/version.h", "torch/headeronly/version.h"}

// readVersionIn reads the libtorch version under the include root inc.
func readVersionIn(inc string) (string, error) {
	var errs []string
	for _, rel := range versionHeaders {
		v, err := readVersion(filepath.Join(inc, filepath.FromSlash(rel)))
		if err == nil {
			return v, nil
		}
		errs = append(errs, err.Error())
	}
	return "", errors.New(strings.Join(errs, "; "))
}

var versionRe = regexp.MustCompile(`#define\s+TORCH_VERSION_(MAJOR|MINOR|PATCH)\s+(\d+)`)

// readVersion parses torch/version.h.
func readVersion(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("no torch/version.h (headers missing?): %w", err)
	}
	parts := map[string]string{}
	for _, m := range versionRe.FindAllStringSubmatch(string(b), -1) {
		parts[m[1]] = m[2]
	}
	if parts["MAJOR"] == "" || parts["MINOR"] == "" {
		return "", fmt.Errorf("%s: no TORCH_VERSION_MAJOR/MINOR", path)
	}
	if parts["PATCH"] == "" {
		parts["PATCH"] = "0"
	}
	return parts["MAJOR"] + "." + parts["MINOR"] + "." + parts["PATCH"], nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// findTorchScript prints the directory of the torch package, or nothing.
const findTorchScript = "import importlib.util as u, os; s = u.find_spec('torch'); print(os.path.dirname(s.origin) if s and s.origin else '')"

// hostPythonTorchDirs asks each python3 on the machine where its torch
// package is, without importing torch (which takes seconds).
func hostPythonTorchDirs() []string {
	seen := map[string]bool{}
	var dirs []string
	candidates := []string{"python3", "/usr/bin/python3", "python"}
	// An activated venv or conda environment is usually first on PATH
	// already; ask it anyway, in case PATH was reset (sudo, make).
	for _, env := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if d := os.Getenv(env); d != "" {
			candidates = append(candidates, filepath.Join(d, "bin", "python3"), filepath.Join(d, "bin", "python"))
		}
	}
	for _, py := range candidates {
		// Run the interpreter by the path found, never the link's target: a
		// venv's bin/python3 links to the base interpreter, which started by
		// its own path no longer sees the venv's site-packages (such as
		// the torch in /opt/torch/.venv on the lent GPU hosts).
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		if seen[path] {
			continue
		}
		seen[path] = true
		out, err := exec.Command(path, "-c", findTorchScript).Output()
		if err != nil {
			continue
		}
		if dir := strings.TrimSpace(string(out)); dir != "" && !seen[dir] {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// pythonTorchDir asks the interpreter python where its torch package is,
// without importing it.
func pythonTorchDir(python string) (string, error) {
	out, err := exec.Command(python, "-c", findTorchScript).Output()
	if err != nil {
		return "", fmt.Errorf("running it: %w", err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", errors.New("it has no torch package (pip install torch)")
	}
	return dir, nil
}

func dpkgVersion(pkg string) string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", pkg).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
