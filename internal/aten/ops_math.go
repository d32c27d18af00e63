package aten

import (
	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
)

// Element-wise and reduction ops. Each returns a new tensor owned by the
// Scope (nil after an error; see Scope).

type unaryFn func(out *lib.Ctensor, x lib.Ctensor)
type binaryFn func(out *lib.Ctensor, x, y lib.Ctensor)
type scalarFn func(out *lib.Ctensor, x lib.Ctensor, v lib.Cscalar)

func (s *Scope) unary(op string, f unaryFn, x *Tensor) *Tensor {
	if !s.ready(op, x) {
		return nil
	}
	var out lib.Ctensor
	f(&out, x.c)
	return s.done(op, out)
}

func (s *Scope) binary(op string, f binaryFn, x, y *Tensor) *Tensor {
	if !s.ready(op, x, y) {
		return nil
	}
	var out lib.Ctensor
	f(&out, x.c, y.c)
	return s.done(op, out)
}

func (s *Scope) scalar(op string, f scalarFn, x *Tensor, v float64) *Tensor {
	if !s.ready(op, x) {
		return nil
	}
	var out lib.Ctensor
	sc := lib.AtsFloat(v)
	f(&out, x.c, sc)
	lib.AtsFree(sc)
	return s.done(op, out)
}

// Sigmoid is 1/(1+exp(-x)).
func (s *Scope) Sigmoid(x *Tensor) *Tensor { return s.unary("sigmoid", lib.AtgSigmoid, x) }

// Relu is max(x, 0).
func (s *Scope) Relu(x *Tensor) *Tensor { return s.unary("relu", lib.AtgRelu, x) }

// Log is the natural logarithm.
func (s *Scope) Log(x *Tensor) *Tensor { return s.unary("log", lib.AtgLog, x) }

// Exp is e^x.
func (s *Scope) Exp(x *Tensor) *Tensor { return s.unary("exp", lib.AtgExp, x) }

// Sqrt is √x.
func (s *Scope) Sqrt(x *Tensor) *Tensor { return s.unary("sqrt", lib.AtgSqrt, x) }

// Abs is |x|.
func (s *Scope) Abs(x *Tensor) *Tensor { return s.unary("abs", lib.AtgAbs, x) }

// Detach returns x cut from the autograd graph (same storage).
func (s *Scope) Detach(x *Tensor) *Tensor { return s.unary("detach", lib.AtgDetach, x) }

// Contiguous returns x in contiguous (row-major) memory, x's data when it
// already is.
func (s *Scope) Contiguous(x *Tensor) *Tensor { return s.unary("contiguous", lib.AtgContiguous, x) }

// ZerosLike is a tensor of zeros with x's shape, dtype, device and layout.
func (s *Scope) ZerosLike(x *Tensor) *Tensor { return s.unary("zeros_like", lib.AtgZerosLike, x) }

// Add is x + y (broadcasting).
func (s *Scope) Add(x, y *Tensor) *Tensor { return s.binary("add", lib.AtgAdd, x, y) }

// Sub is x - y.
func (s *Scope) Sub(x, y *Tensor) *Tensor { return s.binary("sub", lib.AtgSub, x, y) }

// Mul is x · y.
func (s *Scope) Mul(x, y *Tensor) *Tensor { return s.binary("mul", lib.AtgMul, x, y) }

// Div is x / y.
func (s *Scope) Div(x, y *Tensor) *Tensor { return s.binary("div", lib.AtgDiv, x, y) }

// AddScalar is x + v.
func (s *Scope) AddScalar(x *Tensor, v float64) *Tensor {
	return s.scalar("add_scalar", lib.AtgAddScalar, x, v)
}

// MulScalar is x · v.
func (s *Scope) MulScalar(x *Tensor, v float64) *Tensor {
	return s.scalar("mul_scalar", lib.AtgMulScalar, x, v)
}

// DivScalar is x / v.
func (s *Scope) DivScalar(x *Tensor, v float64) *Tensor {
	return s.scalar("div_scalar", lib.AtgDivScalar, x, v)
}

// SumDims sums x over dims (dimensions dropped) in x's dtype.
func (s *Scope) SumDims(x *Tensor, dims ...int64) *Tensor {
	if !s.ready("sum", x) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgSumDimIntlist(&out, x.c, dims, len(dims), 0, x.DType().CInt())
	return s.done("sum", out)
}

// Sum is the sum of all elements (a 0-dim tensor) in x's dtype.
func (s *Scope) Sum(x *Tensor) *Tensor {
	if !s.ready("sum", x) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgSum(&out, x.c, x.DType().CInt())
	return s.done("sum", out)
}

// Mean is the mean of all elements (a 0-dim tensor) in x's dtype.
func (s *Scope) Mean(x *Tensor) *Tensor {
	if !s.ready("mean", x) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgMean(&out, x.c, x.DType().CInt())
	return s.done("mean", out)
}

// Max is the largest element (a 0-dim tensor).
func (s *Scope) Max(x *Tensor) *Tensor { return s.unary("max", lib.AtgMax, x) }

// LogSoftmax is log(softmax(x)) along dim, in x's dtype.
func (s *Scope) LogSoftmax(x *Tensor, dim int64) *Tensor {
	if !s.ready("log_softmax", x) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgLogSoftmax(&out, x.c, dim, x.DType().CInt())
	return s.done("log_softmax", out)
}

// Totals sums a list of same-shaped tensors (nil entries are skipped);
// nil when there is none.
func (s *Scope) Totals(ts ...*Tensor) *Tensor {
	var total *Tensor
	for _, t := range ts {
		switch {
		case t == nil:
		case total == nil:
			total = t
		default:
			total = s.Add(total, t)
		}
	}
	return total
}

// ToDType converts x to dtype (x itself, not a copy, when it already is).
func (s *Scope) ToDType(x *Tensor, dtype gotch.DType) *Tensor {
	if !s.ready("to_dtype", x) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgTotype(&out, x.c, dtype.CInt())
	return s.done("to_dtype", out)
}

// ToDevice moves x to device (x's data when it already is there).
func (s *Scope) ToDevice(x *Tensor, device gotch.Device) *Tensor {
	if !s.ready("to_device", x) {
		return nil
	}
	var out lib.Ctensor
	lib.AtgTo(&out, x.c, device.CInt())
	return s.done("to_device", out)
}

// Lt is the boolean mask x < v.
func (s *Scope) Lt(x *Tensor, v float64) *Tensor { return s.scalar("lt", lib.AtgLt, x, v) }

// Tanh is the hyperbolic tangent.
func (s *Scope) Tanh(x *Tensor) *Tensor { return s.unary("tanh", lib.AtgTanh, x) }
