package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/dskd"
)

func TestFlagsOverrideConfigFileOverrideDefaults(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, os.WriteFile(cfgPath, []byte(`{"epochs": 7, "lr": 0.01, "model": {"base": 8}, "preset": "ddl"}`), 0o644))
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var tf TrainFlags
	tf.Register(fs, "runs/x")
	require.NoError(t, fs.Parse([]string{"--config", cfgPath, "--lr", "0.002", "--preset", "unet"}))
	cfg, err := tf.Config(dskd.Config{Epochs: 99})
	require.NoError(t, err)
	assert.Equal(t, 7, cfg.Epochs, "the file replaces the defaults")
	assert.Equal(t, 0.002, cfg.LR, "a flag beats the file")
	assert.Equal(t, "unet", cfg.Loss.Preset)
	assert.Equal(t, 8, cfg.Model.Base)
	assert.Equal(t, "runs/x", cfg.OutDir)
	assert.Equal(t, 4, cfg.BatchSize, "unset everywhere: METHOD.md default")

	fs = flag.NewFlagSet("y", flag.ContinueOnError)
	tf = TrainFlags{}
	tf.Register(fs, "runs/y")
	require.NoError(t, fs.Parse([]string{"--epochs", "3"}))
	cfg, err = tf.Config(dskd.Config{Epochs: 99, LR: 0.5})
	require.NoError(t, err)
	assert.Equal(t, 3, cfg.Epochs)
	assert.Equal(t, 0.5, cfg.LR)

	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"epochz": 7}`), 0o644))
	fs = flag.NewFlagSet("z", flag.ContinueOnError)
	tf = TrainFlags{}
	tf.Register(fs, "runs/z")
	require.NoError(t, fs.Parse([]string{"--config", bad}))
	_, err = tf.Config(dskd.Config{})
	assert.ErrorContains(t, err, `unknown field "epochz"`)
}

func TestInitWeightsFlag(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var tf TrainFlags
	tf.Register(fs, "runs/x")
	require.NoError(t, fs.Parse([]string{"--init-weights", "pretrained.pt"}))
	cfg, err := tf.Config(dskd.Config{})
	require.NoError(t, err)
	assert.Equal(t, "pretrained.pt", cfg.InitWeights)
}
