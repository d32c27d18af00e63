package optim

import (
	"runtime"

	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// In-place tensor updates that do not leak.
//
// gotch v0.9.1's generated in-place methods (MulScalar_, Add_, Zero_, ...)
// receive a new torch::Tensor handle from C, store it in the receiver and
// never free the previous handle. On a parameter that only leaks a few
// bytes per call, but the previous handle still references the tensor, so
// a temporary updated in place and then dropped (denom, update) is never
// freed: measured, the old AdamW leaked two parameter-sized tensors per
// parameter per step (4 MB/step for a base-8 U-Net, see bench/README.md).
// These helpers let the C wrapper write the extra handle into a Go variable
// and free it at once; the receiver keeps its own handle.

func freeExtra(t *ts.Tensor, extra lib.Ctensor) error {
	runtime.KeepAlive(t)
	if err := ts.TorchErr(); err != nil {
		return err
	}
	lib.AtFree(extra)
	return nil
}

func ct(t *ts.Tensor) lib.Ctensor { return lib.Ctensor(t.Ctensor()) }

// withScalar passes a libtorch scalar holding v to fn and frees it.
func withScalar(v float64, fn func(s lib.Cscalar)) {
	s := lib.AtsFloat(v)
	fn(s)
	lib.AtsFree(s)
}

// mulScalar_: t *= v.
func mulScalar_(t *ts.Tensor, v float64) error {
	var e lib.Ctensor
	withScalar(v, func(s lib.Cscalar) { lib.AtgMulScalar_(&e, ct(t), s) })
	return freeExtra(t, e)
}

// addScalar_: t += v.
func addScalar_(t *ts.Tensor, v float64) error {
	var e lib.Ctensor
	withScalar(v, func(s lib.Cscalar) { lib.AtgAddScalar_(&e, ct(t), s) })
	return freeExtra(t, e)
}

// divScalar_: t /= v.
func divScalar_(t *ts.Tensor, v float64) error {
	var e lib.Ctensor
	withScalar(v, func(s lib.Cscalar) { lib.AtgDivScalar_(&e, ct(t), s) })
	return freeExtra(t, e)
}

// lerp_: t += w·(end - t).
func lerp_(t, end *ts.Tensor, w float64) error {
	var e lib.Ctensor
	withScalar(w, func(s lib.Cscalar) { lib.AtgLerp_(&e, ct(t), ct(end), s) })
	runtime.KeepAlive(end)
	return freeExtra(t, e)
}

// addcmul_: t += a·b.
func addcmul_(t, a, b *ts.Tensor) error {
	var e lib.Ctensor
	lib.AtgAddcmul_(&e, ct(t), ct(a), ct(b))
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	return freeExtra(t, e)
}

// addcdiv_: t += a / b.
func addcdiv_(t, a, b *ts.Tensor) error {
	var e lib.Ctensor
	lib.AtgAddcdiv_(&e, ct(t), ct(a), ct(b))
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	return freeExtra(t, e)
}

// add_: t += o.
func add_(t, o *ts.Tensor) error {
	var e lib.Ctensor
	lib.AtgAdd_(&e, ct(t), ct(o))
	runtime.KeepAlive(o)
	return freeExtra(t, e)
}

// zero_: t = 0.
func zero_(t *ts.Tensor) error {
	var e lib.Ctensor
	lib.AtgZero_(&e, ct(t))
	return freeExtra(t, e)
}
