package dskd

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
)

// TestBF16StepNearFP32: one DSKD objective evaluation (student in training
// mode, teacher in eval mode, every term live at epoch 5 of 10) under bf16
// autocast gives a loss within 2 % of the float32 one, on the same weights
// and batch, and the outputs the loss reads are float32.
func TestBF16StepNearFP32(t *testing.T) {
	require.NoError(t, engine.Run(func() error {
		engine.SetThreads(2)
		engine.ManualSeed(3)
		cfg := models.UNetConfig{Depth: 3, Base: 8}
		student, err := models.New(cfg, gotch.CPU)
		if err != nil {
			return err
		}
		teacher, err := models.New(cfg, gotch.CPU)
		if err != nil {
			return err
		}
		obj, err := losses.NewObjective(losses.Config{})
		if err != nil {
			return err
		}
		s := aten.NewScope()
		defer s.Close()
		x := s.Randn([]int64{2, 1, 64, 64}, gotch.Float, gotch.CPU)
		y := s.ToDType(s.Lt(s.Rand([]int64{2, 1, 64, 64}, gotch.Float, gotch.CPU), 0.1), gotch.Float)
		require.NoError(t, s.Err())
		loss := func(precision Precision) float64 {
			var tOut *models.Output
			require.NoError(t, engine.NoGrad(func() error {
				var err error
				tOut, err = forward(teacher, gotch.CPU, precision, x, false)
				return err
			}))
			defer tOut.Free()
			// Eval mode for the student too: training mode would move the
			// BatchNorm statistics between the two evaluations.
			out, err := forward(student, gotch.CPU, precision, x, false)
			require.NoError(t, err)
			defer out.Free()
			for _, h := range out.Hierarchy {
				assert.Equal(t, gotch.Float, h.DType(), "%s: the loss reads float32 outputs", precision)
			}
			l, bd, err := obj.Compute(out, tOut, y, 5, 10)
			require.NoError(t, err)
			l.Free()
			return bd.Total
		}
		full, half := loss(PrecisionFP32), loss(PrecisionBF16)
		t.Logf("DSKD loss fp32 %.6f, bf16 %.6f", full, half)
		assert.Greater(t, full, 0.1)
		assert.InDelta(t, full, half, 0.02*full, "bf16 loss within 2 %% of fp32")
		assert.NotEqual(t, full, half, "bf16 really ran (the results differ by rounding)")
		return nil
	}))
}

// TestBF16TrainingConverges: a short bf16 run on generated angiograms
// learns like a float32 one.
func TestBF16TrainingConverges(t *testing.T) {
	split := syntheticSplit(t, 16, 64)
	cfg := tinyConfig(t, 6)
	cfg.Precision = PrecisionBF16
	res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	first := res.History[0].ValDice
	t.Logf("bf16 validation Dice per epoch: %v", diceCurve(res))
	assert.Greater(t, res.BestScore, first+0.05, "validation Dice must rise over epoch 0")
	for _, h := range res.History {
		assert.False(t, math.IsNaN(h.TrainLoss), "epoch %d loss", h.Epoch)
	}
}

func TestFP16NeedsCUDA(t *testing.T) {
	split := syntheticSplit(t, 8, 48)
	cfg := tinyConfig(t, 1)
	cfg.Precision = PrecisionFP16
	cfg.Device = "cpu"
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	assert.ErrorContains(t, err, "precision fp16 needs a CUDA device")
	cfg.Precision = "int8"
	_, err = Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	assert.ErrorContains(t, err, `precision "int8"`)
}

func TestGradScalerSchedule(t *testing.T) {
	g := newGradScaler()
	assert.Equal(t, 65536.0, g.Scale)
	g.update(false)
	assert.Equal(t, 32768.0, g.Scale, "an overflow halves the scale")
	for i := 0; i < scalerInterval-1; i++ {
		g.update(true)
	}
	assert.Equal(t, 32768.0, g.Scale)
	g.update(true)
	assert.Equal(t, 65536.0, g.Scale, "2000 good steps double it")
	assert.Equal(t, 0, g.GoodSteps)
}
