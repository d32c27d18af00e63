// Package mallocenv holds dskd's glibc allocator setting in one place: for
// the process that applies it with mallopt (internal/aten, at start-up) and
// for the processes that must run under the same setting through glibc's
// environment variables (bench/compare's PyTorch peer). Why these values:
// internal/aten/malloc.go.
//
// Layer: foundation (pure Go). It imports only the standard library.
package mallocenv
