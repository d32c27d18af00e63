package losses

import (
	"runtime"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// The loss's tensor ops, called on libtorch directly.
//
// Every generated gotch v0.9.1 function C.malloc(0)s the slot that C writes
// the result handle into and never frees it: 32 bytes lost per op, about
// 130 ops per DSKD objective, which showed up as steady RSS growth over
// thousands of training steps (bench/README.md). These helpers pass a Go
// variable as the slot instead; values and gradients are the same ATen ops.
// Each returns the new tensor and, with del, frees the first input (the
// convention of gotch's del argument) whatever the outcome.

func ct(t *ts.Tensor) lib.Ctensor { return lib.Ctensor(t.Ctensor()) }

// op runs call with a Go result slot, keeps the inputs alive through it,
// frees x when del, and wraps the result.
func op(x *ts.Tensor, del bool, call func(out *lib.Ctensor), others ...*ts.Tensor) (*ts.Tensor, error) {
	var out lib.Ctensor
	call(&out)
	runtime.KeepAlive(x)
	for _, o := range others {
		runtime.KeepAlive(o)
	}
	err := ts.TorchErr()
	if del {
		x.MustDrop()
	}
	if err != nil {
		return nil, err
	}
	return ts.New(out), nil
}

// opScalar is op with a libtorch scalar v that lives for the call.
func opScalar(x *ts.Tensor, v float64, del bool, call func(out *lib.Ctensor, s lib.Cscalar)) (*ts.Tensor, error) {
	s := lib.AtsFloat(v)
	defer lib.AtsFree(s)
	return op(x, del, func(out *lib.Ctensor) { call(out, s) })
}

// must panics on err, like gotch's Must* (which log.Fatal instead); the
// engine Worker turns the panic into an error.
func mustT(t *ts.Tensor, err error) *ts.Tensor {
	if err != nil {
		panic(err)
	}
	return t
}

func cDType(d gotch.DType) int32 { return int32(d.CInt()) }

func sigmoid(x *ts.Tensor, del bool) (*ts.Tensor, error) {
	return op(x, del, func(o *lib.Ctensor) { lib.AtgSigmoid(o, ct(x)) })
}

func detach(x *ts.Tensor, del bool) (*ts.Tensor, error) {
	return op(x, del, func(o *lib.Ctensor) { lib.AtgDetach(o, ct(x)) })
}

func logT(x *ts.Tensor, del bool) (*ts.Tensor, error) {
	return op(x, del, func(o *lib.Ctensor) { lib.AtgLog(o, ct(x)) })
}

func expT(x *ts.Tensor, del bool) (*ts.Tensor, error) {
	return op(x, del, func(o *lib.Ctensor) { lib.AtgExp(o, ct(x)) })
}

func mul(x, y *ts.Tensor, del bool) (*ts.Tensor, error) {
	return op(x, del, func(o *lib.Ctensor) { lib.AtgMul(o, ct(x), ct(y)) }, y)
}

func addT(x, y *ts.Tensor, del bool) (*ts.Tensor, error) {
	return op(x, del, func(o *lib.Ctensor) { lib.AtgAdd(o, ct(x), ct(y)) }, y)
}

func sub(x, y *ts.Tensor, del bool) (*ts.Tensor, error) {
	return op(x, del, func(o *lib.Ctensor) { lib.AtgSub(o, ct(x), ct(y)) }, y)
}

func div(x, y *ts.Tensor, del bool) (*ts.Tensor, error) {
	return op(x, del, func(o *lib.Ctensor) { lib.AtgDiv(o, ct(x), ct(y)) }, y)
}

func mulScalar(x *ts.Tensor, v float64, del bool) (*ts.Tensor, error) {
	return opScalar(x, v, del, func(o *lib.Ctensor, s lib.Cscalar) { lib.AtgMulScalar(o, ct(x), s) })
}

func addScalar(x *ts.Tensor, v float64, del bool) (*ts.Tensor, error) {
	return opScalar(x, v, del, func(o *lib.Ctensor, s lib.Cscalar) { lib.AtgAddScalar(o, ct(x), s) })
}

// sumDims sums over dims (keepdim false) in dtype.
func sumDims(x *ts.Tensor, dims []int64, dtype gotch.DType, del bool) (*ts.Tensor, error) {
	return op(x, del, func(o *lib.Ctensor) { lib.AtgSumDimIntlist(o, ct(x), dims, len(dims), 0, cDType(dtype)) })
}

func mean(x *ts.Tensor, dtype gotch.DType, del bool) (*ts.Tensor, error) {
	return op(x, del, func(o *lib.Ctensor) { lib.AtgMean(o, ct(x), cDType(dtype)) })
}

func logSoftmax(x *ts.Tensor, dim int64, dtype gotch.DType, del bool) (*ts.Tensor, error) {
	return op(x, del, func(o *lib.Ctensor) { lib.AtgLogSoftmax(o, ct(x), dim, cDType(dtype)) })
}

func adaptiveAvgPool2d(x *ts.Tensor, g int64, del bool) (*ts.Tensor, error) {
	size := []int64{g, g}
	return op(x, del, func(o *lib.Ctensor) { lib.AtgAdaptiveAvgPool2d(o, ct(x), size, len(size)) })
}

// cat2 concatenates a and b along dim (neither is freed).
func cat2(a, b *ts.Tensor, dim int64) (*ts.Tensor, error) {
	return op(a, false, func(o *lib.Ctensor) {
		list := []lib.Ctensor{ct(a), ct(b)}
		lib.AtgCat(o, list, len(list), dim)
	}, b)
}

// bceWithLogitsMean is binary_cross_entropy_with_logits(x, y), mean
// reduction, no weights (x is not freed).
func bceWithLogitsMean(x, y *ts.Tensor) (*ts.Tensor, error) {
	return op(x, false, func(o *lib.Ctensor) {
		lib.AtgBinaryCrossEntropyWithLogits(o, ct(x), ct(y), ct(ts.None), ct(ts.None), reductionMean)
	}, y)
}

// scalarValue reads a one-element tensor as float64 without a reshape.
func scalarValue(t *ts.Tensor) (float64, error) {
	v := lib.AtDoubleValueAtIndexes(ct(t), nil, 0)
	runtime.KeepAlive(t)
	if err := ts.TorchErr(); err != nil {
		return 0, err
	}
	return v, nil
}
