package engine

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/internal/aten"
)

// TestSmokeConvNetLearns builds a two-layer conv net and checks that
// gradient steps drive the loss of a fixed tiny problem down: the build,
// the cgo bridge, autograd and in-place updates all work with the linked
// libtorch.
func TestSmokeConvNetLearns(t *testing.T) {
	var first, last float64
	err := Run(func() error {
		// As Train does: all cores, unless the self-check finds them wrong.
		if _, err := SetThreadsChecked(0); err != nil {
			return err
		}
		ManualSeed(1)
		s := aten.NewScope()
		defer s.Close()
		w1 := s.RequiringGrad(s.MulScalar(s.Randn([]int64{4, 1, 3, 3}, gotch.Float, gotch.CPU), 0.3), true)
		w2 := s.RequiringGrad(s.MulScalar(s.Randn([]int64{1, 4, 3, 3}, gotch.Float, gotch.CPU), 0.3), true)
		x := s.Rand([]int64{2, 1, 8, 8}, gotch.Float, gotch.CPU)
		// Target: a fixed, learnable function of the input (a 2x scaling).
		y := s.MulScalar(x, 2)
		for step := 0; step < 200; step++ {
			st := aten.NewScope()
			d := st.Sub(st.Conv2d(st.Relu(st.Conv2d(x, w1, nil, 1, 1)), w2, nil, 1, 1), y)
			loss := st.Mean(st.Mul(d, d))
			v := st.Item(loss)
			if step == 0 {
				first = v
			}
			last = v
			st.Backward(loss)
			err := NoGrad(func() error {
				for _, w := range []*aten.Tensor{w1, w2} {
					g := st.Grad(w)
					st.AddInPlace(w, st.MulScalar(g, -0.2))
					st.ZeroInPlace(g)
				}
				return st.Err()
			})
			st.Close()
			if err != nil {
				return err
			}
		}
		return s.Err()
	})
	require.NoError(t, err)
	assert.Greater(t, first, 0.1, "the untrained net should be far off")
	assert.Less(t, last, first/10, "200 gradient steps should cut the loss tenfold (first %.4f, last %.4f)", first, last)
}

func TestSetThreadsTakesEffect(t *testing.T) {
	err := Run(func() error {
		assert.Equal(t, 1, SetThreads(1))
		assert.Equal(t, 1, Threads())
		assert.Equal(t, 2, SetThreads(2))
		assert.Equal(t, runtime.NumCPU(), SetThreads(0), "0 means all cores")
		return nil
	})
	require.NoError(t, err)
}

func TestManualSeedRepeats(t *testing.T) {
	draw := func() []float64 {
		var v []float64
		require.NoError(t, Run(func() error {
			ManualSeed(7)
			s := aten.NewScope()
			defer s.Close()
			v = s.Float64s(s.Rand([]int64{4}, gotch.Double, gotch.CPU))
			return s.Err()
		}))
		return v
	}
	a, b := draw(), draw()
	assert.Equal(t, a, b)
	assert.Len(t, a, 4)
}

func TestParseDevice(t *testing.T) {
	d, err := ParseDevice("cpu")
	require.NoError(t, err)
	assert.Equal(t, gotch.CPU, d)
	_, err = ParseDevice("tpu")
	assert.ErrorContains(t, err, `want auto, cpu, cuda or cuda:N`)
	_, err = ParseDevice("cuda:x")
	assert.ErrorContains(t, err, "index")
	d, err = ParseDevice("auto")
	require.NoError(t, err)
	if CUDAAvailable() {
		assert.True(t, d.IsCuda())
		_, err = ParseDevice("cuda:99")
		assert.ErrorContains(t, err, "CUDA device(s) visible")
	} else {
		assert.Equal(t, gotch.CPU, d, "auto falls back to the CPU")
		_, err = ParseDevice("cuda")
		assert.ErrorContains(t, err, "CUDA is not available")
	}
	assert.Equal(t, "cpu", DeviceName(gotch.CPU))
	assert.Equal(t, "cuda:1", DeviceName(gotch.CudaBuilder(1)))
}

func TestNoGradRestoresPreviousMode(t *testing.T) {
	require.NoError(t, Run(func() error {
		assert.True(t, GradEnabled())
		require.NoError(t, NoGrad(func() error {
			assert.False(t, GradEnabled())
			// Nested: the inner call must not turn gradients back on.
			require.NoError(t, NoGrad(func() error { return nil }))
			assert.False(t, GradEnabled())
			return nil
		}))
		assert.True(t, GradEnabled())
		return nil
	}))
}

func TestWorkerRunsOnOneThreadAndReportsPanics(t *testing.T) {
	w := NewWorker()
	var grads []bool
	for i := 0; i < 20; i++ {
		require.NoError(t, w.Do(func() error {
			// Grad mode is thread-local: if Do ever ran on another thread,
			// the mode switched off in the first call would read back on.
			if i == 0 {
				SetGradEnabled(false)
				return nil
			}
			grads = append(grads, GradEnabled())
			runtime.Gosched()
			return nil
		}))
	}
	for _, g := range grads {
		assert.False(t, g)
	}
	err := w.Do(func() error { panic("boom") })
	assert.ErrorContains(t, err, "panic in worker: boom")
	require.NoError(t, w.Do(func() error { SetGradEnabled(true); return nil }))
	w.Close()
	assert.ErrorIs(t, w.Do(func() error { return nil }), ErrClosed)
}

func TestWorkerSurvivesGoexit(t *testing.T) {
	w := NewWorker()
	err := w.Do(func() error { runtime.Goexit(); return nil })
	assert.ErrorIs(t, err, ErrGoexit)
	assert.ErrorIs(t, w.Do(func() error { return nil }), ErrClosed)
	w.Close() // must not hang
}
