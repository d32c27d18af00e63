package optim

import (
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// The optimizer's tensor ops, called on raw libtorch handles.
//
// gotch v0.9.1's generated Tensor methods cost this loop two leaks per call:
//   - every wrapper mallocs the slot C writes the result handle into
//     (C.malloc(0), a 32-byte chunk) and never frees it: at ~5 ops per
//     parameter per step that alone grew RSS by megabytes per thousand steps;
//   - the in-place methods (MulScalar_, Add_, Zero_, ...) store the new
//     handle C returns in the receiver and never free the previous one,
//     which still references the tensor: temporaries updated in place and
//     then dropped (denom, update) were never freed, measured 4 MB/step
//     for a base-8 U-Net (bench/README.md).
// Here the result slot is a Go variable, extra handles are freed at once,
// and temporaries never get a Go Tensor wrapper (gotch's carries a 100 KB
// Go allocation each). Callers keep the tensors behind the handles alive.

func ct(t *ts.Tensor) lib.Ctensor { return lib.Ctensor(t.Ctensor()) }

// done checks libtorch's error and frees the extra handle of an in-place op.
func done(extra lib.Ctensor) error {
	if err := ts.TorchErr(); err != nil {
		return err
	}
	lib.AtFree(extra)
	return nil
}

// result checks libtorch's error and returns the handle of a new tensor.
func result(out lib.Ctensor) (lib.Ctensor, error) {
	if err := ts.TorchErr(); err != nil {
		return nil, err
	}
	return out, nil
}

// withScalar passes a libtorch scalar holding v to fn and frees it.
func withScalar(v float64, fn func(s lib.Cscalar)) {
	s := lib.AtsFloat(v)
	fn(s)
	lib.AtsFree(s)
}

// gradOf returns a new handle to t's gradient (free it with lib.AtFree)
// and whether the gradient is defined.
func gradOf(t lib.Ctensor) (lib.Ctensor, bool, error) {
	var g lib.Ctensor
	lib.AtgGrad(&g, t)
	g, err := result(g)
	if err != nil {
		return nil, false, err
	}
	return g, lib.AtDefined(g), nil
}

// mulScalar returns a new tensor t·v.
func mulScalar(t lib.Ctensor, v float64) (lib.Ctensor, error) {
	var out lib.Ctensor
	withScalar(v, func(s lib.Cscalar) { lib.AtgMulScalar(&out, t, s) })
	return result(out)
}

// sqrt returns a new tensor √t.
func sqrt(t lib.Ctensor) (lib.Ctensor, error) {
	var out lib.Ctensor
	lib.AtgSqrt(&out, t)
	return result(out)
}

// mulScalar_: t *= v.
func mulScalar_(t lib.Ctensor, v float64) error {
	var e lib.Ctensor
	withScalar(v, func(s lib.Cscalar) { lib.AtgMulScalar_(&e, t, s) })
	return done(e)
}

// addScalar_: t += v.
func addScalar_(t lib.Ctensor, v float64) error {
	var e lib.Ctensor
	withScalar(v, func(s lib.Cscalar) { lib.AtgAddScalar_(&e, t, s) })
	return done(e)
}

// divScalar_: t /= v.
func divScalar_(t lib.Ctensor, v float64) error {
	var e lib.Ctensor
	withScalar(v, func(s lib.Cscalar) { lib.AtgDivScalar_(&e, t, s) })
	return done(e)
}

// lerp_: t += w·(end - t).
func lerp_(t, end lib.Ctensor, w float64) error {
	var e lib.Ctensor
	withScalar(w, func(s lib.Cscalar) { lib.AtgLerp_(&e, t, end, s) })
	return done(e)
}

// addcmul_: t += a·b.
func addcmul_(t, a, b lib.Ctensor) error {
	var e lib.Ctensor
	lib.AtgAddcmul_(&e, t, a, b)
	return done(e)
}

// addcdiv_: t += a / b.
func addcdiv_(t, a, b lib.Ctensor) error {
	var e lib.Ctensor
	lib.AtgAddcdiv_(&e, t, a, b)
	return done(e)
}

// add_: t += o.
func add_(t, o lib.Ctensor) error {
	var e lib.Ctensor
	lib.AtgAdd_(&e, t, o)
	return done(e)
}

// zero_: t = 0.
func zero_(t lib.Ctensor) error {
	var e lib.Ctensor
	lib.AtgZero_(&e, t)
	return done(e)
}
