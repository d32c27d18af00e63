package dskd

import (
	"context"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
)

func TestPredictWritesFilesAndMatchesEvaluation(t *testing.T) {
	split := syntheticSplit(t, 12, 48)
	cfg := tinyConfig(t, 2)
	res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)

	p, err := LoadPredictor(cfg.OutDir, PredictOptions{})
	require.NoError(t, err)
	defer p.Close()
	assert.Equal(t, 0.5, p.Threshold())
	assert.Equal(t, res.BestEpoch, p.State.Epoch)

	out := t.TempDir()
	files, err := p.PredictFile(split.Test[0].ImagePath, out)
	require.NoError(t, err)
	for _, f := range []string{files.Probability, files.Mask, files.Overlay} {
		fh, err := os.Open(f)
		require.NoError(t, err)
		im, err := png.Decode(fh)
		fh.Close()
		require.NoError(t, err, f)
		assert.Equal(t, 48, im.Bounds().Dx(), f)
		assert.Equal(t, 48, im.Bounds().Dy(), f)
	}
	assert.Equal(t, filepath.Join(out, "010_mask.png"), files.Mask) // samples are 000..011

	// The predictor reproduces the trainer's test evaluation exactly.
	ev, err := p.Evaluate(split.Test, true)
	require.NoError(t, err)
	require.NotNil(t, res.Test)
	assert.Equal(t, res.Test.Pooled, ev.Pooled)

	// Odd sizes, tiles and TTA work; a tiled prediction of an image smaller
	// than the tile equals the plain one.
	img, err := data.LoadImage(split.Test[0].ImagePath)
	require.NoError(t, err)
	crop := data.NewImage(37, 29)
	for y := 0; y < 29; y++ {
		for x := 0; x < 37; x++ {
			crop.Set(x, y, img.At(x, y))
		}
	}
	plain, err := p.Predict(crop)
	require.NoError(t, err)
	assert.Len(t, plain, 37*29)
	tiled, err := LoadPredictor(cfg.OutDir, PredictOptions{InferOptions: InferOptions{TileSize: 16, TileOverlap: 4, TTA: true}})
	require.NoError(t, err)
	defer tiled.Close()
	tp, err := tiled.Predict(crop)
	require.NoError(t, err)
	assert.Len(t, tp, 37*29)
	for _, v := range tp {
		require.True(t, v >= 0 && v <= 1)
	}
	_, err = p.Predict(&data.Image{W: 3, H: 3, Pix: make([]float32, 4)})
	assert.Error(t, err)
	_, err = LoadPredictor(t.TempDir(), PredictOptions{})
	assert.ErrorContains(t, err, "neither a run folder nor a checkpoint folder")
}

func TestTileStartsCoverTheImage(t *testing.T) {
	assert.Equal(t, []int{0}, tileStarts(10, 16, 4))
	assert.Equal(t, []int{0, 12, 24}, tileStarts(40, 16, 4))
	assert.Equal(t, []int{0, 12, 14}, tileStarts(30, 16, 4))
}

// rot90 turns a square row-major n×n map by 90°: out(x, y) = in(y, n-1-x).
func rot90(in []float32, n int) []float32 {
	out := make([]float32, len(in))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			out[y*n+x] = in[(n-1-x)*n+y]
		}
	}
	return out
}

func maxAbsDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

// TTA over flips and turns averages all 8 symmetries of the square, so the
// prediction of a turned image is the turned prediction, to float
// rounding; over flips alone it is not.
func TestTTATurnsMakePredictionsTurnEquivariant(t *testing.T) {
	const n = 48
	split := syntheticSplit(t, 8, n)
	cfg := tinyConfig(t, 1)
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	img, err := data.LoadImage(split.Test[0].ImagePath)
	require.NoError(t, err)
	turned := &data.Image{W: n, H: n, Pix: rot90(img.Pix, n)}

	turnDiff := map[bool]float64{}
	for _, turns := range []bool{false, true} {
		p, err := LoadPredictor(cfg.OutDir, PredictOptions{InferOptions: InferOptions{TTA: true, Turns: turns}, Threads: 1})
		require.NoError(t, err)
		a, err := p.Predict(img)
		require.NoError(t, err)
		b, err := p.Predict(turned)
		require.NoError(t, err)
		p.Close()
		turnDiff[turns] = maxAbsDiff(rot90(a, n), b)
	}
	t.Logf("largest difference after a turn: flips %.2g, flips and turns %.2g", turnDiff[false], turnDiff[true])
	assert.Less(t, turnDiff[true], 1e-5, "8-pass TTA commutes with a 90° turn")
	assert.Greater(t, turnDiff[false], 1e-3, "4-pass flip TTA does not (the test would not see a missing turn otherwise)")
	assert.Len(t, ttaViews(true, true), 8)
	assert.Len(t, ttaViews(true, false), 4)
	assert.Len(t, ttaViews(false, false), 1)
}
