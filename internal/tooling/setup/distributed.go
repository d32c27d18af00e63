package setup

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Distributed is what a libtorch can give on this machine for
// data-parallel training through c10d, libtorch's distributed engine:
// Gloo (CPU tensors) and NCCL (CUDA tensors). dskd's c10d shim
// (shim/dskd_c10d.cpp) is compiled with the backends found here; without
// any it only reports why.
type Distributed struct {
	Gloo bool `json:"gloo"`
	NCCL bool `json:"nccl"`
	// Missing says why a backend is absent ("" when both are there).
	Missing string `json:"missing,omitempty"`
	// IncludeDirs are headers the shim needs outside libtorch's and the
	// compiler's own (NCCL's and CUDA's of a pip torch, Gloo's elsewhere).
	IncludeDirs []string `json:"include_dirs,omitempty"`
	// AutogradStandIn: the libtorch lacks the distributed-autograd header
	// that c10d's reducer.hpp includes (Debian's libtorch-dev 1.13), so
	// the shim compiles with dskd's stand-in (shim/compat).
	AutogradStandIn bool `json:"autograd_stand_in,omitempty"`
	// LinkGloo: Gloo is the system's library (Debian's libgloo, which
	// Debian's libtorch links to): link it by name.
	LinkGloo bool `json:"link_gloo,omitempty"`
	// NeedsGlooHeaders: libtorch has Gloo, only its headers are missing
	// (what installing GlooPackage fixes).
	NeedsGlooHeaders bool `json:"-"`
}

// Backends lists the available backends, e.g. "gloo, nccl", or "".
func (d Distributed) Backends() string {
	var b []string
	if d.Gloo {
		b = append(b, "gloo")
	}
	if d.NCCL {
		b = append(b, "nccl")
	}
	return strings.Join(b, ", ")
}

// Describe is the one line `dskd-setup --print` shows.
func (d Distributed) Describe() string {
	b := d.Backends()
	switch {
	case b == "":
		return "not available: " + d.Missing
	case d.Missing != "":
		return b + " (" + d.Missing + ")"
	}
	return b
}

// GlooPackage is the Debian package with Gloo's headers, which c10d's
// ProcessGroupGloo.hpp includes and libtorch-dev does not ship.
const GlooPackage = "libgloo-dev"

// autogradContextHeader is the header of libtorch's distributed autograd
// that reducer.hpp includes.
const autogradContextHeader = "torch/csrc/distributed/autograd/context/context.h"

// detectDistributed looks for the c10d backends lt can give: the symbols
// in its libraries and the third-party headers c10d's own headers include.
func detectDistributed(env Env, lt Libtorch) Distributed {
	var d Distributed
	var missing []string
	inc := lt.IncludeDirs[0]
	if !exists(filepath.Join(inc, "torch", "csrc", "distributed", "c10d", "ProcessGroup.hpp")) {
		d.Missing = "this libtorch ships no c10d headers (torch/csrc/distributed/c10d)"
		return d
	}
	d.AutogradStandIn = !exists(filepath.Join(inc, autogradContextHeader))
	exports := env.Exports
	if exports == nil {
		exports = ExportsSymbol
	}
	system := []string{filepath.Join(env.FSRoot, "/usr/include"), filepath.Join(env.FSRoot, "/usr/local/include")}

	switch {
	case !exports(filepath.Join(lt.LibDir, "libtorch_cpu.so"), "ProcessGroupGloo"):
		missing = append(missing, "gloo: this libtorch was built without it")
	default:
		dir, ok := findHeader(append([]string{inc}, system...), "gloo/config.h")
		if !ok {
			missing = append(missing, "gloo: its headers are missing (apt-get install "+GlooPackage+")")
			d.NeedsGlooHeaders = true
			break
		}
		d.Gloo = true
		d.IncludeDirs = appendExtraInclude(d.IncludeDirs, env, dir, inc)
		d.LinkGloo = needsLib(env, filepath.Join(lt.LibDir, "libtorch_cpu.so"), "libgloo.so") && findLib(env, "libgloo.so")
	}

	switch {
	case !lt.CUDA:
		missing = append(missing, "nccl: this libtorch is CPU-only")
	case !exports(filepath.Join(lt.LibDir, "libtorch_cuda.so"), "ProcessGroupNCCL"):
		missing = append(missing, "nccl: this libtorch was built without it")
	default:
		dirs := append([]string{inc}, system...)
		dirs = append(dirs, filepath.Join(env.FSRoot, "/usr/local/cuda/include"))
		if lt.Source == SourcePython { // the nvidia-* pip packages next to torch
			more, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Clean(lt.Root)), "nvidia", "*", "include"))
			dirs = append(dirs, more...)
		}
		ncclDir, okN := findHeader(dirs, "nccl.h")
		cudaDir, okC := findHeader(dirs, "cuda_runtime_api.h")
		switch {
		case !okN:
			missing = append(missing, "nccl: nccl.h not found (the NCCL development headers: libnccl-dev, or pip's nvidia-nccl)")
		case !okC:
			missing = append(missing, "nccl: cuda_runtime_api.h not found (the CUDA toolkit headers, or pip's nvidia-cuda-runtime)")
		default:
			d.NCCL = true
			d.IncludeDirs = appendExtraInclude(d.IncludeDirs, env, ncclDir, inc)
			d.IncludeDirs = appendExtraInclude(d.IncludeDirs, env, cudaDir, inc)
		}
	}
	d.Missing = strings.Join(missing, "; ")
	return d
}

// appendExtraInclude adds dir unless libtorch's include root or the
// compiler's own directories already cover it.
func appendExtraInclude(dirs []string, env Env, dir, torchInc string) []string {
	rel := strings.TrimPrefix(dir, env.FSRoot)
	if dir == torchInc || compilerDefaultIncludes[filepath.Clean(rel)] {
		return dirs
	}
	for _, d := range dirs {
		if d == dir {
			return dirs
		}
	}
	return append(dirs, dir)
}

// findHeader returns the first of dirs that holds name.
func findHeader(dirs []string, name string) (string, bool) {
	for _, d := range dirs {
		if exists(filepath.Join(d, name)) {
			return d, true
		}
	}
	return "", false
}

// findLib reports whether the linker finds lib in the system's library
// directories.
func findLib(env Env, lib string) bool {
	for _, prefix := range []string{"/usr", "/usr/local"} {
		for _, sub := range systemLibSubdirs {
			if exists(filepath.Join(env.FSRoot, prefix, sub, lib)) {
				return true
			}
		}
	}
	return false
}

// needsLib reports whether the shared library lib depends on a library
// whose name starts with soname (libgloo.so.0 for "libgloo.so").
func needsLib(env Env, lib, soname string) bool {
	needed := env.Needed
	if needed == nil {
		needed = NeededLibraries
	}
	for _, n := range needed(lib) {
		if strings.HasPrefix(n, soname) {
			return true
		}
	}
	return false
}

// NeededLibraries lists the libraries the shared library lib depends on
// (its DT_NEEDED entries); nil if it cannot be read.
func NeededLibraries(lib string) []string {
	f, err := elf.Open(lib)
	if err != nil {
		return nil
	}
	defer f.Close()
	libs, _ := f.ImportedLibraries()
	return libs
}

// ExportsSymbol reports whether the shared library lib defines a dynamic
// symbol whose (mangled) name contains part: about 15 ms for Debian's
// libtorch_cpu.
func ExportsSymbol(lib, part string) bool {
	f, err := elf.Open(lib)
	if err != nil {
		return false
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		return false
	}
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF && strings.Contains(s.Name, part) {
			return true
		}
	}
	return false
}

// c10dConfigHeader is dskd_c10d_config.h: the backends the shim compiles.
func (d Distributed) c10dConfigHeader(lt Libtorch) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// Generated by dskd-setup for %s. DO NOT EDIT.\n#pragma once\n", lt)
	if d.Gloo {
		b.WriteString("#define DSKD_C10D_GLOO 1\n")
	}
	if d.NCCL {
		b.WriteString("#define DSKD_C10D_NCCL 1\n")
	}
	fmt.Fprintf(&b, "#define DSKD_C10D_MISSING %s\n", strconv.QuoteToASCII(d.Missing))
	return b.String()
}
