package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/interop"
	"github.com/angioseg/dskd/models"
)

// writeCheckpoint writes a checkpoint folder (model.pt + state.json) of a
// freshly initialised tiny U-Net.
func writeCheckpoint(t *testing.T, dir string, cfg dskd.Config) {
	t.Helper()
	require.NoError(t, engine.Run(func() error {
		m, err := models.New(cfg.Model, gotch.CPU)
		if err != nil {
			return err
		}
		return m.Save(filepath.Join(dir, "model.pt"))
	}))
	b, err := json.Marshal(dskd.State{Config: cfg})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "state.json"), b, 0o644))
}

func TestExportCheckpointThenConvert(t *testing.T) {
	dir := t.TempDir()
	cfg := dskd.Config{Model: models.UNetConfig{Depth: 2, Base: 2}, Normalize: "none", Threshold: 0.6}
	writeCheckpoint(t, dir, cfg)

	st := filepath.Join(dir, "m.safetensors")
	var out bytes.Buffer
	require.NoError(t, Export([]string{"--checkpoint", dir, "--out", st}, &out))
	assert.Equal(t, "wrote "+st+" (safetensors): U-Net depth 2, base 2, bilinear upsampling, none normalisation, threshold 0.6\n", out.String())
	m, err := interop.ReadFile(st)
	require.NoError(t, err)
	assert.Equal(t, "none", m.Meta.Normalize)
	assert.Equal(t, 0.6, m.Meta.Threshold)

	// A weights file converts to another format; --format beats the extension.
	onnxPath := filepath.Join(dir, "m.bin")
	out.Reset()
	require.NoError(t, Export([]string{"--weights", st, "--format", "onnx", "--out", onnxPath, "--threshold", "0.2"}, &out))
	assert.Contains(t, out.String(), "(onnx)")
	assert.Contains(t, out.String(), "threshold 0.2")
	b, err := os.ReadFile(onnxPath)
	require.NoError(t, err)
	assert.Contains(t, string(b), "dskd_threshold") // metadata_props key

	p, err := OpenEnsemble(nil, []string{st}, dskd.PredictOptions{Device: "cpu"})
	require.NoError(t, err)
	assert.Equal(t, 0.6, p.Threshold())
	assert.Empty(t, p.Members()[0].RunDir(), "a weights file has no run folder")
	p.Close()
	// A run's checkpoint and a weights file join one ensemble.
	both, err := OpenEnsemble([]string{dir}, []string{st}, dskd.PredictOptions{Device: "cpu", Threshold: 0.4})
	require.NoError(t, err)
	assert.Len(t, both.Members(), 2)
	assert.Equal(t, 0.4, both.Threshold())
	_, err = ensembleSplitSamples(both.Members(), "test", nil)
	assert.ErrorContains(t, err, "model 2 comes from a weights file")
	both.Close()
}

func TestExportRejects(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--run", "a"}, "--out is required"},
		{[]string{"--out", "x.onnx"}, "exactly one of --run, --checkpoint and --weights"},
		{[]string{"--run", "a", "--weights", "b", "--out", "x.onnx"}, "exactly one of"},
		{[]string{"--weights", "b", "--out", "x.h5"}, "extension .h5: want .safetensors, .pt, .pth or .onnx"},
		{[]string{"--weights", "b", "--out", "x", "--format", "tflite"}, `format "tflite"`},
		{[]string{"--weights", filepath.Join(t.TempDir(), "none.pt"), "--out", "x.onnx"}, "no such file"},
	} {
		err := Export(c.args, &bytes.Buffer{})
		require.Error(t, err, "%v", c.args)
		assert.Contains(t, err.Error(), c.want, "%v", c.args)
	}
	_, err := OpenEnsemble(nil, nil, dskd.PredictOptions{})
	assert.ErrorContains(t, err, "--run or --weights is required")
	_, err = OpenEnsemble(nil, []string{filepath.Join(t.TempDir(), "none.safetensors")}, dskd.PredictOptions{})
	assert.ErrorContains(t, err, "no such file")
}
