package aten

import (
	lib "github.com/sugarme/gotch/libtch"
)

// In-place ops (the optimizer, the EMA teacher, initialisation). Each
// changes its first argument and returns it; the second handle libtorch
// returns for an in-place op is freed at once.

type inPlaceFn func(extra *lib.Ctensor, t lib.Ctensor, v lib.Cscalar)

func (s *Scope) inPlaceScalar(op string, f inPlaceFn, t *Tensor, v float64) *Tensor {
	if !s.ready(op, t) {
		return nil
	}
	var extra lib.Ctensor
	sc := lib.AtsFloat(v)
	f(&extra, t.c, sc)
	lib.AtsFree(sc)
	return s.doneInPlace(op, extra, t)
}

// MulScalarInPlace: t *= v.
func (s *Scope) MulScalarInPlace(t *Tensor, v float64) *Tensor {
	return s.inPlaceScalar("mul_", lib.AtgMulScalar_, t, v)
}

// AddScalarInPlace: t += v.
func (s *Scope) AddScalarInPlace(t *Tensor, v float64) *Tensor {
	return s.inPlaceScalar("add_", lib.AtgAddScalar_, t, v)
}

// DivScalarInPlace: t /= v.
func (s *Scope) DivScalarInPlace(t *Tensor, v float64) *Tensor {
	return s.inPlaceScalar("div_", lib.AtgDivScalar_, t, v)
}

// FillInPlace: t = v everywhere.
func (s *Scope) FillInPlace(t *Tensor, v float64) *Tensor {
	return s.inPlaceScalar("fill_", lib.AtgFill_, t, v)
}

// LerpInPlace: t += w·(end - t).
func (s *Scope) LerpInPlace(t, end *Tensor, w float64) *Tensor {
	if !s.ready("lerp_", t, end) {
		return nil
	}
	var extra lib.Ctensor
	sc := lib.AtsFloat(w)
	lib.AtgLerp_(&extra, t.c, end.c, sc)
	lib.AtsFree(sc)
	return s.doneInPlace("lerp_", extra, t)
}

// AddcmulInPlace: t += a·b.
func (s *Scope) AddcmulInPlace(t, a, b *Tensor) *Tensor {
	if !s.ready("addcmul_", t, a, b) {
		return nil
	}
	var extra lib.Ctensor
	lib.AtgAddcmul_(&extra, t.c, a.c, b.c)
	return s.doneInPlace("addcmul_", extra, t)
}

// AddcdivInPlace: t += a / b.
func (s *Scope) AddcdivInPlace(t, a, b *Tensor) *Tensor {
	if !s.ready("addcdiv_", t, a, b) {
		return nil
	}
	var extra lib.Ctensor
	lib.AtgAddcdiv_(&extra, t.c, a.c, b.c)
	return s.doneInPlace("addcdiv_", extra, t)
}

// AddInPlace: t += o.
func (s *Scope) AddInPlace(t, o *Tensor) *Tensor {
	if !s.ready("add_", t, o) {
		return nil
	}
	var extra lib.Ctensor
	lib.AtgAdd_(&extra, t.c, o.c)
	return s.doneInPlace("add_", extra, t)
}

// ZeroInPlace: t = 0.
func (s *Scope) ZeroInPlace(t *Tensor) *Tensor {
	if !s.ready("zero_", t) {
		return nil
	}
	var extra lib.Ctensor
	lib.AtgZero_(&extra, t.c)
	return s.doneInPlace("zero_", extra, t)
}

// CopyInPlace copies src's values into dst (broadcasting, casting dtype
// and moving devices as needed) and keeps dst's storage and strides.
func (s *Scope) CopyInPlace(dst, src *Tensor) *Tensor {
	if !s.ready("copy_", dst, src) {
		return nil
	}
	lib.AtCopy_(dst.c, src.c)
	if err := lastError("copy_"); err != nil {
		s.err = err
		return nil
	}
	return dst
}
