package models

import (
	"runtime"

	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// The forward pass's ops, called on libtorch directly.
//
// gotch v0.9.1's generated Tensor functions leak on every call: the slot
// C writes the result handle into is C.malloc(0)'d and never freed (a
// 32-byte chunk per op, ~80 ops per forward pass: RSS grew without bound),
// and its in-place methods (Relu_ ...) store the new handle C returns in the
// receiver and never free the previous one, which still references the
// tensor, so the activation (and in training its autograd node with the
// saved tensors) was never freed: measured, a base-8 U-Net leaked 2 MB per
// eval forward pass and 6.5 MB per training one (bench/README.md). Here the
// result slot is a Go variable and extra handles are freed at once.

func ct(t *ts.Tensor) lib.Ctensor { return lib.Ctensor(t.Ctensor()) }

// newResult wraps the handle a libtorch op wrote into out, or returns the
// op's error.
func newResult(out lib.Ctensor) (*ts.Tensor, error) {
	if err := ts.TorchErr(); err != nil {
		return nil, err
	}
	return ts.New(out), nil
}

// reluInPlace applies ReLU to t in place.
func reluInPlace(t *ts.Tensor) error {
	var extra lib.Ctensor
	lib.AtgRelu_(&extra, ct(t))
	runtime.KeepAlive(t)
	if err := ts.TorchErr(); err != nil {
		return err
	}
	lib.AtFree(extra)
	return nil
}

func conv2d(x, w, b *ts.Tensor, stride, pad []int64) (*ts.Tensor, error) {
	var out lib.Ctensor
	dil := []int64{1, 1}
	lib.AtgConv2d(&out, ct(x), ct(w), ct(b), stride, len(stride), pad, len(pad), dil, len(dil), 1)
	runtime.KeepAlive(x)
	runtime.KeepAlive(w)
	runtime.KeepAlive(b)
	return newResult(out)
}

func batchNorm2d(x, w, b, mean, variance *ts.Tensor, train bool, momentum, eps float64) (*ts.Tensor, error) {
	var out lib.Ctensor
	tr := int32(0)
	if train {
		tr = 1
	}
	lib.AtgBatchNorm(&out, ct(x), ct(w), ct(b), ct(mean), ct(variance), tr, momentum, eps, 1)
	runtime.KeepAlive(x)
	runtime.KeepAlive(w)
	runtime.KeepAlive(b)
	runtime.KeepAlive(mean)
	runtime.KeepAlive(variance)
	return newResult(out)
}

func maxPool2x2(x *ts.Tensor) (*ts.Tensor, error) {
	var out lib.Ctensor
	k, z, one := []int64{2, 2}, []int64{0, 0}, []int64{1, 1}
	lib.AtgMaxPool2d(&out, ct(x), k, len(k), k, len(k), z, len(z), one, len(one), 0)
	runtime.KeepAlive(x)
	return newResult(out)
}

// upsampleBilinear resizes x to h x w (align_corners=false, no scales).
func upsampleBilinear(x *ts.Tensor, h, w int64) (*ts.Tensor, error) {
	var out lib.Ctensor
	size := []int64{h, w}
	lib.AtgUpsampleBilinear2d(&out, ct(x), size, len(size), 0, 0, 1, 0, 1)
	runtime.KeepAlive(x)
	return newResult(out)
}

func cat2(a, b *ts.Tensor, dim int64) (*ts.Tensor, error) {
	var out lib.Ctensor
	ts2 := []lib.Ctensor{ct(a), ct(b)}
	lib.AtgCat(&out, ts2, len(ts2), dim)
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	return newResult(out)
}
