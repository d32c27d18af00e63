package dskd

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
)

// uninterrupted trains a tiny run with teacher on n generated samples for
// epochs, and returns the split, its config and result, and the config of
// the same run in another folder (to be interrupted).
func uninterrupted(t *testing.T, teacher Teacher, n, epochs int) (data.Split, Config, *Result, Config) {
	t.Helper()
	split := syntheticSplit(t, n, 48)
	straight := tinyConfig(t, epochs)
	straight.Teacher = teacher
	straight.EMADecay = 0.9
	want, err := Train(context.Background(), straight, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	cut := straight
	cut.OutDir = t.TempDir()
	return split, straight, want, cut
}

// Stopping after epoch k and resuming must give exactly the run that was
// never stopped: same losses, same validation scores, same weights.
func TestResumeReproducesUninterruptedRun(t *testing.T) {
	for _, teacher := range []Teacher{TeacherPreviousEpoch, TeacherEMA} {
		t.Run(string(teacher), func(t *testing.T) {
			split, straight, want, cut := uninterrupted(t, teacher, 12, 4)
			stopAfter := 1
			part, err := Train(context.Background(), cut, split, Options{Logger: quietLogger(), Hooks: Hooks{
				OnEpochEnd: func(e EpochInfo) error {
					if e.Record.Epoch == stopAfter {
						return ErrStop
					}
					return nil
				},
			}})
			require.NoError(t, err)
			assert.True(t, part.Stopped)
			require.Len(t, part.History, 2)

			got, err := Resume(context.Background(), cut.OutDir, split, Options{Logger: quietLogger()})
			require.NoError(t, err)
			require.Len(t, got.History, 4)
			for i := range want.History {
				assert.Equal(t, want.History[i].TrainLoss, got.History[i].TrainLoss, "epoch %d train loss", i)
				assert.Equal(t, want.History[i].ValDice, got.History[i].ValDice, "epoch %d val dice", i)
			}
			assert.Equal(t, want.BestEpoch, got.BestEpoch)
			assert.Equal(t, weights(t, straight.OutDir), weights(t, cut.OutDir))
		})
	}
}

// weights reads the final epoch's student weights of a run.
func weights(t *testing.T, runDir string) map[string][]float64 {
	dir, err := LatestCheckpoint(runDir)
	require.NoError(t, err)
	out, err := loadWeights(filepath.Join(dir, modelFile))
	require.NoError(t, err)
	require.NotEmpty(t, out)
	return out
}

func TestNonFiniteLossStopsWithEpochAndStep(t *testing.T) {
	split := syntheticSplit(t, 12, 48)
	cfg := tinyConfig(t, 3)
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger(), Hooks: Hooks{
		OnStep: func(s StepInfo) error {
			if s.Epoch == 1 && s.Step == 0 {
				// Poison one weight: the next forward pass yields NaN.
				for _, v := range aten.Vars(s.Student.VarStore()) {
					if v.Trainable {
						return engine.NoGrad(func() error {
							sc := aten.NewScope()
							defer sc.Close()
							sc.FillInPlace(v.T, math.NaN())
							return sc.Err()
						})
					}
				}
			}
			return nil
		},
	}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "non-finite loss NaN at epoch 1 step 1")
	assert.Contains(t, err.Error(), "epoch-0000", "names the last good checkpoint")
	last, err := LatestCheckpoint(cfg.OutDir)
	require.NoError(t, err)
	st, err := ReadState(last)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Epoch, "the good checkpoint of epoch 0 is kept")
}

func TestTrainRefusesToOverwriteAndValidates(t *testing.T) {
	split := syntheticSplit(t, 8, 32)
	cfg := tinyConfig(t, 1)
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	_, err = Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	assert.ErrorContains(t, err, "already holds checkpoints")
	_, err = Train(context.Background(), cfg, split, Options{Logger: quietLogger(), Overwrite: true})
	assert.NoError(t, err)

	bad := cfg
	bad.Teacher = "oracle"
	_, err = Train(context.Background(), bad, split, Options{})
	assert.ErrorContains(t, err, `teacher "oracle"`)
	bad = cfg
	bad.Device = "cuda:7"
	bad.OutDir = t.TempDir()
	_, err = Train(context.Background(), bad, split, Options{Logger: quietLogger()})
	assert.Error(t, err)
	_, err = Train(context.Background(), cfg, splitWithoutTrain(split), Options{})
	assert.ErrorContains(t, err, "training split is empty")
	_, err = Resume(context.Background(), t.TempDir(), split, Options{})
	assert.ErrorContains(t, err, "no checkpoint")
}

// A context ended in the middle of an epoch stops the run between two
// steps with a checkpoint of that point; resuming from it ends exactly
// where the uninterrupted run ends (losses, scores, weights).
func TestStopBetweenStepsResumesExactly(t *testing.T) {
	for _, teacher := range []Teacher{TeacherPreviousEpoch, TeacherEMA} {
		t.Run(string(teacher), func(t *testing.T) {
			split, straight, want, cut := uninterrupted(t, teacher, 16, 3)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := Train(ctx, cut, split, Options{Logger: quietLogger(), Hooks: Hooks{
				OnStep: func(s StepInfo) error {
					if s.Epoch == 1 && s.Step == 0 {
						cancel() // the run stops before step 1 of epoch 1
					}
					return nil
				},
			}})
			var stopped *Interrupted
			require.ErrorAs(t, err, &stopped)
			assert.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, 1, stopped.Epoch)
			assert.Equal(t, 1, stopped.Step)
			assert.Equal(t, filepath.Join(cut.OutDir, "checkpoints", "epoch-0001-step-0001"), stopped.Checkpoint)
			latest, err := LatestCheckpoint(cut.OutDir)
			require.NoError(t, err)
			assert.Equal(t, stopped.Checkpoint, latest, "the stop's checkpoint is the newest")
			assert.FileExists(t, filepath.Join(cut.OutDir, "report.html"), "the report is written on a stop")

			first := -1
			got, err := Resume(context.Background(), cut.OutDir, split, Options{Logger: quietLogger(), Hooks: Hooks{
				OnStep: func(s StepInfo) error {
					if first < 0 {
						first = s.Epoch*10 + s.Step
					}
					return nil
				},
			}})
			require.NoError(t, err)
			assert.Equal(t, 11, first, "resumed at epoch 1 step 1")
			require.Len(t, got.History, 3)
			for i := range want.History {
				assert.Equal(t, want.History[i].TrainLoss, got.History[i].TrainLoss, "epoch %d train loss", i)
				assert.Equal(t, want.History[i].ValDice, got.History[i].ValDice, "epoch %d val dice", i)
			}
			assert.Equal(t, weights(t, straight.OutDir), weights(t, cut.OutDir))
			dirs, err := epochCheckpoints(cut.OutDir)
			require.NoError(t, err)
			for _, d := range dirs {
				assert.NotContains(t, filepath.Base(d), "-step-", "the stop's checkpoint is pruned once its epoch ends")
			}
		})
	}
}
