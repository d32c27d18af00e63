// Package setup prepares gotch v0.9.1 for whatever libtorch is installed.
//
// gotch is generated against libtorch 2.1.0 and hard-codes its cgo flags in
// libtch/lib.go inside the read-only module cache. Setup finds a libtorch
// ($LIBTORCH, a Python torch package, or the system's libtorch-dev), copies
// gotch into a per-user cache directory keyed by gotch version and libtorch
// identity, writes a lib.go with the right include, link and rpath flags (CPU
// or CUDA, C++11 ABI or not), replaces the generated wrappers that the
// installed libtorch cannot compile with stubs that raise a C++ error naming
// the op, and writes a git-ignored go.work that points the project at that
// copy. It is pure Go (no cgo) so that it runs before gotch can build.
//
// Everything that touches the machine goes through the Env struct, so the
// discovery, flag generation and wrapper replacement are unit-tested on fake
// directory trees and recorded compiler logs.
package setup
