package losses_test

import (
	"math"
	"testing"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
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

func hardDice(logits *ts.Tensor, mask []float32) float64 {
	var tp, fp, fn float64
	for i, v := range logits.Float64Values() {
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
		opt, err := nn.DefaultAdamWConfig().Build(student.VarStore(), 1e-2)
		if err != nil {
			return err
		}
		imgData, maskData := vessel(n)
		x := ts.MustOfSlice(imgData).MustView([]int64{1, 1, n, n}, true)
		y := ts.MustOfSlice(maskData).MustView([]int64{1, 1, n, n}, true)
		var last losses.Breakdown
		sawDistill := false
		for step := 0; step < steps; step++ {
			epoch := step / perEpoch
			if step%perEpoch == 0 && epoch > 0 {
				if err := models.CopyVarStore(teacher.VarStore(), student.VarStore()); err != nil {
					return err
				}
			}
			var tOut *models.Output
			if epoch > 0 {
				if err := engine.NoGrad(func() error {
					var err error
					tOut, err = teacher.Forward(x, false)
					return err
				}); err != nil {
					return err
				}
			}
			sOut, err := student.Forward(x, true)
			if err != nil {
				return err
			}
			loss, bd, err := obj.Compute(sOut, tOut, y, epoch, numEpochs)
			if err != nil {
				return err
			}
			if err := opt.ZeroGrad(); err != nil {
				return err
			}
			if err := loss.Backward(); err != nil {
				return err
			}
			if err := opt.Step(); err != nil {
				return err
			}
			loss.MustDrop()
			sOut.Drop()
			tOut.Drop()
			if math.IsNaN(bd.Total) {
				t.Fatalf("step %d: loss is NaN: %+v", step, bd)
			}
			if bd.DDL > 0 && bd.Alpha > 0 {
				sawDistill = true
			}
			last = bd
		}
		if !sawDistill {
			t.Errorf("the distillation terms never became active")
		}
		return engine.NoGrad(func() error {
			out, err := student.Forward(x, false)
			if err != nil {
				return err
			}
			defer out.Drop()
			d := hardDice(out.Main, maskData)
			t.Logf("final breakdown %+v, eval Dice %.4f", last, d)
			if d < 0.9 {
				t.Errorf("eval-mode Dice %.4f after %d steps, want > 0.9", d, steps)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
