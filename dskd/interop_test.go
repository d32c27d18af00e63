package dskd

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/interop"
	"github.com/angioseg/dskd/models"
)

// A trained run leaves as a weights file, predicts the same from it, and a
// new run starts from it.
func TestWeightsFileExportPredictAndInit(t *testing.T) {
	split := syntheticSplit(t, 12, 48)
	cfg := tinyConfig(t, 1)
	cfg.Normalize = "minmax"
	cfg.Deterministic = true // equal predictions on CUDA too: no autotuner, no TF32
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	p, err := LoadPredictor(cfg.OutDir, PredictOptions{Threshold: 0.3})
	require.NoError(t, err)
	defer p.Close()
	m, err := p.Export()
	require.NoError(t, err)
	assert.Equal(t, "minmax", m.Meta.Normalize)
	assert.Equal(t, 0.3, m.Meta.Threshold)
	img, err := data.LoadImage(split.Test[0].ImagePath)
	require.NoError(t, err)
	want, err := p.Predict(img)
	require.NoError(t, err)

	dir := t.TempDir()
	for _, f := range []interop.Format{interop.Safetensors, interop.PT} {
		path := filepath.Join(dir, "model."+string(f))
		require.NoError(t, interop.WriteFile(path, m, f, interop.ONNXOptions{}))
		q, err := LoadPredictorWeights(path, PredictOptions{})
		require.NoError(t, err)
		assert.Equal(t, 0.3, q.Threshold())
		assert.Equal(t, cfg.Model.Base, q.State.Config.Model.Base)
		got, err := q.Predict(img)
		q.Close()
		require.NoError(t, err)
		assert.Equal(t, want, got, "%s: prediction differs from the run's", f)
	}

	// A new run (another seed) from these weights: after its first AdamW
	// step (lr 5e-3) every conv weight is within lr of the file's.
	init := filepath.Join(dir, "model.safetensors")
	cfg2 := tinyConfig(t, 1)
	cfg2.Seed, cfg2.InitWeights = 99, init
	var fromInit, fromRandom float64
	_, err = Train(context.Background(), cfg2, split, Options{Logger: quietLogger(), Hooks: convDistanceHook(m, &fromInit)})
	require.NoError(t, err)
	// Without InitWeights the same run starts elsewhere.
	cfg2.OutDir, cfg2.InitWeights = t.TempDir(), ""
	_, err = Train(context.Background(), cfg2, split, Options{Logger: quietLogger(), Hooks: convDistanceHook(m, &fromRandom)})
	require.NoError(t, err)
	t.Logf("after one step, conv weights within %.3g of the init file (%.3g without it)", fromInit, fromRandom)
	assert.LessOrEqual(t, fromInit, 5e-3*1.01)
	assert.Greater(t, fromRandom, 0.1)

	// Weights of another architecture are refused, naming the mismatch.
	cfg3 := tinyConfig(t, 1)
	cfg3.Model.Base, cfg3.InitWeights = 8, init
	_, err = Train(context.Background(), cfg3, split, Options{Logger: quietLogger()})
	require.ErrorContains(t, err, "dskd: init_weights "+init+": interop: the arrays do not fit a U-Net with depth 2, base 8")
}

// convDistanceHook stops a run after its first step, storing the largest
// |student - ref| over the conv weights in dist.
func convDistanceHook(ref *interop.Model, dist *float64) Hooks {
	return Hooks{OnStep: func(s StepInfo) error {
		now, err := interop.FromUNet(s.Student.(*models.UNet))
		if err != nil {
			return err
		}
		for i, a := range now.Arrays {
			if strings.Contains(a.Name, "conv") && strings.HasSuffix(a.Name, ".weight") {
				*dist = math.Max(*dist, maxAbs(a.Data, ref.Arrays[i].Data))
			}
		}
		return ErrStop
	}}
}

func maxAbs(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}
