package aten

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
)

// Creating tensors, and reading their values back into Go.

func numel(shape []int64) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// fromData copies n elements of size elt at p into a new CPU tensor.
func (s *Scope) fromData(op string, p unsafe.Pointer, n int, elt uint, dtype gotch.DType, shape []int64) *Tensor {
	if !s.ready(op) {
		return nil
	}
	want, ok := numel(shape)
	if !ok || len(shape) == 0 {
		s.Failf("aten: %s: invalid shape %v", op, shape)
		return nil
	}
	if want != int64(n) {
		s.Failf("aten: %s: %d values for shape %v (%d elements)", op, n, shape, want)
		return nil
	}
	if n == 0 {
		return s.Zeros(shape, dtype, gotch.CPU)
	}
	c := lib.AtTensorOfData(p, shape, uint(len(shape)), elt, int(dtype.CInt()))
	return s.done(op, c)
}

// FromFloat32s copies values into a new float32 CPU tensor of shape.
func (s *Scope) FromFloat32s(values []float32, shape ...int64) *Tensor {
	var p unsafe.Pointer
	if len(values) > 0 {
		p = unsafe.Pointer(&values[0])
	}
	return s.fromData("from_float32s", p, len(values), 4, gotch.Float, shape)
}

// FromFloat64s copies values into a new float64 CPU tensor of shape.
func (s *Scope) FromFloat64s(values []float64, shape ...int64) *Tensor {
	var p unsafe.Pointer
	if len(values) > 0 {
		p = unsafe.Pointer(&values[0])
	}
	return s.fromData("from_float64s", p, len(values), 8, gotch.Double, shape)
}

// FromInt64s copies values into a new int64 CPU tensor of shape.
func (s *Scope) FromInt64s(values []int64, shape ...int64) *Tensor {
	var p unsafe.Pointer
	if len(values) > 0 {
		p = unsafe.Pointer(&values[0])
	}
	return s.fromData("from_int64s", p, len(values), 8, gotch.Int64, shape)
}

type createFn func(out *lib.Ctensor, size []int64, n int, kind, device int32)

func (s *Scope) create(op string, f createFn, shape []int64, dtype gotch.DType, device gotch.Device) *Tensor {
	if !s.ready(op) {
		return nil
	}
	if _, ok := numel(shape); !ok {
		s.Failf("aten: %s: invalid shape %v", op, shape)
		return nil
	}
	var out lib.Ctensor
	f(&out, shape, len(shape), dtype.CInt(), device.CInt())
	return s.done(op, out)
}

// Zeros is a tensor of zeros.
func (s *Scope) Zeros(shape []int64, dtype gotch.DType, device gotch.Device) *Tensor {
	return s.create("zeros", lib.AtgZeros, shape, dtype, device)
}

// Ones is a tensor of ones.
func (s *Scope) Ones(shape []int64, dtype gotch.DType, device gotch.Device) *Tensor {
	return s.create("ones", lib.AtgOnes, shape, dtype, device)
}

// Full is a tensor filled with v.
func (s *Scope) Full(shape []int64, v float64, dtype gotch.DType, device gotch.Device) *Tensor {
	if v == 0 {
		return s.Zeros(shape, dtype, device)
	}
	t := s.Ones(shape, dtype, device)
	if v == 1 {
		return t
	}
	return s.FillInPlace(t, v)
}

// Randn draws from N(0, 1) with libtorch's generator (see ManualSeed).
func (s *Scope) Randn(shape []int64, dtype gotch.DType, device gotch.Device) *Tensor {
	return s.create("randn", lib.AtgRandn, shape, dtype, device)
}

// Rand draws from U[0, 1) with libtorch's generator.
func (s *Scope) Rand(shape []int64, dtype gotch.DType, device gotch.Device) *Tensor {
	return s.create("rand", lib.AtgRand, shape, dtype, device)
}

// hostCopy returns a contiguous CPU tensor of dtype holding t's values
// (temporaries belong to s).
func (s *Scope) hostCopy(op string, t *Tensor, dtype gotch.DType) *Tensor {
	if !s.ready(op, t) {
		return nil
	}
	x := t
	if x.Device() != gotch.CPU {
		x = s.ToDevice(x, gotch.CPU)
	}
	if x.DType() != dtype {
		x = s.ToDType(x, dtype)
	}
	return s.Contiguous(x)
}

func (s *Scope) readInto(op string, t *Tensor, dtype gotch.DType, p unsafe.Pointer, n int64, elt uint) {
	h := s.hostCopy(op, t, dtype)
	if h == nil {
		return
	}
	if n > 0 {
		lib.AtCopyData(h.c, p, uint(n), elt)
		if err := lastError(op); err != nil {
			s.Fail(err)
		}
	}
	s.Free(h)
}

// Float32s copies t's values (any float dtype or device) into a new slice,
// in row-major order.
func (s *Scope) Float32s(t *Tensor) []float32 {
	if !s.ready("float32s", t) {
		return nil
	}
	v := make([]float32, t.Numel())
	var p unsafe.Pointer
	if len(v) > 0 {
		p = unsafe.Pointer(&v[0])
	}
	s.readInto("float32s", t, gotch.Float, p, int64(len(v)), 4)
	if s.err != nil {
		return nil
	}
	return v
}

// Float64s copies t's values into a new float64 slice, row-major.
func (s *Scope) Float64s(t *Tensor) []float64 {
	if !s.ready("float64s", t) {
		return nil
	}
	v := make([]float64, t.Numel())
	var p unsafe.Pointer
	if len(v) > 0 {
		p = unsafe.Pointer(&v[0])
	}
	s.readInto("float64s", t, gotch.Double, p, int64(len(v)), 8)
	if s.err != nil {
		return nil
	}
	return v
}

// Int64s copies t's values into a new int64 slice, row-major.
func (s *Scope) Int64s(t *Tensor) []int64 {
	if !s.ready("int64s", t) {
		return nil
	}
	v := make([]int64, t.Numel())
	var p unsafe.Pointer
	if len(v) > 0 {
		p = unsafe.Pointer(&v[0])
	}
	s.readInto("int64s", t, gotch.Int64, p, int64(len(v)), 8)
	if s.err != nil {
		return nil
	}
	return v
}

// Item reads a one-element tensor as float64 (0 after an error).
func (s *Scope) Item(t *Tensor) float64 {
	if !s.ready("item", t) {
		return 0
	}
	if n := t.Numel(); n != 1 {
		s.Fail(fmt.Errorf("aten: item of a tensor with %d elements %v", n, t.Shape()))
		return 0
	}
	v := lib.AtDoubleValueAtIndexes(t.c, nil, 0)
	if err := lastError("item"); err != nil {
		s.Fail(err)
		return 0
	}
	return v
}
