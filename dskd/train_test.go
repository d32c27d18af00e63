package dskd

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrainImprovesValidationDice(t *testing.T) {
	split := syntheticSplit(t, 16, 64)
	cfg := tinyConfig(t, 6)
	res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	require.Len(t, res.History, 6)
	first := res.History[0].ValDice
	t.Logf("validation Dice per epoch: %v", diceCurve(res))
	assert.Greater(t, res.BestScore, first+0.05, "validation Dice must rise over epoch 0")
	assert.Equal(t, res.History[res.BestEpoch].ValDice, res.BestScore)
	require.NotNil(t, res.Test)
	for _, f := range []string{"config.json", "metrics.csv", "curves.png", "val_metrics.json", "test_metrics.json", "test_per_image.csv",
		"checkpoints/best/model.pt", "checkpoints/epoch-0005/optim.pt", "checkpoints/epoch-0005/teacher.pt"} {
		assert.FileExists(t, filepath.Join(cfg.OutDir, f))
	}
	overlays, _ := filepath.Glob(filepath.Join(cfg.OutDir, "overlays", "*.png"))
	assert.Len(t, overlays, 2)
	_, err = os.Stat(filepath.Join(cfg.OutDir, "checkpoints", "epoch-0003"))
	assert.True(t, os.IsNotExist(err), "keep_last 2 prunes older epochs")
}

func diceCurve(r *Result) []float64 {
	v := make([]float64, len(r.History))
	for i, h := range r.History {
		v[i] = round4(h.ValDice)
	}
	return v
}

func TestRepeatDrawsEveryImageRepeatTimesPerEpoch(t *testing.T) {
	split := syntheticSplit(t, 16, 64)
	stepsOf := func(repeat int) int {
		cfg := tinyConfig(t, 1)
		cfg.Repeat = repeat
		steps := 0
		_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger(),
			Hooks: Hooks{OnStep: func(s StepInfo) error { steps = s.Steps; return nil }}})
		require.NoError(t, err)
		return steps
	}
	once := stepsOf(0)
	require.Greater(t, once, 0)
	assert.Equal(t, once, stepsOf(1))
	assert.Equal(t, 3*once, stepsOf(3), "three draws of each image, one epoch")

	tr := &trainer{cfg: Config{Repeat: 3}, split: split}
	drawn := map[string]int{}
	for _, s := range tr.epochSamples() {
		drawn[s.Name]++
	}
	require.Len(t, drawn, len(split.Train))
	for id, n := range drawn {
		assert.Equal(t, 3, n, id)
	}

	cfg := tinyConfig(t, 1)
	cfg.Repeat = -1
	_, err := cfg.WithDefaults()
	assert.EqualError(t, err, "dskd: config: repeat -1: must be >= 0 (0 = 1, each image once per epoch)")
}
