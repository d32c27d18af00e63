package optim

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
)

// quadratic builds a VarStore with one float64 variable w; lossStep then
// sets the gradient of sum(c·w²)/2, i.e. g = c·w.
func quadratic(t *testing.T, w0 []float64) (*nn.VarStore, *aten.Tensor) {
	vs := nn.NewVarStore(gotch.CPU)
	s := aten.NewScope()
	defer s.Close()
	w, err := aten.AddVar(vs.Root(), "w", s.FromFloat64s(w0, int64(len(w0))), true)
	require.NoError(t, err)
	require.NoError(t, s.Err())
	return vs, w
}

func lossStep(t *testing.T, w *aten.Tensor, c float64) {
	s := aten.NewScope()
	defer s.Close()
	s.Backward(s.MulScalar(s.Sum(s.Mul(w, w)), c/2))
	require.NoError(t, s.Err())
}

func values(t *testing.T, w *aten.Tensor) []float64 {
	s := aten.NewScope()
	defer s.Close()
	v := s.Float64s(w)
	require.NoError(t, s.Err())
	return v
}

// refAdamW is PyTorch's AdamW in float64 for g = c·w.
func refAdamW(w []float64, c, lr float64, cfg Config, steps int) []float64 {
	w = append([]float64(nil), w...)
	m := make([]float64, len(w))
	v := make([]float64, len(w))
	for t := 1; t <= steps; t++ {
		for i := range w {
			g := c * w[i]
			w[i] *= 1 - lr*cfg.WeightDecay
			m[i] = cfg.Beta1*m[i] + (1-cfg.Beta1)*g
			v[i] = cfg.Beta2*v[i] + (1-cfg.Beta2)*g*g
			bc1 := 1 - math.Pow(cfg.Beta1, float64(t))
			bc2 := 1 - math.Pow(cfg.Beta2, float64(t))
			w[i] -= lr / bc1 * m[i] / (math.Sqrt(v[i])/math.Sqrt(bc2) + cfg.Eps)
		}
	}
	return w
}

func refSGD(w []float64, c, lr float64, cfg Config, steps int) []float64 {
	w = append([]float64(nil), w...)
	b := make([]float64, len(w))
	for t := 1; t <= steps; t++ {
		for i := range w {
			g := c*w[i] + cfg.WeightDecay*w[i]
			if t == 1 {
				b[i] = g
			} else {
				b[i] = cfg.Momentum*b[i] + g
			}
			w[i] -= lr * b[i]
		}
	}
	return w
}

func run(t *testing.T, cfg Config, steps int) []float64 {
	var got []float64
	require.NoError(t, engine.Run(func() error {
		vsr, w2 := quadratic(t, []float64{1, -2, 0.5})
		o, err := New(cfg, vsr)
		if err != nil {
			return err
		}
		for i := 0; i < steps; i++ {
			require.NoError(t, o.ZeroGrad())
			lossStep(t, w2, 3)
			if err := o.Step(0.1); err != nil {
				return err
			}
		}
		got = values(t, w2)
		return nil
	}))
	return got
}

func TestAdamWMatchesReference(t *testing.T) {
	cfg, err := Config{WeightDecay: 0.01}.WithDefaults()
	require.NoError(t, err)
	got := run(t, cfg, 7)
	want := refAdamW([]float64{1, -2, 0.5}, 3, 0.1, cfg, 7)
	assert.InDeltaSlice(t, want, got, 1e-12)
	assert.NotEqual(t, 1.0, got[0], "the weights moved")
}

// weight_decay and momentum -1 mean none: the -1 stays in the effective
// configuration (0 there would read as the default again, in the
// optimizer and in a saved config.json) and the updates use 0.
func TestNoneSentinels(t *testing.T) {
	cfg, err := Config{WeightDecay: -1}.WithDefaults()
	require.NoError(t, err)
	assert.Equal(t, -1.0, cfg.WeightDecay)
	again, err := cfg.WithDefaults()
	require.NoError(t, err)
	assert.Equal(t, cfg, again, "idempotent")
	ref := cfg
	ref.WeightDecay = 0
	assert.InDeltaSlice(t, refAdamW([]float64{1, -2, 0.5}, 3, 0.1, ref, 7), run(t, cfg, 7), 1e-12)

	cfg, err = Config{Name: SGD, WeightDecay: -1, Momentum: -1}.WithDefaults()
	require.NoError(t, err)
	assert.Equal(t, -1.0, cfg.Momentum)
	ref = cfg
	ref.WeightDecay, ref.Momentum = 0, 0
	assert.InDeltaSlice(t, refSGD([]float64{1, -2, 0.5}, 3, 0.1, ref, 5), run(t, cfg, 5), 1e-12)
	plain, err := Config{Name: SGD, WeightDecay: -1}.WithDefaults()
	require.NoError(t, err)
	assert.NotEqual(t, run(t, plain, 5), run(t, cfg, 5), "momentum -1 is not the default 0.9")
}

func TestSGDMatchesReference(t *testing.T) {
	cfg, err := Config{Name: "sgd", WeightDecay: 0.01}.WithDefaults()
	require.NoError(t, err)
	got := run(t, cfg, 5)
	want := refSGD([]float64{1, -2, 0.5}, 3, 0.1, cfg, 5)
	assert.InDeltaSlice(t, want, got, 1e-12)
}

// Saving after k steps and continuing in a fresh optimizer gives the same
// weights as never stopping: the point of this package.
func TestSaveLoadContinuesExactly(t *testing.T) {
	for _, name := range []Algorithm{AdamW, SGD} {
		t.Run(string(name), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "optim.pt")
			var straight, resumed []float64
			require.NoError(t, engine.Run(func() error {
				vs, w := quadratic(t, []float64{1, -2, 0.5})
				o, err := New(Config{Name: name}, vs)
				require.NoError(t, err)
				for i := 0; i < 6; i++ {
					require.NoError(t, o.ZeroGrad())
					lossStep(t, w, 3)
					require.NoError(t, o.Step(0.05))
					if i == 2 {
						require.NoError(t, o.Save(path))
						require.NoError(t, aten.SaveStore(vs, path+".w"))
					}
				}
				straight = values(t, w)

				vs2, w2 := quadratic(t, []float64{9, 9, 9})
				require.NoError(t, vs2.Load(path+".w")) // gotch's loader reads our format too
				o2, err := New(Config{Name: name}, vs2)
				require.NoError(t, err)
				require.NoError(t, o2.Load(path))
				assert.Equal(t, int64(3), o2.Steps())
				for i := 3; i < 6; i++ {
					require.NoError(t, o2.ZeroGrad())
					lossStep(t, w2, 3)
					require.NoError(t, o2.Step(0.05))
				}
				resumed = values(t, w2)
				return nil
			}))
			assert.Equal(t, straight, resumed)
		})
	}
}

func TestConfigAndLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Name: "lbfgs"}, `optim: name "lbfgs": want "adamw" or "sgd"`},
		{Config{Beta1: 1.5}, "optim: beta1 1.5: must lie in (0, 1)"},
		{Config{Beta2: -0.1}, "optim: beta2 -0.1: must lie in (0, 1)"},
		{Config{Eps: -1}, "optim: eps -1: must be a finite number > 0"},
		{Config{Momentum: 1}, "optim: momentum 1: must be < 1 (-1 = none)"},
		{Config{WeightDecay: math.Inf(1)}, "optim: weight_decay +Inf: must be finite (-1 = none)"},
	} {
		_, err := tc.cfg.WithDefaults()
		assert.EqualError(t, err, tc.want)
	}
	c, err := Config{Name: "SGD"}.WithDefaults()
	require.NoError(t, err)
	assert.Equal(t, SGD, c.Name, "names are read without regard to case")
	require.NoError(t, engine.Run(func() error {
		vs, _ := quadratic(t, []float64{1})
		o, err := New(Config{}, vs)
		require.NoError(t, err)
		assert.ErrorContains(t, o.Step(math.NaN()), "learning rate")
		// A weights file is not an optimizer state.
		p := filepath.Join(t.TempDir(), "w.pt")
		require.NoError(t, aten.SaveStore(vs, p))
		assert.ErrorContains(t, o.Load(p), "not an optimizer state file")
		return nil
	}))
}

func TestScaleGradsUnscalesAndSpotsOverflow(t *testing.T) {
	require.NoError(t, engine.Run(func() error {
		vs, w := quadratic(t, []float64{1, -2, 0.5})
		o, err := New(Config{}, vs)
		require.NoError(t, err)
		finite, err := o.ScaleGrads(0.5)
		require.NoError(t, err)
		assert.True(t, finite, "no gradient yet: nothing overflowed")
		lossStep(t, w, 3) // g = 3w
		finite, err = o.ScaleGrads(0.5)
		require.NoError(t, err)
		assert.True(t, finite)
		s := aten.NewScope()
		defer s.Close()
		assert.Equal(t, []float64{1.5, -3, 0.75}, s.Float64s(s.Grad(w)))
		finite, err = o.ScaleGrads(math.Inf(1))
		require.NoError(t, err)
		assert.False(t, finite, "an infinite gradient is an overflow")
		return s.Err()
	}))
}
