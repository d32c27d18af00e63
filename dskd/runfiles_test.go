package dskd

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPickedThresholdAndDataWarnings: the threshold picked on validation is
// a JSON file of the run that a Predictor uses, and a data warning (a
// non-binary mask) reaches the run's logger once, not every epoch.
func TestPickedThresholdAndDataWarnings(t *testing.T) {
	split := syntheticSplit(t, 12, 48)
	// Resave one training mask with a grey (anti-aliased) border pixel.
	mp := split.Train[0].MaskPath
	f, err := os.Open(mp)
	require.NoError(t, err)
	src, err := png.Decode(f)
	f.Close()
	require.NoError(t, err)
	b := src.Bounds()
	grey := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			grey.Set(x, y, src.At(x, y))
		}
	}
	grey.SetGray(0, 0, color.Gray{Y: 100})
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, grey))
	require.NoError(t, os.WriteFile(mp, buf.Bytes(), 0o644))

	var logs bytes.Buffer
	log := zerolog.New(&logs)
	cfg := tinyConfig(t, 3)
	cfg.PickThreshold = true
	res, err := Train(context.Background(), cfg, split, Options{Logger: &log})
	require.NoError(t, err)

	assert.Equal(t, 1, strings.Count(logs.String(), "mask is not binary"), "logged once over 3 epochs:\n%s", logs.String())
	raw, err := os.ReadFile(filepath.Join(cfg.OutDir, thresholdFile))
	require.NoError(t, err)
	var picked PickedThreshold
	require.NoError(t, json.Unmarshal(raw, &picked))
	assert.Equal(t, res.Threshold, picked.Threshold)
	assert.Equal(t, "dice", picked.Metric)
	assert.Equal(t, res.BestEpoch, picked.Epoch)
	d, ok := res.Validation.Get("dice")
	require.True(t, ok)
	assert.InDelta(t, d.Pooled, picked.ValScore, 1e-9, "the val score at the picked threshold")
	p, err := LoadPredictor(cfg.OutDir, PredictOptions{Device: "cpu", Threads: 1})
	require.NoError(t, err)
	defer p.Close()
	assert.Equal(t, picked.Threshold, p.Threshold(), "the predictor uses the run's picked threshold")
}

// TestTTAInTheFinalReportsOnly: without TTA the best model's final
// validation Dice is exactly the per-epoch score that selected it; with
// TTA the per-epoch selection is the same (no TTA there) but the final
// report averages the flips, so it differs.
func TestTTAInTheFinalReportsOnly(t *testing.T) {
	split := syntheticSplit(t, 10, 48)
	results := map[bool]*Result{}
	for _, tta := range []bool{false, true} {
		cfg := tinyConfig(t, 2)
		cfg.TTA = tta
		res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
		require.NoError(t, err)
		results[tta] = res
	}
	plain, flipped := results[false], results[true]
	d, _ := plain.Validation.Get("dice")
	assert.Equal(t, plain.BestScore, d.Pooled, "no TTA: the final validation is the selecting score")
	assert.Equal(t, plain.BestScore, flipped.BestScore, "TTA does not change the per-epoch selection")
	df, _ := flipped.Validation.Get("dice")
	assert.NotEqual(t, flipped.BestScore, df.Pooled, "TTA changes the final report")
}
