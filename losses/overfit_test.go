package losses_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
	"github.com/angioseg/dskd/optim"
)

// vessel draws a synthetic angiogram of size n x n: a dark, curved vessel
// with a branch on a brighter noisy background, and its mask.
func vessel(n int) (img, mask []float32) {
	img = make([]float32, n*n)
	mask = make([]float32, n*n)
	seed := uint32(12345)
	noise := func() float32 {
		seed = seed*1664525 + 1013904223
		return float32(seed>>8)/float32(1<<24) - 0.5
	}
	on := func(x, y, cx, cy, r float64) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r }
	for t := 0.0; t <= 1; t += 0.002 {
		// main vessel: a sine curve from left to right
		cx := t * float64(n-1)
		cy := float64(n)/2 + float64(n)/4*math.Sin(2*math.Pi*t)
		// branch: from the middle downwards
		bx := float64(n)/2 + t*float64(n)/3
		by := float64(n)/2 + t*float64(n)/2.5
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				if on(float64(x), float64(y), cx, cy, 1.6) || (t < 0.9 && on(float64(x), float64(y), bx, by, 1.1)) {
					mask[y*n+x] = 1
				}
			}
		}
	}
	for i := range img {
		img[i] = 0.8 - 0.9*mask[i] + 0.15*noise()
	}
	return img, mask
}

func hardDice(logits []float32, mask []float32) float64 {
	var tp, fp, fn float64
	for i, v := range logits {
		p := v > 0
		switch {
		case p && mask[i] == 1:
			tp++
		case p:
			fp++
		case mask[i] == 1:
			fn++
		}
	}
	return 2 * tp / (2*tp + fp + fn)
}

// TestOverfitDSKD trains a tiny U-Net on one synthetic image with the full
// DSKD objective; the teacher is a second model refreshed with
// CopyVarStore at every "epoch" boundary, as the trainer does.
func TestOverfitDSKD(t *testing.T) {
	const (
		n         = 48
		steps     = 240
		perEpoch  = 20
		numEpochs = steps / perEpoch
		lr        = 1e-2
	)
	err := engine.Run(func() error {
		engine.SetThreads(0)
		engine.ManualSeed(1)
		cfg := models.UNetConfig{Depth: 3, Base: 8}
		student, err := models.New(cfg, gotch.CPU)
		if err != nil {
			return err
		}
		teacher, err := models.New(cfg, gotch.CPU)
		if err != nil {
			return err
		}
		obj, err := losses.NewObjective(losses.Config{}) // full DSKD, defaults
		if err != nil {
			return err
		}
		// AdamW with betas (0.9, 0.999) and weight decay 0.01 (PyTorch's
		// and gotch's AdamW defaults).
		opt, err := optim.New(optim.Config{WeightDecay: 0.01}, student.VarStore())
		if err != nil {
			return err
		}
		defer opt.Free()
		imgData, maskData := vessel(n)
		x, err := models.Input(imgData, []int64{1, 1, n, n}, gotch.CPU)
		if err != nil {
			return err
		}
		defer x.Free()
		y, err := models.Input(maskData, []int64{1, 1, n, n}, gotch.CPU)
		if err != nil {
			return err
		}
		defer y.Free()
		var last losses.Breakdown
		sawDistill := false
		for step := 0; step < steps; step++ {
			epoch := step / perEpoch
			if step%perEpoch == 0 && epoch > 0 {
				if err := models.CopyVarStore(teacher.VarStore(), student.VarStore()); err != nil {
					return err
				}
			}
			bd, err := trainStep(student, teacher, obj, opt, x, y, epoch, numEpochs, lr)
			if err != nil {
				return err
			}
			require.Falsef(t, math.IsNaN(bd.Total), "step %d: loss is NaN: %+v", step, bd)
			if ddl, _ := bd.Get(losses.TermDDL); ddl > 0 && bd.Alpha > 0 {
				sawDistill = true
			}
			last = bd
		}
		assert.True(t, sawDistill, "the distillation terms never became active")
		return engine.NoGrad(func() error {
			out, err := student.Forward(x, false)
			if err != nil {
				return err
			}
			defer out.Free()
			logits, err := models.Values(out.Main)
			if err != nil {
				return err
			}
			d := hardDice(logits, maskData)
			t.Logf("final breakdown %+v, eval Dice %.4f", last, d)
			assert.GreaterOrEqualf(t, d, 0.9, "eval-mode Dice %.4f after %d steps, want >= 0.9", d, steps)
			return nil
		})
	})
	require.NoError(t, err)
}

// trainStep is one step of the trainer: the teacher's eval-mode forward
// without gradients (from epoch 1), the student's, the objective, AdamW.
func trainStep(student, teacher models.Model, obj *losses.Objective, opt *optim.Optimizer, x, y *losses.Tensor, epoch, numEpochs int, lr float64) (losses.Breakdown, error) {
	var tOut *models.Output
	if epoch > 0 {
		if err := engine.NoGrad(func() error {
			var err error
			tOut, err = teacher.Forward(x, false)
			return err
		}); err != nil {
			return losses.Breakdown{}, err
		}
		defer tOut.Free()
	}
	sOut, err := student.Forward(x, true)
	if err != nil {
		return losses.Breakdown{}, err
	}
	defer sOut.Free()
	loss, bd, err := obj.Compute(sOut, tOut, y, epoch, numEpochs)
	if err != nil {
		return losses.Breakdown{}, err
	}
	defer loss.Free()
	if err := opt.ZeroGrad(); err != nil {
		return losses.Breakdown{}, err
	}
	if err := losses.Backward(loss); err != nil {
		return losses.Breakdown{}, err
	}
	return bd, opt.Step(lr)
}
