package setup

import (
	"fmt"
	"strings"
)

// Source says where a libtorch was found.
type Source string

// The places a libtorch is looked for, in this order.
const (
	SourceEnv    Source = "env"    // $LIBTORCH, official zip layout
	SourcePython Source = "python" // the include/ and lib/ of a Python torch package
	SourceSystem Source = "system" // Debian/Ubuntu libtorch-dev
)

// Libtorch describes one installed libtorch.
type Libtorch struct {
	Source      Source
	Root        string   // top directory (zip root, torch package dir, or "/usr")
	IncludeDirs []string // -I directories: the include root and its torch/csrc/api/include
	LibDir      string   // directory holding libtorch.so, libtorch_cpu.so, libc10.so
	Version     string   // from torch/version.h, e.g. "1.13.0"
	// PackageVersion is the distribution package's version where known
	// (e.g. "1.13.1+dfsg-4"); Debian's headers say 1.13.0 for 1.13.1.
	PackageVersion string
	CUDA           bool // libtorch_cuda.so is present
	// ExtraLibDirs hold libraries libtorch's own libraries need that are
	// not next to them: the nvidia-* pip packages of a pip CUDA torch
	// (site-packages/nvidia/*/lib).
	ExtraLibDirs []string
	CXX11ABI     bool // built with _GLIBCXX_USE_CXX11_ABI=1
	// Dist is what it gives for distributed (data-parallel) training here.
	Dist  Distributed
	Notes []string
}

// MajorMinor returns "X.Y" of Version.
func (l Libtorch) MajorMinor() string {
	parts := strings.SplitN(l.Version, ".", 3)
	if len(parts) < 2 {
		return l.Version
	}
	return parts[0] + "." + parts[1]
}

// DisplayVersion is the version a person recognises: the package's upstream
// version where known, else the header's.
func (l Libtorch) DisplayVersion() string {
	if l.PackageVersion != "" {
		v := l.PackageVersion
		if i := strings.IndexAny(v, "+-~"); i > 0 {
			v = v[:i]
		}
		if i := strings.Index(v, ":"); i >= 0 {
			v = v[i+1:]
		}
		return v
	}
	return l.Version
}

// NeedsPatching reports whether gotch's generated wrappers must be checked
// against this libtorch: gotch v0.9.1 is generated for 2.1.x exactly.
func (l Libtorch) NeedsPatching() bool { return l.MajorMinor() != "2.1" }

// Device is "cuda" or "cpu".
func (l Libtorch) Device() string {
	if l.CUDA {
		return "cuda"
	}
	return "cpu"
}

func (l Libtorch) String() string {
	abi := 0
	if l.CXX11ABI {
		abi = 1
	}
	return fmt.Sprintf("libtorch %s (%s) at %s [%s, C++11 ABI=%d]", l.DisplayVersion(), l.Source, l.Root, strings.ToUpper(l.Device()), abi)
}
