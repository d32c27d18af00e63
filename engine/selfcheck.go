package engine

// PORT TO internal/aten: this file is the only tensor code of the
// numerical self-check (threadcheck.go and convref.go around it are pure
// Go). It uses gotch's error-returning calls only; a port replaces them with
// aten's equivalents and keeps the function's contract.

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
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
	prev := setGradEnabled(true)
	defer setGradEnabled(prev)
	var owned []*ts.Tensor
	defer func() {
		for _, t := range owned {
			_ = t.Drop()
		}
	}()
	keep := func(t *ts.Tensor, err error) (*ts.Tensor, error) {
		if err == nil {
			owned = append(owned, t)
		}
		return t, err
	}
	leaf := func(data []float64, shape []int64, grad bool) (*ts.Tensor, error) {
		var t *ts.Tensor
		var err error
		if dtype == gotch.Double {
			t, err = keep(ts.NewTensorFromData(data, shape))
		} else {
			f := make([]float32, len(data))
			for i, v := range data {
				f[i] = float32(v)
			}
			t, err = keep(ts.NewTensorFromData(f, shape))
		}
		if err != nil || !grad {
			return t, err
		}
		return keep(t.SetRequiresGrad(true, false))
	}
	n, cin, cmid, cout, h, w := int64(c.N), int64(c.Cin), int64(c.Cmid), int64(c.Cout), int64(c.H), int64(c.W)
	x, err := leaf(c.X, []int64{n, cin, h, w}, true)
	if err != nil {
		return nil, err
	}
	w1, err := leaf(c.W1, []int64{cmid, cin, 3, 3}, true)
	if err != nil {
		return nil, err
	}
	b1, err := leaf(c.B1, []int64{cmid}, true)
	if err != nil {
		return nil, err
	}
	w2, err := leaf(c.W2, []int64{cout, cmid, 3, 3}, true)
	if err != nil {
		return nil, err
	}
	r, err := leaf(c.R, []int64{n, cout, h, w}, false)
	if err != nil {
		return nil, err
	}
	one, pad, noBias := []int64{1, 1}, []int64{1, 1}, ts.NewTensor()
	owned = append(owned, noBias)
	a1, err := keep(ts.Conv2d(x, w1, b1, one, pad, one, 1))
	if err != nil {
		return nil, err
	}
	h1, err := keep(a1.Tanh(false))
	if err != nil {
		return nil, err
	}
	y, err := keep(ts.Conv2d(h1, w2, noBias, one, pad, one, 1))
	if err != nil {
		return nil, err
	}
	yr, err := keep(y.Mul(r, false))
	if err != nil {
		return nil, err
	}
	loss, err := keep(yr.Sum(dtype, false))
	if err != nil {
		return nil, err
	}
	if err := loss.Backward(); err != nil {
		return nil, err
	}
	values := func(t *ts.Tensor) ([]float64, error) {
		d, err := keep(t.Totype(gotch.Double, false))
		if err != nil {
			return nil, err
		}
		v := make([]float64, d.Numel())
		return v, d.CopyData(v, d.Numel())
	}
	yv, err := values(y)
	if err != nil {
		return nil, err
	}
	outs := [][]float64{yv}
	for _, p := range []*ts.Tensor{w1, b1, w2, x} {
		g, err := keep(p.Grad(false))
		if err != nil {
			return nil, err
		}
		if ok, err := g.Defined(); err != nil || !ok {
			return nil, fmt.Errorf("engine: %s: libtorch computed no gradient (%v)", SelfCheckName, err)
		}
		gv, err := values(g)
		if err != nil {
			return nil, err
		}
		outs = append(outs, gv)
	}
	return outs, nil
}
