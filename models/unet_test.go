package models

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
)

// run executes fn on a locked OS thread with all cores and a fixed seed,
// with a Scope for the test's own tensors.
func run(t *testing.T, fn func(s *aten.Scope) error) {
	t.Helper()
	require.NoError(t, engine.Run(func() error {
		engine.SetThreads(0)
		engine.ManualSeed(7)
		s := aten.NewScope()
		defer s.Close()
		if err := fn(s); err != nil {
			return err
		}
		return s.Err()
	}))
}

func values(t *testing.T, s *aten.Scope, x *aten.Tensor) []float64 {
	t.Helper()
	v := s.Float64s(x)
	require.NoError(t, s.Err())
	return v
}

func TestConfigDefaults(t *testing.T) {
	c, err := UNetConfig{}.WithDefaults()
	require.NoError(t, err)
	want := UNetConfig{Depth: 4, Base: 32, InChannels: 1, Upsample: UpsampleBilinear, BNMomentum: 0.1, BNEps: 1e-5, Init: InitKaiming, MemoryFormat: MemoryAuto}
	assert.Equal(t, want, c)
	for _, bad := range []UNetConfig{{Depth: -1}, {Depth: 9}, {Base: -2}, {InChannels: -1}, {Upsample: "nearest"}, {BNMomentum: 2}, {BNEps: -1}, {MemoryFormat: "nhwc"}} {
		_, err := bad.WithDefaults()
		if assert.Error(t, err, "config %+v", bad) {
			assert.True(t, strings.HasPrefix(err.Error(), "models: "), "config %+v: error %q lacks the package prefix", bad, err)
		}
	}
}

func TestShapes(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		for _, up := range []Upsample{UpsampleBilinear, UpsampleTranspose} {
			for _, depth := range []int{2, 4} {
				m, err := New(UNetConfig{Depth: depth, Base: 2, Upsample: up}, gotch.CPU)
				if err != nil {
					return err
				}
				sizes := [][2]int64{{300, 300}, {512, 512}, {37, 53}, {7, 5}, {1, 1}, {3, 17}}
				if depth == 2 {
					sizes = [][2]int64{{300, 300}, {33, 31}, {2, 2}}
				}
				for _, hw := range sizes {
					x := s.Randn([]int64{2, 1, hw[0], hw[1]}, gotch.Float, gotch.CPU)
					err := engine.NoGrad(func() error {
						out, err := m.Forward(x, false)
						if err != nil {
							return err
						}
						defer out.Free()
						assert.Len(t, out.Hierarchy, depth, "%s depth %d", up, depth)
						assert.Equal(t, depth, m.Depth())
						assert.Same(t, out.Hierarchy[depth-1], out.Main, "Main aliases the last hierarchical output")
						for i, o := range out.Hierarchy {
							assert.Equal(t, []int64{2, 1, hw[0], hw[1]}, o.Shape(), "%s depth %d input %v output %d", up, depth, hw, i)
						}
						return nil
					})
					s.Free(x)
					if err != nil {
						return err
					}
				}
				m.VarStore().Destroy()
			}
		}
		return nil
	})
}

// TestMemoryFormatsAgree: channels-last and contiguous layouts compute the
// same network (float rounding apart), in training and eval mode, and the
// auto format is channels-last on the CPU.
func TestMemoryFormatsAgree(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		auto, err := New(UNetConfig{Depth: 2, Base: 4}, gotch.CPU)
		if err != nil {
			return err
		}
		assert.True(t, auto.ChannelsLast(), "auto is channels-last on the CPU")
		cl, err := New(UNetConfig{Depth: 2, Base: 4, MemoryFormat: MemoryChannelsLast}, gotch.CPU)
		if err != nil {
			return err
		}
		co, err := New(UNetConfig{Depth: 2, Base: 4, MemoryFormat: MemoryContiguous}, gotch.CPU)
		if err != nil {
			return err
		}
		assert.False(t, co.ChannelsLast())
		for _, v := range aten.Vars(cl.VarStore()) {
			if v.T.Dim() == 4 {
				assert.True(t, v.T.IsChannelsLast(), "%s is channels-last", v.Name)
			}
		}
		if err := CopyVarStore(co.VarStore(), cl.VarStore()); err != nil {
			return err
		}
		x := s.Randn([]int64{2, 1, 37, 29}, gotch.Float, gotch.CPU)
		for _, train := range []bool{true, false} {
			oc, err := cl.Forward(x, train)
			if err != nil {
				return err
			}
			oo, err := co.Forward(x, train)
			if err != nil {
				return err
			}
			for i := range oc.Hierarchy {
				a, b := values(t, s, oc.Hierarchy[i]), values(t, s, oo.Hierarchy[i])
				require.Len(t, b, len(a))
				for j := range a {
					require.InDelta(t, a[j], b[j], 1e-4*math.Max(1, math.Abs(a[j])), "train %v output %d element %d", train, i, j)
				}
			}
			oc.Free()
			oo.Free()
		}
		return nil
	})
}

func TestBatchNormStatsInVarStore(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		m, err := New(UNetConfig{Depth: 2, Base: 4}, gotch.CPU)
		if err != nil {
			return err
		}
		names := map[string]bool{}
		for _, v := range aten.Vars(m.VarStore()) {
			names[v.Name] = v.Trainable
		}
		for _, name := range []string{"enc0.bn1.running_mean", "enc0.bn1.running_var", "dec1.bn2.running_mean"} {
			trainable, ok := names[name]
			assert.True(t, ok, "VarStore lacks %q", name)
			assert.False(t, trainable, "%s is a buffer", name)
		}
		for _, name := range []string{"dec0.side.weight", "head.weight", "head.bias", "enc1.bn2.weight"} {
			trainable, ok := names[name]
			assert.True(t, ok, "VarStore lacks %q", name)
			assert.True(t, trainable, "%s is trainable", name)
		}
		// Parameters: enc0 1->4, enc1 4->8, enc2 8->16 (two 3x3 convs + BN each),
		// dec0: up 16->8 (3x3+bias), dc 16->8, side 8->1 (3x3+bias); dec1: up 8->4, dc 8->4; head 4->1.
		dc := func(in, out int64) int64 { return in*out*9 + out*out*9 + 4*out }
		want := dc(1, 4) + dc(4, 8) + dc(8, 16) +
			(16*8*9 + 8) + dc(16, 8) + (8*9 + 1) +
			(8*4*9 + 4) + dc(8, 4) + (4 + 1)
		assert.Equal(t, want, m.NumParameters())
		return nil
	})
}

func TestInvalidInputs(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		m, err := New(UNetConfig{Depth: 2, Base: 2}, gotch.CPU)
		if err != nil {
			return err
		}
		freed := s.Keep(s.Randn([]int64{1, 1, 8, 8}, gotch.Float, gotch.CPU))
		freed.Free()
		cases := map[string]*aten.Tensor{
			"nil":      nil,
			"freed":    freed,
			"rank3":    s.Randn([]int64{1, 8, 8}, gotch.Float, gotch.CPU),
			"channels": s.Randn([]int64{1, 3, 8, 8}, gotch.Float, gotch.CPU),
			"empty":    s.Randn([]int64{0, 1, 8, 8}, gotch.Float, gotch.CPU),
			"emptyimg": s.Randn([]int64{1, 1, 0, 8}, gotch.Float, gotch.CPU),
			"int":      s.Ones([]int64{1, 1, 8, 8}, gotch.Int64, gotch.CPU),
			"double":   s.Ones([]int64{1, 1, 8, 8}, gotch.Double, gotch.CPU),
		}
		for name, x := range cases {
			out, err := m.Forward(x, false)
			if assert.Error(t, err, name) {
				assert.True(t, strings.HasPrefix(err.Error(), "models: "), "%s: error %q lacks the package prefix", name, err)
			} else {
				out.Free()
			}
		}
		_, err = Input([]float32{1, 2, 3}, []int64{1, 1, 2, 2}, gotch.CPU)
		assert.ErrorContains(t, err, "3 values for shape [1 1 2 2]")
		return nil
	})
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.ot")
	run(t, func(s *aten.Scope) error {
		cfg := UNetConfig{Depth: 2, Base: 4, Upsample: UpsampleTranspose}
		a, err := New(cfg, gotch.CPU)
		if err != nil {
			return err
		}
		x := s.Randn([]int64{2, 1, 20, 12}, gotch.Float, gotch.CPU)
		// A training-mode pass moves the BN running statistics off their init.
		o, err := a.Forward(x, true)
		if err != nil {
			return err
		}
		o.Free()
		if err := a.Save(path); err != nil {
			return err
		}
		// A different random init, in the other memory format: loading
		// must give bit-identical outputs anyway.
		cfgB := cfg
		cfgB.MemoryFormat = MemoryContiguous
		b, err := New(cfgB, gotch.CPU)
		if err != nil {
			return err
		}
		if err := b.Load(path); err != nil {
			return err
		}
		return engine.NoGrad(func() error {
			oa, err := a.Forward(x, false)
			if err != nil {
				return err
			}
			defer oa.Free()
			cfgA := cfg
			cfgA.MemoryFormat = MemoryChannelsLast
			a2, err := New(cfgA, gotch.CPU)
			if err != nil {
				return err
			}
			if err := a2.Load(path); err != nil {
				return err
			}
			ob, err := a2.Forward(x, false)
			if err != nil {
				return err
			}
			defer ob.Free()
			for i := range oa.Hierarchy {
				assert.Equal(t, values(t, s, oa.Hierarchy[i]), values(t, s, ob.Hierarchy[i]), "output %d before save and after load", i)
			}
			va, vb := map[string][]float64{}, map[string][]float64{}
			for _, v := range aten.Vars(a.VarStore()) {
				va[v.Name] = values(t, s, v.T)
			}
			for _, v := range aten.Vars(b.VarStore()) {
				vb[v.Name] = values(t, s, v.T)
			}
			assert.Equal(t, va, vb, "a contiguous model loads a channels-last checkpoint exactly")
			// A model of another shape must refuse the file and stay intact.
			c, err := New(UNetConfig{Depth: 2, Base: 8}, gotch.CPU)
			if err != nil {
				return err
			}
			before := values(t, s, aten.Vars(c.VarStore())[0].T)
			err = c.Load(path)
			if assert.Error(t, err, "loading into a wider model") {
				assert.True(t, strings.HasPrefix(err.Error(), "models: "), "error %q", err)
			}
			assert.Equal(t, before, values(t, s, aten.Vars(c.VarStore())[0].T), "a refused load changes nothing")
			assert.Error(t, b.Load(filepath.Join(dir, "missing.ot")), "loading a missing file")
			return nil
		})
	})
}

func TestCopyVarStoreKeepsGradMode(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		a, err := New(UNetConfig{Depth: 1, Base: 2}, gotch.CPU)
		if err != nil {
			return err
		}
		b, err := New(UNetConfig{Depth: 1, Base: 2}, gotch.CPU)
		if err != nil {
			return err
		}
		err = engine.NoGrad(func() error {
			if err := CopyVarStore(b.VarStore(), a.VarStore()); err != nil {
				return err
			}
			assert.False(t, engine.GradEnabled(), "CopyVarStore turned gradients back on")
			return nil
		})
		if err != nil {
			return err
		}
		bv := map[string]*aten.Tensor{}
		for _, v := range aten.Vars(b.VarStore()) {
			bv[v.Name] = v.T
		}
		for _, v := range aten.Vars(a.VarStore()) {
			assert.Equal(t, values(t, s, v.T), values(t, s, bv[v.Name]), "%s after copy", v.Name)
		}
		return nil
	})
}

// TestBatchStatsMode: BatchStats normalises with the batch's statistics
// like Train (same outputs) but leaves the running statistics as they are;
// Train moves them.
func TestBatchStatsMode(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		m, err := New(UNetConfig{Depth: 2, Base: 4}, gotch.CPU)
		if err != nil {
			return err
		}
		stats := func() map[string][]float64 {
			out := map[string][]float64{}
			for _, v := range aten.Vars(m.VarStore()) {
				if strings.Contains(v.Name, "running_") {
					out[v.Name] = values(t, s, v.T)
				}
			}
			return out
		}
		x := s.Randn([]int64{2, 1, 16, 16}, gotch.Float, gotch.CPU)
		before := stats()
		ob, err := m.ForwardMode(x, BatchStats)
		if err != nil {
			return err
		}
		defer ob.Free()
		assert.Equal(t, before, stats(), "BatchStats leaves the running statistics alone")
		ot, err := m.ForwardMode(x, Train)
		if err != nil {
			return err
		}
		defer ot.Free()
		assert.NotEqual(t, before, stats(), "Train updates them")
		assert.Equal(t, values(t, s, ot.Main), values(t, s, ob.Main), "both normalise with the batch's statistics")
		_, err = m.ForwardMode(x, Mode(7))
		assert.ErrorContains(t, err, "forward mode 7")
		return nil
	})
}

// TestInitialisations: Kaiming normal weights have std √(2/fan_in) and
// zero biases; PyTorch's defaults draw both from U(±1/√fan_in).
func TestInitialisations(t *testing.T) {
	run(t, func(s *aten.Scope) error {
		stats := func(v []float64) (mean, std, maxAbs float64) {
			for _, x := range v {
				mean += x
				maxAbs = math.Max(maxAbs, math.Abs(x))
			}
			mean /= float64(len(v))
			for _, x := range v {
				std += (x - mean) * (x - mean)
			}
			return mean, math.Sqrt(std / float64(len(v))), maxAbs
		}
		for _, init := range []Init{InitKaiming, InitPyTorch} {
			m, err := New(UNetConfig{Depth: 2, Base: 16, Init: init}, gotch.CPU)
			if err != nil {
				return err
			}
			for _, v := range aten.Vars(m.VarStore()) {
				if v.Name != "enc1.conv2.weight" && v.Name != "dec0.up.bias" {
					continue
				}
				_, std, maxAbs := stats(values(t, s, v.T))
				fanIn := 32.0 * 9 // enc1.conv2: 32 -> 32, 3x3; dec0.up: 64 -> 32, 3x3 (fan-in 576)
				if v.Name == "dec0.up.bias" {
					fanIn = 64 * 9
				}
				bound := 1 / math.Sqrt(fanIn)
				switch {
				case init == InitKaiming && v.Name == "dec0.up.bias":
					assert.Zero(t, maxAbs, "kaiming: zero biases")
				case init == InitKaiming:
					assert.InDelta(t, math.Sqrt(2/fanIn), std, 0.1*math.Sqrt(2/fanIn), "kaiming std of %s", v.Name)
				default:
					assert.LessOrEqual(t, maxAbs, bound, "pytorch: %s within the bound", v.Name)
					if v.Name == "enc1.conv2.weight" { // 9216 draws: std of U(±b) is b/√3
						assert.InDelta(t, bound/math.Sqrt(3), std, 0.05*bound, "pytorch std of %s", v.Name)
					} else {
						assert.Greater(t, maxAbs, 0.0, "pytorch: non-zero biases")
					}
				}
			}
		}
		_, err := UNetConfig{Init: "xavier"}.WithDefaults()
		assert.ErrorContains(t, err, `Init "xavier"`)
		return nil
	})
}
