package aten

import (
	"errors"
	"fmt"
	"os/signal"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	lib "github.com/sugarme/gotch/libtch"
)

// Data-parallel training through libtorch's own distributed engine, c10d
// (dskd's C shim, internal/tooling/setup/shim/dskd_c10d.h): a TCPStore rendezvous,
// a process group (Gloo for CPU tensors, NCCL for CUDA ones), collectives,
// and c10d's Reducer, the bucketed gradient all-reduce overlapped with
// backward that PyTorch's DistributedDataParallel runs on.

// DistBackend names a c10d backend.
type DistBackend string

// The c10d backends.
const (
	Gloo DistBackend = "gloo" // CPU tensors, TCP
	NCCL DistBackend = "nccl" // CUDA tensors
)

func (b DistBackend) code() (int, error) {
	switch b {
	case Gloo:
		return 1, nil
	case NCCL:
		return 2, nil
	}
	return 0, fmt.Errorf("aten: distributed backend %q: want %q or %q", string(b), Gloo, NCCL)
}

// DistBackends returns the backends the prepared gotch copy was compiled
// with, and why the others are missing ("" when none is).
func DistBackends() (available []DistBackend, missing string) {
	bits, why := lib.DskdDistBackends()
	if bits&1 != 0 {
		available = append(available, Gloo)
	}
	if bits&2 != 0 {
		available = append(available, NCCL)
	}
	return available, why
}

// DistAvailable reports whether backend can be used, or why not.
func DistAvailable(backend DistBackend) error {
	if _, err := backend.code(); err != nil {
		return err
	}
	have, why := DistBackends()
	for _, b := range have {
		if b == backend {
			return nil
		}
	}
	return fmt.Errorf("aten: distributed training with %s is not available: %s (see `go run ./cmd/dskd-setup --print`)", backend, why)
}

// GroupConfig says how a process meets the others.
type GroupConfig struct {
	MasterAddr string // where rank 0 serves the rendezvous (TCPStore)
	MasterPort int
	Rank       int
	WorldSize  int
	Backend    DistBackend
	// Timeout bounds every wait: the rendezvous and each collective. A
	// peer that does not arrive or answer within it is an error.
	Timeout time.Duration
	// GlooHost is the address Gloo binds to; "" picks one (see
	// dskd_dist_group_new).
	GlooHost string
}

// ProcessGroup is this process's membership in a c10d process group. Its
// methods block until every rank took part (or the timeout passed); call
// them in the same order on every rank. Like all tensor work, use it from
// one goroutine.
type ProcessGroup struct {
	h    unsafe.Pointer
	cfg  GroupConfig
	desc string
}

// NewProcessGroup meets the other cfg.WorldSize-1 processes.
//
// From then on the process ignores SIGPIPE, as every Python process does.
// Gloo and the TCPStore write to their sockets from threads of their own
// and expect a write to a dead peer to fail with EPIPE; on a thread Go did
// not start, SIGPIPE would instead end the process at once, without a word
// (os/signal, "Go programs that use cgo"), and the surviving ranks of a
// run whose peer died would vanish instead of failing with the error that
// names the peer.
func NewProcessGroup(cfg GroupConfig) (*ProcessGroup, error) {
	code, err := cfg.Backend.code()
	if err != nil {
		return nil, err
	}
	if err := DistAvailable(cfg.Backend); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		return nil, fmt.Errorf("aten: process group timeout %v: must be > 0", cfg.Timeout)
	}
	signal.Ignore(syscall.SIGPIPE)
	desc := fmt.Sprintf("rank %d of %d (%s, %s:%d)", cfg.Rank, cfg.WorldSize, cfg.Backend, cfg.MasterAddr, cfg.MasterPort)
	var h unsafe.Pointer
	err = onThread(func() error {
		h = lib.DskdDistGroupNew(cfg.MasterAddr, cfg.MasterPort, cfg.Rank, cfg.WorldSize, code, cfg.Timeout.Milliseconds(), cfg.GlooHost)
		return lastError("meeting the other ranks as " + desc)
	})
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("aten: meeting the other ranks as " + desc + ": no process group")
	}
	return &ProcessGroup{h: h, cfg: cfg, desc: desc}, nil
}

// String describes this process in the group: "rank 0 of 2 (gloo,
// 127.0.0.1:29500)".
func (g *ProcessGroup) String() string { return g.desc }

// Rank is this process's rank in the group.
func (g *ProcessGroup) Rank() int { return g.cfg.Rank }

// WorldSize is the number of processes in the group.
func (g *ProcessGroup) WorldSize() int { return g.cfg.WorldSize }

// Close leaves the group. Call Barrier first where the others must not
// see this process leave early.
func (g *ProcessGroup) Close() {
	if g == nil || g.h == nil {
		return
	}
	lib.DskdDistGroupFree(g.h)
	g.h = nil
}

func (g *ProcessGroup) ready(op string) error {
	if g == nil || g.h == nil {
		return fmt.Errorf("aten: %s on a closed process group", op)
	}
	return nil
}

// Broadcast copies root's tensors into every rank's (same shapes and
// dtypes on every rank), coalesced into few messages.
func (g *ProcessGroup) Broadcast(ts []*Tensor, root int) error {
	if err := g.ready("broadcast"); err != nil {
		return err
	}
	hs, err := handles("broadcast", ts)
	if err != nil || len(hs) == 0 {
		return err
	}
	return onThread(func() error {
		lib.DskdDistBroadcast(g.h, hs, root)
		return lastError(fmt.Sprintf("broadcast from rank %d, as %s", root, g.desc))
	})
}

// AllReduce sums the tensors in place across ranks, then divides them by
// the world size when average.
func (g *ProcessGroup) AllReduce(ts []*Tensor, average bool) error {
	if err := g.ready("all-reduce"); err != nil {
		return err
	}
	hs, err := handles("all-reduce", ts)
	if err != nil || len(hs) == 0 {
		return err
	}
	return onThread(func() error {
		lib.DskdDistAllreduce(g.h, hs, average)
		return lastError("all-reduce as " + g.desc)
	})
}

// Barrier returns when every rank called it.
func (g *ProcessGroup) Barrier() error {
	if err := g.ready("barrier"); err != nil {
		return err
	}
	return onThread(func() error {
		lib.DskdDistBarrier(g.h)
		return lastError("barrier as " + g.desc)
	})
}

// Reducer averages the gradients of a set of parameters across the ranks
// of a group during each backward pass (c10d's Reducer: buckets of about
// BucketBytes, each all-reduced as soon as its gradients are ready, while
// backward goes on). Parameters a step's graph does not reach keep no
// gradient, as without a Reducer.
type Reducer struct {
	h     unsafe.Pointer
	group *ProcessGroup
}

// NewReducer hooks a Reducer onto params (trainable leaves, the same
// list in the same order on every rank). bucketBytes 0 is PyTorch's 25 MiB.
func (g *ProcessGroup) NewReducer(params []*Tensor, bucketBytes int64) (*Reducer, error) {
	if err := g.ready("reducer"); err != nil {
		return nil, err
	}
	hs, err := handles("reducer", params)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, errors.New("aten: reducer: no parameters")
	}
	var h unsafe.Pointer
	err = onThread(func() error {
		// find_unused: dskd's objectives use the side heads in some epochs
		// only (not before the teacher exists, not at all in the plain
		// U-Net preset); the Reducer then marks their gradients ready itself.
		h = lib.DskdDistReducerNew(g.h, hs, bucketBytes, true)
		return lastError("reducer as " + g.desc)
	})
	if err != nil {
		return nil, err
	}
	return &Reducer{h: h, group: g}, nil
}

// BeforeForward starts a training step: call it before the forward pass
// whose loss goes through Backward.
func (r *Reducer) BeforeForward() error {
	if r == nil || r.h == nil {
		return errors.New("aten: reducer: closed")
	}
	return onThread(func() error {
		lib.DskdDistReducerBeforeForward(r.h)
		return lastError("reducer (before forward) as " + r.group.desc)
	})
}

// BeforeBackward arms the Reducer for the backward pass of loss: the
// gradients that pass computes are averaged across ranks by the time
// Backward returns.
func (r *Reducer) BeforeBackward(loss *Tensor) error {
	if r == nil || r.h == nil {
		return errors.New("aten: reducer: closed")
	}
	hs, err := handles("reducer", []*Tensor{loss})
	if err != nil {
		return err
	}
	return onThread(func() error {
		lib.DskdDistReducerBeforeBackward(r.h, hs)
		return lastError("reducer (before backward) as " + r.group.desc)
	})
}

// Close removes the Reducer's hooks from the parameters.
func (r *Reducer) Close() {
	if r == nil || r.h == nil {
		return
	}
	lib.DskdDistReducerFree(r.h)
	r.h = nil
}

// handles lists the C handles of ts, refusing nil or freed tensors.
func handles(op string, ts []*Tensor) ([]lib.Ctensor, error) {
	hs := make([]lib.Ctensor, len(ts))
	for i, t := range ts {
		if t == nil || t.c == nil {
			return nil, fmt.Errorf("aten: %s: tensor %d is nil or freed", op, i)
		}
		hs[i] = t.c
	}
	return hs, nil
}

// onThread runs a C call and the read of its thread-local error on one OS
// thread, whichever goroutine calls (the Worker's is locked already).
func onThread(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return fn()
}
