// Package aten is dskd's one door to libtorch: the only package of the
// module that calls gotch's libtch (or has import "C"). Everything else —
// the U-Net, the losses, the optimizer, the trainer — computes with the
// ops of a Scope and keeps parameters in gotch's nn.VarStore through
// AddVar, Vars, SaveStore and LoadNamed. A test (guard_test.go) fails when
// another package calls gotch's generated tensor ops or cgo.
//
// # Ownership: Scopes
//
// Every op is a method of a Scope and returns a new *Tensor owned by that
// Scope; Close frees all of them. What a function hands back it takes out
// with Keep (or Result), and the caller owns it (Free it, or Adopt it into
// a Scope of its own). Run evaluates a block in a child Scope, so a
// block's temporaries go as soon as it is done:
//
//	s := aten.NewScope()
//	defer s.Close()
//	h := s.Run(func(c *aten.Scope) *aten.Tensor {
//		return c.ReluInPlace(c.BatchNorm(c.Conv2d(x, w, nil, 1, 1), g, b, m, v, train, 0.1, 1e-5))
//	})
//	return s.Result(h)
//
// Handles to parameters (Vars, AddVar) are borrowed: Free ignores them and
// they stay valid while their VarStore is reachable.
//
// A *Tensor has no finalizer: memory is released when its owner says so,
// never at the garbage collector's whim (gotch's Tensor carries a 100 KB Go
// allocation and a finalizer each, which a training step creates hundreds
// of). Live counts the owned handles not yet freed, for leak tests.
//
// # Errors
//
// A libtorch error (a C++ exception caught by gotch's C layer) becomes the
// Scope's error, "aten: <op>: <libtorch's message>"; so does a nil or freed
// input. After the first error every op of the Scope returns nil without
// calling libtorch, so code checks Err (or Result) once at the end.
// Nothing in this package panics or exits on bad input.
//
// # Distributed training
//
// ProcessGroup and Reducer (dist.go) reach libtorch's c10d through dskd's
// C shim: a TCPStore rendezvous, Gloo or NCCL collectives, and c10d's
// Reducer, which averages gradients across processes during Backward.
// DistBackends says which backends the setup could compile, and why not.
//
// # Threads and the allocator
//
// libtorch keeps grad mode (and, on CUDA, the current device and stream)
// per OS thread: run all tensor work of a model on one locked goroutine
// (engine.Worker). SetThreads, ManualSeed and SetGradEnabled act on
// libtorch's global or thread state. TuneMalloc tunes glibc's malloc for
// tensor workloads (see malloc.go; opt out with DSKD_MALLOC=system); it is
// an explicit step of engine.Start, and importing the package changes
// nothing in the process.
//
// Layer: libtorch, the one door to it. It imports gotch and foundation
// packages; every other package reaches libtorch through it.
package aten
