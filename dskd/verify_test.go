package dskd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stoppedRun trains cfg until the end of epoch `until`, then stops.
func stoppedRun(t *testing.T, cfg Config, until int) {
	t.Helper()
	split := syntheticSplit(t, 12, 48)
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger(), Hooks: Hooks{
		OnEpochEnd: func(e EpochInfo) error {
			if e.Record.Epoch == until {
				return ErrStop
			}
			return nil
		},
	}})
	require.NoError(t, err)
}

// A corrupt newest checkpoint does not block a resume: it is named and
// skipped, the older one is used, and the run ends as an uninterrupted
// one; leftovers of a killed checkpoint write are tidied away.
func TestResumeSkipsACorruptCheckpoint(t *testing.T) {
	split := syntheticSplit(t, 12, 48)
	straight := tinyConfig(t, 4)
	want, err := Train(context.Background(), straight, split, Options{Logger: quietLogger()})
	require.NoError(t, err)

	cut := straight
	cut.OutDir = t.TempDir()
	stoppedRun(t, cut, 2) // keeps epoch-0001 and epoch-0002
	newest := filepath.Join(cut.OutDir, "checkpoints", "epoch-0002")
	truncate(t, filepath.Join(newest, modelFile))
	leftover := filepath.Join(cut.OutDir, "checkpoints", ".tmp-epoch-0003-123")
	require.NoError(t, os.MkdirAll(leftover, 0o755))

	var logs bytes.Buffer
	log := zerolog.New(&logs)
	got, err := Resume(context.Background(), cut.OutDir, split, Options{Logger: &log})
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "checkpoint skipped, not whole: epoch-0002: "+filepath.Join(newest, modelFile)+": checksum ")
	assert.Contains(t, logs.String(), `"from":"`+filepath.Join(cut.OutDir, "checkpoints", "epoch-0001")+`"`)
	assert.Contains(t, logs.String(), "run folder tidied after an earlier kill: removed checkpoints/.tmp-epoch-0003-123")
	assert.NoDirExists(t, leftover)
	require.Len(t, got.History, 4)
	for i := range want.History {
		assert.Equal(t, want.History[i].TrainLoss, got.History[i].TrainLoss, "epoch %d", i)
	}
	assert.Equal(t, weights(t, straight.OutDir), weights(t, cut.OutDir))
}

// Checkpoints written before checksums existed are checked as archives.
func TestResumeChecksLegacyCheckpointsAsArchives(t *testing.T) {
	cfg := tinyConfig(t, 4)
	stoppedRun(t, cfg, 2)
	for _, ep := range []string{"epoch-0001", "epoch-0002"} { // as an older dskd wrote them
		dir := filepath.Join(cfg.OutDir, "checkpoints", ep)
		st, err := ReadState(dir)
		require.NoError(t, err)
		require.Len(t, st.Files, 3, "model.pt, teacher.pt and optim.pt")
		st.Files = nil
		b, err := json.Marshal(st)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, stateFile), b, 0o644))
	}
	require.NoError(t, verifyCheckpoint(filepath.Join(cfg.OutDir, "checkpoints", "epoch-0002")), "a sound legacy checkpoint passes")
	truncate(t, filepath.Join(cfg.OutDir, "checkpoints", "epoch-0002", optimFile))
	dir, skipped, err := resumePoint(cfg.OutDir)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(cfg.OutDir, "checkpoints", "epoch-0001"), dir)
	require.Len(t, skipped, 1)
	assert.Contains(t, skipped[0], "epoch-0002: "+filepath.Join(cfg.OutDir, "checkpoints", "epoch-0002", optimFile)+": not a readable archive")

	truncate(t, filepath.Join(cfg.OutDir, "checkpoints", "epoch-0001", modelFile))
	_, skipped, err = resumePoint(cfg.OutDir)
	require.Error(t, err)
	assert.Len(t, skipped, 2)
	assert.Contains(t, err.Error(), "no checkpoint of "+cfg.OutDir+" is whole:\n  epoch-0002: ")
}

// truncate cuts a file to half its size (a write that a crash cut short).
func truncate(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(path, st.Size()/2))
}
