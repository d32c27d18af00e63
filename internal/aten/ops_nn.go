package aten

import (
	lib "github.com/sugarme/gotch/libtch"
)

// Network ops (NCHW tensors; memory format follows the input, so a
// channels-last input gives channels-last outputs).

// reductionMean is ATen's Reduction::Mean.
const reductionMean = 1

var (
	ones2  = []int64{1, 1}
	zeros2 = []int64{0, 0}
)

// Conv2d is a 2-D convolution with square stride and padding, dilation 1,
// one group; b may be nil (no bias).
func (s *Scope) Conv2d(x, w, b *Tensor, stride, pad int64) *Tensor {
	if !s.ready("conv2d", x, w) {
		return nil
	}
	var out lib.Ctensor
	st, pd := []int64{stride, stride}, []int64{pad, pad}
	lib.AtgConv2d(&out, x.c, w.c, orNone(b), st, 2, pd, 2, ones2, 2, 1)
	return s.done("conv2d", out)
}

// ConvTranspose2d is a 2-D transposed convolution (weight [in, out, k, k])
// with square stride, no padding, dilation 1, one group; b may be nil.
func (s *Scope) ConvTranspose2d(x, w, b *Tensor, stride int64) *Tensor {
	if !s.ready("conv_transpose2d", x, w) {
		return nil
	}
	var out lib.Ctensor
	st := []int64{stride, stride}
	lib.AtgConvTranspose2d(&out, x.c, w.c, orNone(b), st, 2, zeros2, 2, zeros2, 2, 1, ones2, 2)
	return s.done("conv_transpose2d", out)
}

// BatchNorm normalises x per channel. In training it uses the batch
// statistics and updates mean and variance (the running statistics) in
// place with momentum; otherwise it uses them.
func (s *Scope) BatchNorm(x, w, b, mean, variance *Tensor, train bool, momentum, eps float64) *Tensor {
	if !s.ready("batch_norm", x, w, b, mean, variance) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgBatchNorm(&out, x.c, w.c, b.c, mean.c, variance.c, boolInt(train), momentum, eps, 1)
	return s.done("batch_norm", out)
}

// ReluInPlace sets x to max(x, 0) and returns x.
func (s *Scope) ReluInPlace(x *Tensor) *Tensor {
	if !s.ready("relu_", x) {
		return nil
	}
	var extra lib.Ctensor
	lib.AtgRelu_(&extra, x.c)
	return s.doneInPlace("relu_", extra, x)
}

// MaxPool2d is k x k max pooling with stride k.
func (s *Scope) MaxPool2d(x *Tensor, k int64) *Tensor {
	if !s.ready("max_pool2d", x) {
		return nil
	}
	var out lib.Ctensor
	kk := []int64{k, k}
	lib.AtgMaxPool2d(&out, x.c, kk, 2, kk, 2, zeros2, 2, ones2, 2, 0)
	return s.done("max_pool2d", out)
}

// UpsampleBilinear resizes x to h x w (align_corners=false, no scales).
func (s *Scope) UpsampleBilinear(x *Tensor, h, w int64) *Tensor {
	if !s.ready("upsample_bilinear2d", x) {
		return nil
	}
	var out lib.Ctensor
	size := []int64{h, w}
	lib.AtgUpsampleBilinear2d(&out, x.c, size, 2, 0, 0, 1, 0, 1)
	return s.done("upsample_bilinear2d", out)
}

// AdaptiveAvgPool2d averages x into g x g bins.
func (s *Scope) AdaptiveAvgPool2d(x *Tensor, g int64) *Tensor {
	if !s.ready("adaptive_avg_pool2d", x) {
		return nil
	}
	var out lib.Ctensor
	size := []int64{g, g}
	lib.AtgAdaptiveAvgPool2d(&out, x.c, size, 2)
	return s.done("adaptive_avg_pool2d", out)
}

// Cat concatenates tensors along dim.
func (s *Scope) Cat(dim int64, ts ...*Tensor) *Tensor {
	if !s.ready("cat", ts...) {
		return nil
	}
	hs := make([]lib.Ctensor, len(ts))
	for i, t := range ts {
		hs[i] = t.c
	}
	var out lib.Ctensor
	lib.AtgCat(&out, hs, len(hs), dim)
	return s.done("cat", out)
}

// ReflectionPad2d pads the last two dims by [left, right, top, bottom]
// mirroring the border (each pad must be smaller than its side).
func (s *Scope) ReflectionPad2d(x *Tensor, pad [4]int64) *Tensor {
	if !s.ready("reflection_pad2d", x) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgReflectionPad2d(&out, x.c, pad[:], 4)
	return s.done("reflection_pad2d", out)
}

// ReplicationPad2d pads the last two dims by [left, right, top, bottom]
// repeating the border pixels.
func (s *Scope) ReplicationPad2d(x *Tensor, pad [4]int64) *Tensor {
	if !s.ready("replication_pad2d", x) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgReplicationPad2d(&out, x.c, pad[:], 4)
	return s.done("replication_pad2d", out)
}

// Narrow is the view x[..., start:start+length, ...] along dim.
func (s *Scope) Narrow(x *Tensor, dim, start, length int64) *Tensor {
	if !s.ready("narrow", x) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgNarrow(&out, x.c, dim, start, length)
	return s.done("narrow", out)
}

// Flip reverses x along dims.
func (s *Scope) Flip(x *Tensor, dims ...int64) *Tensor {
	if !s.ready("flip", x) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgFlip(&out, x.c, dims, len(dims))
	return s.done("flip", out)
}

// Permute reorders x's dimensions (a view).
func (s *Scope) Permute(x *Tensor, dims ...int64) *Tensor {
	if !s.ready("permute", x) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgPermute(&out, x.c, dims, len(dims))
	return s.done("permute", out)
}

// ChannelsLast returns a rank-4 x in channels-last memory (NHWC strides,
// NCHW shape), the layout oneDNN's CPU convolutions are fastest in and
// that later ops keep. gotch's API has no memory-format argument, so it is
// built as permute → contiguous → permute back.
func (s *Scope) ChannelsLast(x *Tensor) *Tensor {
	return s.Run(func(c *Scope) *Tensor {
		nhwc := c.Contiguous(c.Permute(x, 0, 2, 3, 1))
		return c.Permute(nhwc, 0, 3, 1, 2)
	})
}

// IsChannelsLast reports whether a rank-4 t is laid out channels-last:
// strides [H·W·C, 1, W·C, C], checked on dims of size > 1 (the strides of
// size-1 dims do not matter, as in libtorch's own test).
func (t *Tensor) IsChannelsLast() bool {
	st, sh := t.Strides(), t.Shape()
	if len(st) != 4 {
		return false
	}
	c, h, w := sh[1], sh[2], sh[3]
	want := [4]int64{h * w * c, 1, w * c, c}
	for i := range st {
		if sh[i] > 1 && st[i] != want[i] {
			return false
		}
	}
	return true
}

// BCEWithLogits is binary_cross_entropy_with_logits(x, y), mean over all
// elements, no weights.
func (s *Scope) BCEWithLogits(x, y *Tensor) *Tensor {
	if !s.ready("binary_cross_entropy_with_logits", x, y) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgBinaryCrossEntropyWithLogits(&out, x.c, y.c, undefined, undefined, reductionMean)
	return s.done("binary_cross_entropy_with_logits", out)
}

// BCEWithLogitsWeighted is binary_cross_entropy_with_logits(x, y) with a
// per-element weight w (broadcast to x), mean over all elements.
func (s *Scope) BCEWithLogitsWeighted(x, y, w *Tensor) *Tensor {
	if !s.ready("binary_cross_entropy_with_logits", x, y, w) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgBinaryCrossEntropyWithLogits(&out, x.c, y.c, w.c, undefined, reductionMean)
	return s.done("binary_cross_entropy_with_logits", out)
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
