package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data/synth"
)

func TestHelpAndStrayArgument(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-h"}, &out)
	assert.True(t, errors.Is(err, flag.ErrHelp), "-h ends with flag.ErrHelp, which main turns into exit status 0")
	assert.Contains(t, out.String(), "-data")
	assert.ErrorContains(t, run([]string{"extra"}, &out), `unexpected argument "extra"`)
}

// The example end to end on a tiny generated XCAD layout.
func TestRunsOnATinyDataSet(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, synth.WriteXCAD(filepath.Join(dir, "xcad"), 10, 0, 48, 1))
	cfg := filepath.Join(dir, "tiny.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"epochs": 1, "crop_size": -1, "threads": 2, "model": {"base": 4, "depth": 2}}`), 0o644))
	var out bytes.Buffer
	require.NoError(t, run([]string{"--data", filepath.Join(dir, "xcad"), "--config", cfg, "--out", filepath.Join(dir, "run")}, &out))
	assert.Contains(t, out.String(), "test fold 0, best model:")
	assert.Contains(t, out.String(), "predicted ")
	assert.FileExists(t, filepath.Join(dir, "run", "report.html"))
	masks, _ := filepath.Glob(filepath.Join(dir, "run", "predicted", "*_mask.png"))
	assert.Len(t, masks, 1)
}

// --unlabelled learns from train/'s frames with the soft-Dice pixel term;
// without it (the default) they are left out.
func TestLearnsFromTrainFrames(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, synth.WriteXCAD(filepath.Join(dir, "xcad"), 10, 4, 48, 1))
	cfg := filepath.Join(dir, "tiny.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"epochs": 2, "crop_size": -1, "threads": 2, "overlays": -1, "model": {"base": 4, "depth": 2}}`), 0o644))
	for _, on := range []bool{true, false} {
		var out bytes.Buffer
		runDir := filepath.Join(dir, fmt.Sprint("run-", on))
		require.NoError(t, run([]string{"--data", filepath.Join(dir, "xcad"), "--config", cfg, "--out", runDir, fmt.Sprintf("--unlabelled=%v", on)}, &out))
		header, err := os.ReadFile(filepath.Join(runDir, "metrics.csv"))
		require.NoError(t, err)
		if on {
			assert.Contains(t, out.String(), "learning from 4 unlabelled frames of ")
			assert.Contains(t, string(header), ",u_dice,", "epoch 1 learns from the frames, with the soft-Dice pixel term")
			assert.NotContains(t, string(header), "u_psdl")
		} else {
			assert.NotContains(t, out.String(), "unlabelled frames")
			assert.NotContains(t, string(header), "u_dice")
		}
	}
}
