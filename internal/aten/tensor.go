package aten

// gotch's AtDevice reads the C int result through an 8-byte Go int.

/*
int at_device(void *t);
*/
import "C"

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
)

// Tensor is a handle to a libtorch tensor. An owned handle is freed once,
// by its Scope (or by Free after the Scope gave it up with Keep); a
// borrowed handle (see Borrow) belongs to someone else and Free ignores it.
// The zero of *Tensor, nil, stands for "no tensor": ops given nil record an
// error in their Scope instead of crashing.
type Tensor struct {
	c        lib.Ctensor
	owner    *Scope // the Scope that frees it; nil once kept
	borrowed bool
}

// live counts owned handles not yet freed (leak tests read it via Live);
// created counts every handle ever wrapped (benchmarks: handles per step).
var live, created atomic.Int64

// Live returns the number of owned tensor handles not yet freed. A step
// that frees everything it creates leaves it unchanged.
func Live() int64 { return live.Load() }

// Created returns the number of tensor handles created so far.
func Created() int64 { return created.Load() }

func wrap(c lib.Ctensor) *Tensor {
	live.Add(1)
	created.Add(1)
	return &Tensor{c: c}
}

// Free releases an owned handle now (the tensor's memory goes when no
// other handle or autograd node refers to it). Borrowed handles and nil
// are ignored; a second Free is a no-op.
func (t *Tensor) Free() {
	if t == nil || t.borrowed || t.c == nil {
		return
	}
	lib.AtFree(t.c)
	t.c = nil
	t.owner = nil
	live.Add(-1)
}

// Freed reports whether the handle was released (or never held one).
func (t *Tensor) Freed() bool { return t == nil || t.c == nil }

// Defined reports whether t holds a defined libtorch tensor.
func (t *Tensor) Defined() bool {
	return t != nil && t.c != nil && lib.AtDefined(t.c)
}

// Dim is the number of dimensions (0 for nil).
func (t *Tensor) Dim() int {
	if !t.Defined() {
		return 0
	}
	return int(lib.AtDim(t.c))
}

// Shape returns the sizes of t's dimensions (nil for nil or undefined).
func (t *Tensor) Shape() []int64 {
	n := t.Dim()
	if n == 0 {
		if t.Defined() {
			return []int64{}
		}
		return nil
	}
	s := make([]int64, n)
	lib.AtShape(t.c, unsafe.Pointer(&s[0]))
	return s
}

// Strides returns the element strides of t's dimensions.
func (t *Tensor) Strides() []int64 {
	n := t.Dim()
	if n == 0 {
		return nil
	}
	s := make([]int64, n)
	lib.AtStride(t.c, unsafe.Pointer(&s[0]))
	return s
}

// Numel is the number of elements.
func (t *Tensor) Numel() int64 {
	s := t.Shape()
	if s == nil {
		return 0
	}
	n := int64(1)
	for _, d := range s {
		n *= d
	}
	return n
}

// DType is the element type (gotch.Invalid for nil).
func (t *Tensor) DType() gotch.DType {
	if !t.Defined() {
		return gotch.Invalid
	}
	return dtypeOf(lib.AtScalarType(t.c))
}

// Device is the device t lives on.
func (t *Tensor) Device() gotch.Device {
	if !t.Defined() {
		return gotch.CPU
	}
	if idx := int(C.at_device(unsafe.Pointer(t.c))); idx >= 0 {
		return gotch.CudaBuilder(uint(idx))
	}
	return gotch.CPU
}

// RequiresGrad reports whether autograd tracks t.
func (t *Tensor) RequiresGrad() bool {
	return t.Defined() && lib.AtRequiresGrad(t.c)
}

// IsFloat reports whether t holds floating-point values.
func (t *Tensor) IsFloat() bool { return IsFloat(t.DType()) }

// IsFloat reports whether d is a floating-point dtype.
func IsFloat(d gotch.DType) bool {
	return d == gotch.Float || d == gotch.Double || d == gotch.Half || d == gotch.BFloat16
}

// String describes t for error messages: dtype, shape and device.
func (t *Tensor) String() string {
	if t == nil {
		return "<nil tensor>"
	}
	if t.c == nil {
		return "<freed tensor>"
	}
	if !t.Defined() {
		return "<undefined tensor>"
	}
	return fmt.Sprintf("%v%v@%s", t.DType(), t.Shape(), DeviceName(t.Device()))
}

func dtypeOf(code int32) gotch.DType {
	// libtorch's ScalarType codes are gotch's DType values.
	if code < int32(gotch.Uint8) || code > int32(gotch.BFloat16) {
		return gotch.Invalid
	}
	return gotch.DType(code)
}

// DeviceName renders a device as "cpu" or "cuda:N".
func DeviceName(d gotch.Device) string {
	if d.IsCuda() {
		return fmt.Sprintf("cuda:%d", d.Value)
	}
	return "cpu"
}

// undefined is the undefined tensor libtorch's optional arguments take for
// "absent" (no bias, no weight). It lives for the whole process.
var undefined = lib.AtNewTensor()

// orNone returns t's handle, or the undefined tensor for nil.
func orNone(t *Tensor) lib.Ctensor {
	if t == nil {
		return undefined
	}
	return t.c
}
