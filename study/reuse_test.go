package study

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/dskd"
)

// A study that reuses another's finished runs trains only the rest, and
// reports the reused runs as the other study measured them.
func TestReuseTakesFinishedRunsOfAnotherStudy(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 12, 32)
	spec := tinyStudy(dataDir)
	spec.Config.Epochs = 2
	first := spec
	first.Presets = []string{"unet"}
	a := filepath.Join(t.TempDir(), "a")
	resA, err := Run(context.Background(), a, first, Options{Jobs: 2, Threads: 2, Logger: quietLogger()})
	require.NoError(t, err)
	require.Len(t, resA.Rows, 2)

	var mu sync.Mutex
	trained := map[string]bool{}
	b := filepath.Join(t.TempDir(), "b")
	resB, err := Run(context.Background(), b, spec, Options{Jobs: 2, Threads: 2, Logger: quietLogger(), Reuse: []string{a},
		Hooks: func(r Job) dskd.Hooks {
			return dskd.Hooks{OnEpochEnd: func(dskd.EpochInfo) error {
				mu.Lock()
				defer mu.Unlock()
				trained[r.ID()] = true
				return nil
			}}
		}})
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"dskd/fold-0_seed-1": true, "dskd/fold-1_seed-1": true}, trained, "only the new arm trains")
	require.Len(t, resB.Rows, 4)
	var reused []Row
	for _, r := range resB.Rows {
		if r.Arm == "unet" {
			reused = append(reused, r)
		}
	}
	assert.Equal(t, comparableRows(resA.Rows), comparableRows(reused))
	assert.FileExists(t, filepath.Join(b, "runs", "unet", "fold-0_seed-1", "metrics.csv"))
	reusedRun := filepath.Join(b, "runs", "unet", "fold-0_seed-1")
	entries, err := os.ReadDir(filepath.Join(reusedRun, "checkpoints"))
	require.NoError(t, err)
	require.Len(t, entries, 1, "of the checkpoints, only the best model is copied")
	assert.Equal(t, "best", entries[0].Name())
	want, err := os.ReadFile(filepath.Join(a, "runs", "unet", "fold-0_seed-1", "checkpoints", "best", "model.pt"))
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(reusedRun, "checkpoints", "best", "model.pt"))
	require.NoError(t, err)
	assert.Equal(t, want, got)
	p, err := dskd.LoadPredictor(reusedRun, dskd.PredictOptions{Threads: 1})
	require.NoError(t, err, "a reused run predicts")
	p.Close()

	// With ScoreLast the newest checkpoint comes along, and the reused
	// run's last epoch is scored.
	withLast := spec
	withLast.ScoreLast = true
	c := filepath.Join(t.TempDir(), "c")
	resC, err := Run(context.Background(), c, withLast, Options{ReportOnly: true, Logger: quietLogger(), Reuse: []string{a}})
	require.NoError(t, err)
	require.Len(t, resC.Rows, 2, "a report trains nothing, but reuses")
	entries, err = os.ReadDir(filepath.Join(c, "runs", "unet", "fold-0_seed-1", "checkpoints"))
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, []string{"best", "epoch-0001"}, []string{entries[0].Name(), entries[1].Name()})
	resC, err = Run(context.Background(), c, withLast, Options{Jobs: 2, Threads: 2, Logger: quietLogger(), Reuse: []string{a},
		Hooks: func(r Job) dskd.Hooks {
			if r.Arm == "unet" {
				t.Errorf("%s trains again", r.ID())
			}
			return dskd.Hooks{}
		}})
	require.NoError(t, err)
	for _, r := range resC.Rows {
		assert.Equal(t, 1, r.LastEpoch, r.Dir)
		assert.NotNil(t, r.Last, r.Dir)
	}

	_, err = Run(context.Background(), filepath.Join(t.TempDir(), "d"), spec, Options{ReportOnly: true, Logger: quietLogger(),
		Reuse: []string{dataDir}})
	assert.ErrorContains(t, err, "not a study folder (no study.json)")
	_, err = os.Stat(filepath.Join(a, SpecFile))
	require.NoError(t, err)
}
