package dskd

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
	"github.com/angioseg/dskd/optim"
)

// The CUDA tests run where DSKD_TEST_DEVICE names a CUDA device (make
// gpu-check sets it on a GPU host); there a missing GPU is a failure.
// Elsewhere they are skipped, and TestCUDARefusedWithoutCUDA checks the
// error a CPU-only host gives.
func cudaDevice(t *testing.T) gotch.Device {
	t.Helper()
	want := os.Getenv("DSKD_TEST_DEVICE")
	if !strings.HasPrefix(want, "cuda") {
		t.Skip("CUDA test: set DSKD_TEST_DEVICE=cuda on a GPU host (make gpu-check does)")
	}
	var d gotch.Device
	require.NoError(t, engine.Run(func() error {
		var err error
		d, err = engine.ParseDevice(want)
		return err
	}), "DSKD_TEST_DEVICE=%s", want)
	return d
}

func TestCUDARefusedWithoutCUDA(t *testing.T) {
	if engine.CUDAAvailable() {
		t.Skip("this host has CUDA")
	}
	split := syntheticSplit(t, 8, 48)
	cfg := tinyConfig(t, 1)
	cfg.Device = "cuda"
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	assert.ErrorContains(t, err, "CUDA is not available")
}

// relClose asserts every element of got is within rel of want (relative
// to the largest magnitude of want, so near-zero elements are not judged
// on their own scale).
func relClose(t *testing.T, want, got []float64, rel float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	scale := largestMagnitude(want, 1e-12)
	worst := 0.0
	for i := range want {
		worst = math.Max(worst, math.Abs(want[i]-got[i])/scale)
	}
	assert.LessOrEqual(t, worst, rel, "%s: largest difference %.3g of the largest magnitude", what, worst)
}

// largestMagnitude is max |x| over xs, at least floor.
func largestMagnitude(xs []float64, floor float64) float64 {
	for _, v := range xs {
		floor = math.Max(floor, math.Abs(v))
	}
	return floor
}

// adamStepClose asserts the weights after one AdamW step agree like
// relClose, except where the gradient is within gradTol (relative) of zero:
// the first AdamW step moves every weight by about lr·sign(gradient), so a
// gradient that rounds to either side of zero may move its weight by up to
// 2·lr in opposite directions on the two devices.
func adamStepClose(t *testing.T, want, got, grad []float64, lr, gradTol, rel float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	require.Len(t, grad, len(want), what)
	scale, gScale := largestMagnitude(want, 1e-12), largestMagnitude(grad, 1e-30)
	worst, ambiguous := 0.0, 0
	for i := range want {
		d := math.Abs(want[i] - got[i])
		if math.Abs(grad[i]) <= gradTol*gScale {
			ambiguous++
			assert.LessOrEqual(t, d, 2*lr*1.001+rel*scale, "%s[%d]: gradient %.3g is near zero", what, i, grad[i])
			continue
		}
		worst = math.Max(worst, d/scale)
	}
	assert.LessOrEqual(t, worst, rel, "%s: largest difference %.3g of the largest magnitude", what, worst)
	assert.LessOrEqual(t, ambiguous, len(want)/10+1, "%s: near-zero gradients", what)
}

// TestCUDAParityForwardLossGradients: the same U-Net and DSKD objective on
// the CPU and on CUDA, fp32 (TF32 off): the forward outputs, the loss and
// every parameter gradient after one backward agree to 1e-4 (relative), and
// so do the weights after one AdamW step (see adamStepClose).
func TestCUDAParityForwardLossGradients(t *testing.T) {
	dev := cudaDevice(t)
	require.NoError(t, engine.Run(func() error {
		tf32 := aten.TF32()
		aten.SetTF32(false)
		defer aten.SetTF32(tf32)
		const lr = 1e-3
		engine.ManualSeed(5)
		cfg := models.UNetConfig{Depth: 3, Base: 8, MemoryFormat: models.MemoryContiguous}
		obj, err := losses.NewObjective(losses.Config{})
		require.NoError(t, err)
		type side struct {
			student, teacher *models.UNet
			opt              *optim.Optimizer
		}
		build := func(d gotch.Device) side {
			st, err := models.New(cfg, d)
			require.NoError(t, err)
			te, err := models.New(cfg, d)
			require.NoError(t, err)
			o, err := optim.New(optim.Config{}, st.VarStore())
			require.NoError(t, err)
			return side{st, te, o}
		}
		cpu, gpu := build(gotch.CPU), build(dev)
		require.NoError(t, models.CopyVarStore(cpu.teacher.VarStore(), cpu.student.VarStore()))
		for _, m := range []*models.UNet{gpu.student, gpu.teacher} {
			require.NoError(t, models.CopyVarStore(m.VarStore(), cpu.student.VarStore()))
		}
		s := aten.NewScope()
		defer s.Close()
		x := s.Randn([]int64{2, 1, 48, 40}, gotch.Float, gotch.CPU)
		y := s.ToDType(s.Lt(s.Rand([]int64{2, 1, 48, 40}, gotch.Float, gotch.CPU), 0.15), gotch.Float)
		require.NoError(t, s.Err())
		run := func(sd side, d gotch.Device) (outs [][]float64, loss float64, grads map[string][]float64, weights map[string][]float64) {
			xd, yd := s.ToDevice(x, d), s.ToDevice(y, d)
			var tOut *models.Output
			require.NoError(t, engine.NoGrad(func() error {
				var err error
				tOut, err = sd.teacher.Forward(xd, false)
				return err
			}))
			defer tOut.Free()
			out, err := sd.student.Forward(xd, true)
			require.NoError(t, err)
			defer out.Free()
			for _, h := range out.Hierarchy {
				outs = append(outs, s.Float64s(h))
			}
			l, bd, err := obj.Compute(out, tOut, yd, 5, 10)
			require.NoError(t, err)
			require.NoError(t, losses.Backward(l))
			l.Free()
			grads, weights = map[string][]float64{}, map[string][]float64{}
			for _, v := range aten.Vars(sd.student.VarStore()) {
				if v.Trainable {
					grads[v.Name] = s.Float64s(s.Grad(v.T))
				}
			}
			require.NoError(t, sd.opt.Step(lr))
			for _, v := range aten.Vars(sd.student.VarStore()) {
				weights[v.Name] = s.Float64s(v.T)
			}
			require.NoError(t, s.Err())
			return outs, bd.Total, grads, weights
		}
		co, cl, cg, cw := run(cpu, gotch.CPU)
		go_, gl, gg, gw := run(gpu, dev)
		for i := range co {
			relClose(t, co[i], go_[i], 1e-4, "forward output "+string(rune('0'+i)))
		}
		assert.InDelta(t, cl, gl, 1e-4*math.Abs(cl), "DSKD loss")
		for name, g := range cg {
			relClose(t, g, gg[name], 1e-4, "gradient of "+name)
		}
		for name, w := range cw {
			if g, ok := cg[name]; ok {
				adamStepClose(t, w, gw[name], g, lr, 1e-4, 1e-4, "weights after one AdamW step: "+name)
			} else {
				relClose(t, w, gw[name], 1e-4, "buffer after one step: "+name)
			}
		}
		return nil
	}))
}

// TestCUDAInitMatchesCPU: a seed gives the same initial weights on the
// CPU and on CUDA (they are drawn from the CPU generator), so a run's
// start does not depend on the device.
func TestCUDAInitMatchesCPU(t *testing.T) {
	dev := cudaDevice(t)
	require.NoError(t, engine.Run(func() error {
		cfg := models.UNetConfig{Depth: 2, Base: 4, Init: models.InitPyTorch}
		weights := func(d gotch.Device) map[string][]float64 {
			engine.ManualSeed(11)
			m, err := models.New(cfg, d)
			require.NoError(t, err)
			s := aten.NewScope()
			defer s.Close()
			out := map[string][]float64{}
			for _, v := range aten.Vars(m.VarStore()) {
				out[v.Name] = s.Float64s(v.T)
			}
			require.NoError(t, s.Err())
			return out
		}
		onCPU, onCUDA := weights(gotch.CPU), weights(dev)
		require.Len(t, onCUDA, len(onCPU))
		for name, w := range onCPU {
			assert.Equal(t, w, onCUDA[name], name)
		}
		return nil
	}))
}

// TestCUDACheckpointPredictsOnCPU: a run trained on CUDA leaves a
// checkpoint that a CPU predictor loads and predicts with.
func TestCUDACheckpointPredictsOnCPU(t *testing.T) {
	dev := cudaDevice(t)
	split := syntheticSplit(t, 10, 48)
	cfg := tinyConfig(t, 2)
	cfg.Device = engine.DeviceName(dev)
	res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	p, err := LoadPredictor(res.RunDir, PredictOptions{Device: "cpu", Threads: 2})
	require.NoError(t, err)
	defer p.Close()
	out, err := p.PredictFile(split.Test[0].ImagePath, filepath.Join(t.TempDir(), "pred"))
	require.NoError(t, err)
	assert.FileExists(t, out.Mask)
	cpuScores, err := p.Evaluate(split.Test, false)
	require.NoError(t, err)
	d, _ := cpuScores.Get("dice")
	td, _ := res.Test.Get("dice")
	assert.InDelta(t, td.Pooled, d.Pooled, 0.02, "the CPU predictor scores the test split like the CUDA run did")
}
