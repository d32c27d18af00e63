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
