package aten

import (
	lib "github.com/sugarme/gotch/libtch"
)

// Backward computes the gradients of a scalar loss into the .grad of every
// leaf that requires grad (accumulating), and frees the graph.
func (s *Scope) Backward(loss *Tensor) { s.backward(loss, 0) }

// Grad returns a handle to t's gradient (sharing its storage), or nil
// when t has none yet (no error is recorded for that).
func (s *Scope) Grad(t *Tensor) *Tensor {
	if !s.ready("grad", t) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgGrad(&out, t.c)
	g := s.done("grad", out)
	if g != nil && !g.Defined() {
		s.Free(g)
		return nil
	}
	return g
}

// RequiringGrad returns a handle to t (same storage) with requires_grad
// set to on: how a new tensor becomes a trainable leaf.
func (s *Scope) RequiringGrad(t *Tensor, on bool) *Tensor {
	if !s.ready("set_requires_grad", t) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgSetRequiresGrad(&out, t.c, boolInt(on))
	return s.done("set_requires_grad", out)
}

// BackwardKeepingGraph is Backward without freeing the graph, so that
// another backward pass through it can follow (per-term gradients of one
// forward pass).
func (s *Scope) BackwardKeepingGraph(loss *Tensor) { s.backward(loss, 1) }

func (s *Scope) backward(loss *Tensor, keepGraph int) {
	if !s.ready("backward", loss) {
		return
	}
	lib.AtBackward(loss.c, keepGraph, 0)
	if err := lastError("backward"); err != nil {
		s.Fail(err)
	}
}
