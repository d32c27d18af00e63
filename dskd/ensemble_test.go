package dskd

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/metrics"
)

// An ensemble of two checkpoints predicts the mean of their probabilities,
// scores that mean at the mean threshold, and an ensemble of one predicts
// exactly as its member.
func TestEnsembleAveragesMembers(t *testing.T) {
	split := syntheticSplit(t, 12, 48)
	cfg := tinyConfig(t, 2)
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	first := filepath.Join(cfg.OutDir, "checkpoints", "epoch-0000")
	second := filepath.Join(cfg.OutDir, "checkpoints", "epoch-0001")

	a, err := LoadPredictor(first, PredictOptions{Threshold: 0.3, Threads: 1})
	require.NoError(t, err)
	assert.Equal(t, cfg.OutDir, a.RunDir(), "a checkpoint folder knows its run")
	b, err := LoadPredictor(second, PredictOptions{Threshold: 0.6, Threads: 1})
	require.NoError(t, err)
	e, err := NewEnsemble([]*Predictor{a, b}, 0)
	require.NoError(t, err)
	defer e.Close()
	assert.InDelta(t, 0.45, e.Threshold(), 1e-12)

	img, err := data.LoadImage(split.Test[0].ImagePath)
	require.NoError(t, err)
	pa, err := a.Predict(img)
	require.NoError(t, err)
	pb, err := b.Predict(img)
	require.NoError(t, err)
	require.Greater(t, maxAbsDiff(pa, pb), 1e-3, "two different models")
	mean, err := e.Predict(img)
	require.NoError(t, err)
	want := make([]float32, len(pa))
	for i := range pa {
		want[i] = (pa[i] + pb[i]) * 0.5
	}
	assert.Less(t, maxAbsDiff(want, mean), 1e-6)

	// Evaluate scores the mean map at the mean threshold.
	acc, err := metrics.NewAccumulator(metrics.WithThreshold(0.45))
	require.NoError(t, err)
	for _, s := range split.Test {
		im, err := data.LoadImage(s.ImagePath)
		require.NoError(t, err)
		p, err := e.Predict(im)
		require.NoError(t, err)
		m, err := data.LoadMask(s.MaskPath)
		require.NoError(t, err)
		require.NoError(t, acc.Add(s.Name, p, m.Pix, m.H, m.W))
	}
	got, err := e.Evaluate(split.Test, true)
	require.NoError(t, err)
	assert.Equal(t, acc.Result().Pooled, got.Pooled)
	assert.Positive(t, got.Pooled.TP, "a trained model finds vessels")

	// One member: the same numbers as the member alone, bit for bit.
	c, err := LoadPredictor(cfg.OutDir, PredictOptions{Threads: 1})
	require.NoError(t, err)
	alone, err := c.Evaluate(split.Test, true)
	require.NoError(t, err)
	one, err := NewEnsemble([]*Predictor{c}, 0)
	require.NoError(t, err)
	defer one.Close()
	assert.Equal(t, c.Threshold(), one.Threshold())
	viaEnsemble, err := one.Evaluate(split.Test, true)
	require.NoError(t, err)
	assert.Equal(t, alone.Pooled, viaEnsemble.Pooled)

	_, err = NewEnsemble(nil, 0)
	assert.ErrorContains(t, err, "at least one model")
	_, err = NewEnsemble([]*Predictor{c}, 1.5)
	assert.ErrorContains(t, err, "ensemble threshold 1.5")
	_, err = LoadEnsemble([]string{cfg.OutDir, t.TempDir()}, PredictOptions{Threads: 1})
	assert.ErrorContains(t, err, "neither a run folder nor a checkpoint folder")
}

// PickThreshold on the validation split picks, for an ensemble of one,
// exactly the threshold training picked for its model; for two models it
// picks on their mean map and Evaluate then scores at it.
func TestEnsemblePicksThresholdOnValidation(t *testing.T) {
	split := syntheticSplit(t, 12, 48)
	cfg := tinyConfig(t, 2)
	cfg.PickThreshold = true
	res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	picked, err := readPickedThreshold(cfg.OutDir)
	require.NoError(t, err)
	require.Equal(t, res.Threshold, picked)

	one, err := LoadEnsemble([]string{cfg.OutDir}, PredictOptions{Threshold: 0.9, Threads: 1})
	require.NoError(t, err)
	defer one.Close()
	require.Equal(t, 0.9, one.Threshold())
	th, valDice, err := one.PickThreshold(split.Val)
	require.NoError(t, err)
	assert.Equal(t, picked, th)
	assert.Equal(t, picked, one.Threshold())
	runVal, _ := res.Validation.Get(metrics.MetricDice)
	assert.InDelta(t, runVal.Pooled, valDice, 1e-12, "the picked threshold's validation Dice is the run's")

	two, err := LoadEnsemble([]string{cfg.OutDir, filepath.Join(cfg.OutDir, "checkpoints", "epoch-0000")}, PredictOptions{Threads: 1})
	require.NoError(t, err)
	defer two.Close()
	th2, dice2, err := two.PickThreshold(split.Val)
	require.NoError(t, err)
	// No candidate beats the picked one on the mean map.
	for _, c := range []float64{0.05, 0.25, 0.5, 0.75, 0.95} {
		two.threshold = c
		r, err := two.Evaluate(split.Val, false)
		require.NoError(t, err)
		d, _ := r.Get(metrics.MetricDice)
		assert.LessOrEqual(t, d.Pooled, dice2+1e-12, "threshold %v", c)
	}
	two.threshold = th2
	r, err := two.Evaluate(split.Val, false)
	require.NoError(t, err)
	d, _ := r.Get(metrics.MetricDice)
	assert.InDelta(t, dice2, d.Pooled, 1e-12)

	_, _, err = two.PickThreshold(nil)
	assert.ErrorContains(t, err, "no validation samples")
}
