package dskd

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/internal/runlock"
)

// While another process writes a run folder, neither a new run, an
// overwrite (which would delete the live run's checkpoints) nor a resume
// may start in it.
func TestRunFolderHasOneWriter(t *testing.T) {
	split := syntheticSplit(t, 12, 48)
	cfg := tinyConfig(t, 2)
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	before, err := LatestCheckpoint(cfg.OutDir)
	require.NoError(t, err)

	held, err := runlock.Acquire(cfg.OutDir)
	require.NoError(t, err)
	_, err = Train(context.Background(), cfg, split, Options{Logger: quietLogger(), Overwrite: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), cfg.OutDir+" is in use by process ")
	after, err := LatestCheckpoint(cfg.OutDir)
	require.NoError(t, err, "the refused overwrite deleted nothing")
	assert.Equal(t, before, after)
	_, err = Resume(context.Background(), cfg.OutDir, split, Options{Logger: quietLogger()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is in use by process ")

	require.NoError(t, held.Release())
	res, err := Resume(context.Background(), cfg.OutDir, split, Options{Logger: quietLogger()})
	require.NoError(t, err, "free again once the other writer is gone")
	assert.Equal(t, filepath.Clean(cfg.OutDir), filepath.Clean(res.RunDir))
}
