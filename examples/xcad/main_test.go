package main

import (
	"bytes"
	"errors"
	"flag"
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
