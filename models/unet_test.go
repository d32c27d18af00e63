package models

import (
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/angioseg/dskd/engine"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// run executes fn on a locked OS thread with all cores and a fixed seed.
func run(t *testing.T, fn func() error) {
	t.Helper()
	if err := engine.Run(func() error {
		engine.SetThreads(0)
		engine.ManualSeed(7)
		return fn()
	}); err != nil {
		t.Fatal(err)
	}
}

func randInput(t *testing.T, shape []int64) *ts.Tensor {
	t.Helper()
	x, err := ts.Randn(shape, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestConfigDefaults(t *testing.T) {
	c, err := UNetConfig{}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := UNetConfig{Depth: 4, Base: 32, InChannels: 1, Upsample: UpsampleBilinear, BNMomentum: 0.1, BNEps: 1e-5}
	if c != want {
		t.Fatalf("defaults %+v, want %+v", c, want)
	}
	for _, bad := range []UNetConfig{{Depth: -1}, {Depth: 9}, {Base: -2}, {InChannels: -1}, {Upsample: "nearest"}, {BNMomentum: 2}, {BNEps: -1}} {
		if _, err := bad.WithDefaults(); err == nil || !strings.HasPrefix(err.Error(), "models: ") {
			t.Errorf("config %+v: got error %v, want a models: error", bad, err)
		}
	}
}

func TestShapes(t *testing.T) {
	run(t, func() error {
		for _, up := range []string{UpsampleBilinear, UpsampleTranspose} {
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
					x := randInput(t, []int64{2, 1, hw[0], hw[1]})
					err := engine.NoGrad(func() error {
						out, err := m.Forward(x, false)
						if err != nil {
							return err
						}
						defer out.Drop()
						if len(out.Hierarchy) != depth || m.Depth() != depth {
							t.Errorf("%s depth %d: %d hierarchical outputs", up, depth, len(out.Hierarchy))
						}
						if out.Main != out.Hierarchy[depth-1] {
							t.Errorf("Main does not alias the last hierarchical output")
						}
						for i, o := range out.Hierarchy {
							s := o.MustSize()
							if len(s) != 4 || s[0] != 2 || s[1] != 1 || s[2] != hw[0] || s[3] != hw[1] {
								t.Errorf("%s depth %d input %v: output %d has shape %v", up, depth, hw, i, s)
							}
						}
						return nil
					})
					x.MustDrop()
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

func TestBatchNormStatsInVarStore(t *testing.T) {
	run(t, func() error {
		m, err := New(UNetConfig{Depth: 2, Base: 4}, gotch.CPU)
		if err != nil {
			return err
		}
		vars := m.VarStore().Variables()
		for _, name := range []string{"enc0.bn1.running_mean", "enc0.bn1.running_var", "dec1.bn2.running_mean", "dec0.side.weight", "head.weight", "head.bias"} {
			if _, ok := vars[name]; !ok {
				t.Errorf("VarStore lacks %q", name)
			}
		}
		// Parameters: enc0 1->4, enc1 4->8, enc2 8->16 (two 3x3 convs + BN each),
		// dec0: up 16->8 (3x3+bias), dc 16->8, side 8->1 (3x3+bias); dec1: up 8->4, dc 8->4; head 4->1.
		dc := func(in, out int64) int64 { return in*out*9 + out*out*9 + 4*out }
		want := dc(1, 4) + dc(4, 8) + dc(8, 16) +
			(16*8*9 + 8) + dc(16, 8) + (8*9 + 1) +
			(8*4*9 + 4) + dc(8, 4) + (4 + 1)
		if got := m.NumParameters(); got != want {
			t.Errorf("NumParameters %d, want %d", got, want)
		}
		return nil
	})
}

func TestInvalidInputs(t *testing.T) {
	run(t, func() error {
		m, err := New(UNetConfig{Depth: 2, Base: 2}, gotch.CPU)
		if err != nil {
			return err
		}
		cases := map[string]*ts.Tensor{
			"nil":      nil,
			"rank3":    randInput(t, []int64{1, 8, 8}),
			"channels": randInput(t, []int64{1, 3, 8, 8}),
			"empty":    randInput(t, []int64{0, 1, 8, 8}),
			"emptyimg": randInput(t, []int64{1, 1, 0, 8}),
			"int":      ts.MustOnes([]int64{1, 1, 8, 8}, gotch.Int64, gotch.CPU),
			"double":   ts.MustOnes([]int64{1, 1, 8, 8}, gotch.Double, gotch.CPU),
		}
		for name, x := range cases {
			out, err := m.Forward(x, false)
			if err == nil {
				out.Drop()
				t.Errorf("%s: no error", name)
			} else if !strings.HasPrefix(err.Error(), "models: ") {
				t.Errorf("%s: error %q lacks the package prefix", name, err)
			}
		}
		return nil
	})
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.ot")
	run(t, func() error {
		cfg := UNetConfig{Depth: 2, Base: 4, Upsample: UpsampleTranspose}
		a, err := New(cfg, gotch.CPU)
		if err != nil {
			return err
		}
		x := randInput(t, []int64{2, 1, 20, 12})
		// A training-mode pass moves the BN running statistics off their init.
		o, err := a.Forward(x, true)
		if err != nil {
			return err
		}
		o.Drop()
		if err := a.Save(path); err != nil {
			return err
		}
		b, err := New(cfg, gotch.CPU) // different random init
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
			defer oa.Drop()
			ob, err := b.Forward(x, false)
			if err != nil {
				return err
			}
			defer ob.Drop()
			for i := range oa.Hierarchy {
				va, vb := oa.Hierarchy[i].Float64Values(), ob.Hierarchy[i].Float64Values()
				for j := range va {
					if va[j] != vb[j] {
						t.Fatalf("output %d element %d: %v before save, %v after load", i, j, va[j], vb[j])
					}
				}
			}
			// A model of another shape must refuse the file and stay intact.
			c, err := New(UNetConfig{Depth: 2, Base: 8}, gotch.CPU)
			if err != nil {
				return err
			}
			if err := c.Load(path); err == nil || !strings.HasPrefix(err.Error(), "models: ") {
				t.Errorf("loading into a wider model: error %v", err)
			}
			if err := b.Load(filepath.Join(dir, "missing.ot")); err == nil {
				t.Errorf("loading a missing file: no error")
			}
			return nil
		})
	})
}

func TestCopyVarStoreKeepsGradMode(t *testing.T) {
	run(t, func() error {
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
			if engine.GradEnabled() {
				t.Errorf("CopyVarStore turned gradients back on")
			}
			return nil
		})
		if err != nil {
			return err
		}
		av, bv := a.VarStore().Variables(), b.VarStore().Variables()
		for k, v := range av {
			w := bv[k]
			x, y := v.Float64Values(), w.Float64Values()
			for i := range x {
				if math.Abs(x[i]-y[i]) != 0 {
					t.Fatalf("%s differs after copy", k)
				}
			}
		}
		// Variables() hands out copies without finalizers: the models must
		// stay reachable while they are read.
		runtime.KeepAlive(a)
		runtime.KeepAlive(b)
		return nil
	})
}
