package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/dskd"
)

func TestHelpAndStrayArgument(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-h"}, &out)
	assert.True(t, errors.Is(err, flag.ErrHelp), "-h ends with flag.ErrHelp, which main turns into exit status 0")
	assert.Contains(t, out.String(), "-config")
	assert.ErrorContains(t, run([]string{"--out", t.TempDir(), "extra"}, &out), `unexpected argument "extra"`)
}

func TestRecipeIsAValidConfig(t *testing.T) {
	var cfg dskd.Config
	require.NoError(t, json.Unmarshal(recipe, &cfg))
	_, err := cfg.WithDefaults()
	require.NoError(t, err)
}

// The example end to end on tiny generated DCA1 layouts: with test ids,
// and with the training ids only (no test report).
func TestRunsOnTinyDataSets(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tiny.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"epochs": 1, "crop_size": -1, "threads": 2, "val_fraction": 0.2, "model": {"base": 4, "depth": 2}}`), 0o644))
	require.NoError(t, synth.WriteDCA1(filepath.Join(dir, "full"), []int{1, 2, 3, 4, 5, 6, 101, 102}, 48, 1))
	var out bytes.Buffer
	require.NoError(t, run([]string{"--data", filepath.Join(dir, "full"), "--config", cfg, "--out", filepath.Join(dir, "run")}, &out))
	assert.Contains(t, out.String(), "test, best model:")
	assert.Contains(t, out.String(), "predicted 101 ->")

	require.NoError(t, synth.WriteDCA1(filepath.Join(dir, "train-only"), []int{1, 2, 3, 4, 5, 6}, 48, 1))
	out.Reset()
	require.NoError(t, run([]string{"--data", filepath.Join(dir, "train-only"), "--config", cfg, "--out", filepath.Join(dir, "run2")}, &out))
	assert.Contains(t, out.String(), "best epoch 0")
	assert.NotContains(t, out.String(), "test, best model:")
}
