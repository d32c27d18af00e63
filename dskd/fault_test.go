package dskd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/internal/atomicfile"
	"github.com/angioseg/dskd/internal/runlock"
)

// A full disk at any file a run writes is an error naming that file,
// never an abort; the newest complete checkpoint stays whole and no
// temporary file is left. report.html is the exception by design: the run
// has its results, so its failure is a warning.
func TestFaultAtEveryFile(t *testing.T) {
	split := syntheticSplit(t, 12, 48)
	for _, file := range []string{"config.json", "split.json", modelFile, optimFile, teacherFile, stateFile,
		"metrics.csv", "curves.png", "val_metrics.json", "test_metrics.json", "test_per_image.csv", "threshold.json",
		"overlay", "report.html"} {
		t.Run(file, func(t *testing.T) {
			cfg := tinyConfig(t, 3)
			cfg.PickThreshold = true
			undo := atomicfile.InjectFault(func(p string) bool {
				base := filepath.Base(p)
				if file == "overlay" {
					return filepath.Base(filepath.Dir(p)) == "overlays"
				}
				if file == modelFile && strings.Contains(p, string(filepath.Separator)+bestDir+string(filepath.Separator)) {
					return false // the epoch checkpoint's, not best/'s (written first)
				}
				return base == file
			}, 0, syscall.ENOSPC)
			defer undo()
			var logs bytes.Buffer
			log := zerolog.New(&logs)
			_, err := Train(context.Background(), cfg, split, Options{Logger: &log})
			if file == "report.html" {
				require.NoError(t, err)
				assert.Contains(t, logs.String(), "report.html not written")
				assert.Contains(t, logs.String(), "no space left on device")
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "no space left on device (")
				if file != "overlay" {
					assert.Contains(t, err.Error(), file)
				}
			}
			var left []string
			require.NoError(t, filepath.WalkDir(cfg.OutDir, func(p string, d os.DirEntry, err error) error {
				if err == nil && strings.Contains(d.Name(), ".tmp-") {
					left = append(left, p)
				}
				return err
			}))
			assert.Empty(t, left, "no temporary file left")
			if dir, err := LatestCheckpoint(cfg.OutDir); err == nil {
				assert.NoError(t, verifyCheckpoint(dir), "the newest checkpoint is whole")
			}
		})
	}
}

// A run folder that cannot be written is an error before anything trains.
func TestReadOnlyRunFolder(t *testing.T) {
	split := syntheticSplit(t, 12, 48)
	cfg := tinyConfig(t, 1)
	cfg.OutDir = filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(cfg.OutDir, nil, 0o644)) // a file where the folder should be
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), cfg.OutDir)
	var inUse *runlock.InUseError
	assert.NotErrorAs(t, err, &inUse)
}

// A data file that disappears in the middle of a run ends it with an
// error naming the file; once it is back, the run resumes.
func TestDataFileDeletedMidRun(t *testing.T) {
	split := syntheticSplit(t, 12, 48)
	cfg := tinyConfig(t, 3)
	victim := split.Train[0].ImagePath
	saved, err := os.ReadFile(victim)
	require.NoError(t, err)
	_, err = Train(context.Background(), cfg, split, Options{Logger: quietLogger(), Hooks: Hooks{
		OnEpochEnd: func(e EpochInfo) error {
			if e.Record.Epoch == 0 {
				return os.Remove(victim)
			}
			return nil
		},
	}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), victim)
	require.NoError(t, os.WriteFile(victim, saved, 0o644))
	res, err := Resume(context.Background(), cfg.OutDir, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	assert.Len(t, res.History, 3)
}
