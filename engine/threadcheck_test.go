package engine

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"
)

// The Go reference must itself be right: its gradients match central
// differences of its loss on a small case.
func TestConvNetReferenceGradientsMatchFiniteDifferences(t *testing.T) {
	c := newConvCase()
	c.N, c.Cin, c.Cmid, c.Cout, c.H, c.W = 2, 2, 3, 2, 5, 4
	c.X, c.W1, c.B1, c.W2, c.R = c.X[:2*2*5*4], c.W1[:3*2*9], c.B1[:3], c.W2[:2*3*9], c.R[:2*2*5*4]
	loss := func() float64 {
		y := convNetReference(c)[0]
		var s float64
		for i := range y {
			s += y[i] * c.R[i]
		}
		return s
	}
	ref := convNetReference(c)
	params := [][]float64{c.W1, c.B1, c.W2, c.X} // gradients 1..4
	for k, p := range params {
		for i := range p {
			const h = 1e-6
			old := p[i]
			p[i] = old + h
			up := loss()
			p[i] = old - h
			down := loss()
			p[i] = old
			assert.InDelta(t, (up-down)/(2*h), ref[k+1][i], 1e-7, "%s[%d]", checkOutputs[k+1], i)
		}
	}
}

// A hand-computed case: one 3x3 input, a kernel that is 1 at its centre
// and 2 right of it (cross-correlation: out[p][q] = x[p][q] + 2 x[p][q+1]).
func TestConv3x3ByHand(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	k := []float64{0, 0, 0, 0, 1, 2, 0, 0, 0}
	assert.Equal(t, []float64{5, 8, 3, 14, 17, 6, 23, 26, 9}, conv3x3(x, 1, 1, 3, 3, k, 1))
	// With an upstream gradient of ones, dk[i][j] sums the inputs the tap
	// (i, j) sees: the centre all nine (45), the right tap the last two
	// columns (2+3+5+6+8+9 = 33).
	g := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}
	dk, dx := conv3x3Grads(x, 1, 1, 3, 3, k, 1, g)
	assert.Equal(t, 45.0, dk[4])
	assert.Equal(t, 33.0, dk[5])
	// dx[p][q] = 1 (centre) + 2 (as the right neighbour of out[p][q-1]) where q > 0.
	assert.Equal(t, []float64{1, 3, 3, 1, 3, 3, 1, 3, 3}, dx)
}

func TestRelativeError(t *testing.T) {
	assert.InDelta(t, 0.5, relativeError([]float64{3, 0}, []float64{2, 0}), 1e-15)
	assert.Equal(t, 0.0, relativeError([]float64{1, 2}, []float64{1, 2}))
	assert.True(t, math.IsInf(relativeError([]float64{1}, []float64{1, 2}), 1))
	assert.True(t, math.IsNaN(relativeError([]float64{math.NaN()}, []float64{1})))
}

// The linked libtorch agrees with the Go reference at 1 and 2 threads:
// float32 to rounding, float64 to near machine precision.
func TestSelfCheckPassesOnTheLinkedLibtorch(t *testing.T) {
	resetSelfChecks(t, nil)
	require.NoError(t, Run(func() error {
		for _, n := range []int{1, 2} {
			c, err := CheckThreads(n)
			require.NoError(t, err)
			assert.Equal(t, n, Threads())
			assert.True(t, c.Pass, "%s", c)
			assert.Less(t, c.Float32Error, 1e-5, "%s", c)
			assert.Less(t, c.Float64Error, 1e-12, "%s", c)
		}
		choice, err := SetThreadsChecked(2)
		require.NoError(t, err)
		assert.Equal(t, 2, choice.Threads)
		assert.Empty(t, choice.Warning)
		return nil
	}))
}

// faultyAbove stands in for a libtorch whose float32 convolutions are wrong
// with more than limit threads: it scales the conv1 weight gradient.
func faultyAbove(limit int) func(*convCase, gotch.DType) ([][]float64, error) {
	return func(c *convCase, dt gotch.DType) ([][]float64, error) {
		outs := convNetReference(c)
		if dt == gotch.Float && Threads() > limit {
			for i := range outs[1] {
				outs[1][i] *= 1.3
			}
		}
		return outs, nil
	}
}

func resetSelfChecks(t *testing.T, run func(*convCase, gotch.DType) ([][]float64, error)) {
	t.Helper()
	forget := func() {
		selfChecks.Lock()
		selfChecks.done = nil
		selfChecks.Unlock()
	}
	forget()
	if run != nil {
		checkRun = run
	}
	t.Cleanup(func() { checkRun = convNetOnLibtorch; forget() })
}

func TestSetThreadsCheckedFallsBackWithAWarning(t *testing.T) {
	resetSelfChecks(t, faultyAbove(1))
	require.NoError(t, Run(func() error {
		choice, err := SetThreadsChecked(4)
		require.NoError(t, err)
		assert.Equal(t, 4, choice.Requested)
		assert.Equal(t, 1, choice.Threads)
		assert.Equal(t, 1, Threads())
		require.Len(t, choice.Checks, 3)
		assert.Equal(t, []int{4, 2, 1}, []int{choice.Checks[0].Threads, choice.Checks[1].Threads, choice.Checks[2].Threads})
		assert.False(t, choice.Checks[0].Pass)
		assert.InDelta(t, 0.3, choice.Checks[0].Float32Error, 1e-12)
		assert.Equal(t, "conv1 weight gradient", choice.Checks[0].Worst)
		assert.Equal(t, `engine: conv2d self-check: this libtorch computes wrong convolution results with 4 threads (largest relative error 3.0e-01 in the conv1 weight gradient, against a float64 reference); using 1 thread(s) instead (see docs/install.md, "The conv2d self-check")`, choice.Warning)
		return nil
	}))
}

func TestSetThreadsCheckedKeepsTheLargestCountThatPasses(t *testing.T) {
	resetSelfChecks(t, faultyAbove(2))
	require.NoError(t, Run(func() error {
		choice, err := SetThreadsChecked(5)
		require.NoError(t, err)
		assert.Equal(t, 2, choice.Threads, "5 fails, 2 passes")
		assert.Len(t, choice.Checks, 2)
		return nil
	}))
}

func TestSetThreadsCheckedRefusesALibtorchWrongEvenOnOneThread(t *testing.T) {
	resetSelfChecks(t, faultyAbove(0))
	require.NoError(t, Run(func() error {
		_, err := SetThreadsChecked(2)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "engine: conv2d self-check failed even with 1 thread: 1 thread(s): WRONG")
		assert.Contains(t, err.Error(), "cannot train")
		return nil
	}))
}
