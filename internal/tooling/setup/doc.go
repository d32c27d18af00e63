// Package setup prepares gotch v0.9.1 for whatever libtorch is installed.
//
// gotch is generated against libtorch 2.1.0 and hard-codes its cgo flags in
// libtch/lib.go inside the read-only module cache. Setup finds a libtorch
// ($LIBTORCH, $TORCH_DIR, the torch of $PYTHON or of the Python interpreters
// on the machine, or the system's libtorch-dev), copies gotch into a
// per-user cache directory keyed by gotch version and libtorch identity, and
// writes a lib.go with the right include, link and rpath flags (CPU or CUDA,
// C++11 ABI or not, the nvidia-* pip libraries of a pip CUDA torch). It then
// compiles gotch's C++ itself, once, into a static library in that copy: the
// 18,000-line generated wrapper file in pieces, one compiler per core, where
// cgo would compile it in one process for minutes. Wrappers the installed
// libtorch cannot compile are replaced by stubs that raise a C++ error naming
// the op. dskd's own C++ shim (shim/: autocast, and c10d's distributed
// training compiled with the backends Distributed finds: Gloo when its
// headers are installed, NCCL on CUDA) goes into the same library. Finally
// it writes a git-ignored go.work that points the project at
// that copy, builds gotch's Go packages, and runs the conv2d self-check of
// the engine package (cmd/dskd-setup/selfcheck) once per libtorch and thread
// count. It is pure Go (no cgo) so that it runs before gotch can build.
//
// Everything that touches the machine goes through the Env struct, so the
// discovery, flag generation and wrapper replacement are unit-tested on fake
// directory trees and recorded compiler logs.
//
// Layer: tooling (building and deploying dskd), apart from the runtime
// layers. It imports only foundation packages and other tooling.
package setup
