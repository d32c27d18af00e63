package losses

import (
	"math"
	"testing"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/models"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

func run(t *testing.T, fn func() error) {
	t.Helper()
	if err := engine.Run(func() error {
		engine.SetThreads(0)
		engine.ManualSeed(11)
		return fn()
	}); err != nil {
		t.Fatal(err)
	}
}

// tensor makes a float64 tensor of the given shape from data.
func tensor(t *testing.T, data []float64, shape []int64) *ts.Tensor {
	t.Helper()
	x, err := ts.NewTensorFromData(data, shape)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func value(t *testing.T, x *ts.Tensor) float64 {
	t.Helper()
	v, err := Scalar(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func output(maps []*ts.Tensor) *models.Output {
	return &models.Output{Main: maps[len(maps)-1], Hierarchy: maps}
}

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

var _ = gotch.Double
