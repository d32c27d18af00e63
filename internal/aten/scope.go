package aten

import (
	"errors"
	"fmt"

	lib "github.com/sugarme/gotch/libtch"
)

// Scope owns the tensors its ops create and frees them all in Close,
// except those handed out with Keep. It also carries the first error:
// once an op fails, every later op of the Scope returns nil without
// calling libtorch, so a computation reads as straight-line math and is
// checked once, with Err, at the end.
//
// A Scope belongs to one goroutine (the Worker that runs the model).
type Scope struct {
	owned  []*Tensor
	err    error
	closed bool
}

// errClosed is the error of an op on a closed Scope.
var errClosed = errors.New("aten: op on a closed Scope (make a new one)")

// NewScope returns an empty Scope. Close it (defer s.Close()).
func NewScope() *Scope { return &Scope{} }

// Err returns the first error of the Scope's ops, or nil.
func (s *Scope) Err() error { return s.err }

// Fail records err as the Scope's error unless one is already recorded.
func (s *Scope) Fail(err error) {
	if s.err == nil && err != nil {
		s.err = err
	}
}

// Failf records a formatted error (see Fail).
func (s *Scope) Failf(format string, args ...any) { s.Fail(fmt.Errorf(format, args...)) }

// OK reports whether no error has been recorded.
func (s *Scope) OK() bool { return s.err == nil }

// Close frees every tensor the Scope still owns and ends the Scope: a
// later op records an error and returns nil instead of creating tensors
// nobody would free.
func (s *Scope) Close() {
	s.closed = true
	for _, t := range s.owned {
		if t.owner == s {
			t.Free()
		}
	}
	s.owned = s.owned[:0]
}

// Keep takes t out of the Scope: Close no longer frees it and the caller
// owns it (Free it, or Adopt it into another Scope). Tensors the Scope does
// not own (borrowed, kept before, or owned by another Scope) are returned
// unchanged. Keep(nil) is nil.
func (s *Scope) Keep(t *Tensor) *Tensor {
	if t != nil && t.owner == s {
		t.owner = nil
	}
	return t
}

// Result is Keep(t) with the Scope's error: on error it returns nil and
// leaves t to Close.
func (s *Scope) Result(t *Tensor) (*Tensor, error) {
	if s.err != nil {
		return nil, s.err
	}
	if t == nil {
		return nil, errors.New("aten: nil result")
	}
	return s.Keep(t), nil
}

// Adopt makes the Scope the owner of a tensor nobody owns (one returned by
// a function that kept it). Borrowed and Scope-owned tensors are returned
// unchanged.
func (s *Scope) Adopt(t *Tensor) *Tensor {
	if s.closed {
		s.Fail(fmt.Errorf("%w: adopt", errClosed))
		return t
	}
	if t != nil && !t.borrowed && t.owner == nil && t.c != nil {
		t.owner = s
		s.owned = append(s.owned, t)
	}
	return t
}

// Free releases tensors the Scope owns now (memory in loops); any other
// tensor (the caller's, borrowed, another Scope's) is left alone.
func (s *Scope) Free(ts ...*Tensor) {
	for _, t := range ts {
		if t != nil && t.owner == s {
			t.Free()
		}
	}
}

// Run evaluates fn in a child Scope: fn's result moves to s, every other
// tensor fn created is freed when it returns, and its error becomes s's.
// It keeps the peak memory of a block-by-block computation low (each
// block's temporaries go when the block is done).
func (s *Scope) Run(fn func(c *Scope) *Tensor) *Tensor {
	if !s.ready("run") {
		return nil
	}
	c := &Scope{}
	defer c.Close()
	r := fn(c)
	if c.err != nil {
		s.Fail(c.err)
		return nil
	}
	return s.Adopt(c.Keep(r))
}

// track wraps a new handle as a tensor owned by s.
func (s *Scope) track(c lib.Ctensor) *Tensor {
	t := wrap(c)
	t.owner = s
	s.owned = append(s.owned, t)
	return t
}

// ready reports whether op may run: no earlier error and no nil or freed
// input (which is recorded as the op's error).
func (s *Scope) ready(op string, in ...*Tensor) bool {
	if s.closed {
		s.Fail(fmt.Errorf("%w: %s", errClosed, op))
		return false
	}
	if s.err != nil {
		return false
	}
	for i, t := range in {
		if t == nil || t.c == nil {
			s.err = fmt.Errorf("aten: %s: input %d is a nil or freed tensor", op, i)
			return false
		}
	}
	return true
}

// done finishes an op that wrote a new handle into out: it records
// libtorch's error, or returns the tensor, owned by s.
func (s *Scope) done(op string, out lib.Ctensor) *Tensor {
	if err := lastError(op); err != nil {
		s.err = err
		if out != nil {
			lib.AtFree(out)
		}
		return nil
	}
	return s.track(out)
}

// doneInPlace finishes an in-place op: libtorch returns a second handle to
// the same tensor, which is freed at once (gotch's generated X_ methods
// keep it, leaking the tensor), and the input is returned.
func (s *Scope) doneInPlace(op string, extra lib.Ctensor, t *Tensor) *Tensor {
	if err := lastError(op); err != nil {
		s.err = err
		return nil
	}
	if extra != nil {
		lib.AtFree(extra)
	}
	return t
}
