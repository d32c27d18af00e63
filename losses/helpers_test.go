package losses

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/models"
)

// run executes fn on a locked OS thread with all cores and a fixed seed,
// with a Scope for the test's own tensors (closed, and its error checked,
// afterwards).
func run(t *testing.T, fn func(s *aten.Scope) error) {
	t.Helper()
	require.NoError(t, engine.Run(func() error {
		engine.SetThreads(0)
		engine.ManualSeed(11)
		s := aten.NewScope()
		defer s.Close()
		if err := fn(s); err != nil {
			return err
		}
		return s.Err()
	}))
}

// tensor makes a float64 tensor of the given shape from data, owned by s.
func tensor(t *testing.T, s *aten.Scope, data []float64, shape []int64) *Tensor {
	t.Helper()
	x := s.FromFloat64s(data, shape...)
	require.NoError(t, s.Err())
	return x
}

// valueOf returns a reader for the 0-dim results of the package's
// functions: it fails the test on an error, reads the value with Scalar
// and frees the tensor, so that val(Dice(x, y)) is one expression.
func valueOf(t *testing.T) func(x *Tensor, err error) float64 {
	return func(x *Tensor, err error) float64 {
		t.Helper()
		require.NoError(t, err)
		defer x.Free()
		v, err := Scalar(x)
		require.NoError(t, err)
		return v
	}
}

// grad returns x's gradient values, or nil when x has no gradient.
func grad(t *testing.T, s *aten.Scope, x *Tensor) []float64 {
	t.Helper()
	g := s.Grad(x)
	require.NoError(t, s.Err())
	if g == nil {
		return nil
	}
	defer s.Free(g)
	v := s.Float64s(g)
	require.NoError(t, s.Err())
	return v
}

// leaf makes a float64 tensor from data that requires grad, owned by s.
func leaf(t *testing.T, s *aten.Scope, data []float64, shape []int64) *Tensor {
	t.Helper()
	x := s.RequiringGrad(s.FromFloat64s(data, shape...), true)
	require.NoError(t, s.Err())
	return x
}

// output wraps maps (coarse to fine) as a model Output; the maps stay
// owned by their Scope (never Free it).
func output(maps []*Tensor) *models.Output {
	return &models.Output{Main: maps[len(maps)-1], Hierarchy: maps}
}

// near reports |a-b| <= tol·max(1, |a|, |b|).
func near(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// lcg is a tiny deterministic generator for test maps.
type lcg uint64

func (r *lcg) float() float64 {
	*r = *r*6364136223846793005 + 1442695040888963407
	return float64(uint64(*r)>>11) / float64(1<<53)
}

func randMap(r *lcg, n int, scale float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = (r.float()*2 - 1) * scale
	}
	return out
}

func randMask(r *lcg, n int, p float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		if r.float() < p {
			out[i] = 1
		}
	}
	return out
}

// randHierarchies makes three-depth student and teacher logit maps of
// shape [2,1,8,8] and a mask, owned by s.
func randHierarchies(t *testing.T, s *aten.Scope, seed uint64) (st, tt []*Tensor, y *Tensor) {
	r := lcg(seed)
	shape := []int64{2, 1, 8, 8}
	n := 2 * 8 * 8
	for i := 0; i < 3; i++ {
		st = append(st, tensor(t, s, randMap(&r, n, 3), shape))
		tt = append(tt, tensor(t, s, randMap(&r, n, 3), shape))
	}
	return st, tt, tensor(t, s, randMask(&r, n, 0.2), shape)
}
