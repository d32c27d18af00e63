package engine

import (
	"fmt"

	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/internal/aten"
)

// convNetOnLibtorch runs the self-check network of c on libtorch's CPU
// backend in dtype (gotch.Float or gotch.Double), with the thread count
// currently set:
//
//	y = conv2(tanh(conv1(x) + b1)), loss = sum(y * r)
//
// (3x3 kernels, padding 1), then one backward pass. It returns, as float64
// and in checkOutputs order: y and the gradients of loss with respect to w1,
// b1, w2 and x. It turns gradients on for its own work and restores the
// calling thread's grad mode; call it on a Worker.
func convNetOnLibtorch(c *convCase, dtype gotch.DType) ([][]float64, error) {
	prev := aten.SetGradEnabled(true)
	defer aten.SetGradEnabled(prev)
	s := aten.NewScope()
	defer s.Close()
	leaf := func(data []float64, shape []int64, grad bool) *aten.Tensor {
		t := s.ToDType(s.FromFloat64s(data, shape...), dtype)
		if grad {
			t = s.RequiringGrad(s.Contiguous(s.MulScalar(t, 1)), true) // a fresh leaf, not a view of the float64 data
		}
		return t
	}
	n, cin, cmid, cout, h, w := int64(c.N), int64(c.Cin), int64(c.Cmid), int64(c.Cout), int64(c.H), int64(c.W)
	x := leaf(c.X, []int64{n, cin, h, w}, true)
	w1 := leaf(c.W1, []int64{cmid, cin, 3, 3}, true)
	b1 := leaf(c.B1, []int64{cmid}, true)
	w2 := leaf(c.W2, []int64{cout, cmid, 3, 3}, true)
	r := leaf(c.R, []int64{n, cout, h, w}, false)
	y := s.Conv2d(s.Tanh(s.Conv2d(x, w1, b1, 1, 1)), w2, nil, 1, 1)
	s.Backward(s.Sum(s.Mul(y, r)))
	outs := [][]float64{s.Float64s(y)}
	for _, p := range []*aten.Tensor{w1, b1, w2, x} {
		g := s.Grad(p)
		if g == nil && s.OK() {
			return nil, fmt.Errorf("engine: %s: libtorch computed no gradient", SelfCheckName)
		}
		outs = append(outs, s.Float64s(g))
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("engine: %s: %w", SelfCheckName, err)
	}
	return outs, nil
}
