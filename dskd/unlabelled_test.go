package dskd

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
)

// semiConfig keeps 4 labels and learns from the other frames.
func semiConfig(t *testing.T, epochs int) Config {
	cfg := tinyConfig(t, epochs)
	cfg.Labels = 4
	cfg.Unlabelled = &UnlabelledConfig{Ratio: 2, BatchSize: 2, RampEpochs: -1}
	return cfg
}

// From the teacher's first epoch on, every step adds the unlabelled
// terms; before it there are none. Labels keeps 4 masks for training.
func TestSemiSupervisedRunLearnsFromUnlabelledFrames(t *testing.T) {
	split := syntheticSplit(t, 16, 48)
	cfg := semiConfig(t, 3)
	var trainSizes []int
	res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger(), Hooks: Hooks{
		OnStep: func(s StepInfo) error {
			if s.Step == 0 {
				trainSizes = append(trainSizes, s.Steps)
			}
			return nil
		},
	}})
	require.NoError(t, err)
	require.Len(t, res.History, 3)
	_, before := res.History[0].Parts[losses.TermUnlabelledPSDL]
	assert.False(t, before, "epoch 0 has no teacher, so no unlabelled term")
	for _, h := range res.History[1:] {
		kd, ok := h.Parts[losses.TermUnlabelledPSDL]
		require.True(t, ok, "epoch %d logs the unlabelled PSDL", h.Epoch)
		assert.Greater(t, kd, 0.0)
		_, ok = h.Parts[losses.TermUnlabelledDDL]
		assert.True(t, ok)
	}
	assert.Equal(t, []int{1, 1, 1}, trainSizes, "4 labelled images at batch 4: one labelled step per epoch")
}

// pixel "dice" without DDL: the run logs u_dice, and u_ddl as 0.
func TestSemiSupervisedDiceTerm(t *testing.T) {
	cfg := semiConfig(t, 2)
	cfg.Unlabelled.Pixel, cfg.Unlabelled.Terms = losses.UnlabelledDice, losses.UnlabelledPSDLOnly
	res, err := Train(context.Background(), cfg, syntheticSplit(t, 16, 48), Options{Logger: quietLogger()})
	require.NoError(t, err)
	require.Len(t, res.History, 2)
	parts := res.History[1].Parts
	_, bce := parts[losses.TermUnlabelledPSDL]
	assert.False(t, bce, "no BCE term with pixel dice")
	assert.Greater(t, parts[losses.TermUnlabelledDice], 0.0)
	assert.Less(t, parts[losses.TermUnlabelledDice], 1.0)
	assert.Equal(t, 0.0, parts[losses.TermUnlabelledDDL], "terms psdl leaves DDL out")
}

// A semi-supervised run stopped between two steps resumes exactly, with
// either teacher: the unlabelled stream continues where it stood.
func TestSemiSupervisedResumeIsExact(t *testing.T) {
	for _, teacher := range []Teacher{TeacherPreviousEpoch, TeacherEMA} {
		t.Run(string(teacher), func(t *testing.T) { semiResumeIsExact(t, teacher) })
	}
}

// semiResumeIsExact stops a semi-supervised run with teacher at epoch 1
// step 1, resumes it, and compares with the uninterrupted run.
func semiResumeIsExact(t *testing.T, teacher Teacher) {
	split := syntheticSplit(t, 24, 48)
	straight := semiConfig(t, 3)
	straight.Labels = 8 // two labelled steps per epoch
	straight.Teacher = teacher
	if teacher == TeacherEMA {
		straight.EMADecay = 0.9 // a teacher that moves within these few steps
	}
	want, err := Train(context.Background(), straight, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	cut := straight
	cut.OutDir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = Train(ctx, cut, split, Options{Logger: quietLogger(), Hooks: Hooks{
		OnStep: func(s StepInfo) error {
			if s.Epoch == 1 && s.Step == 0 {
				cancel()
			}
			return nil
		},
	}})
	var stopped *Interrupted
	require.ErrorAs(t, err, &stopped)
	require.Equal(t, 1, stopped.Step)
	got, err := Resume(context.Background(), cut.OutDir, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	for i := range want.History {
		assert.Equal(t, want.History[i].TrainLoss, got.History[i].TrainLoss, "epoch %d", i)
		assert.Equal(t, want.History[i].Parts, got.History[i].Parts, "epoch %d", i)
	}
	assert.Equal(t, weights(t, straight.OutDir), weights(t, cut.OutDir))
}

func TestUnlabelledOptionsAreChecked(t *testing.T) {
	cfg := tinyConfig(t, 1)
	cfg.Unlabelled = &UnlabelledConfig{Ratio: -1}
	_, err := cfg.WithDefaults()
	assert.ErrorContains(t, err, "dskd: config: unlabelled.ratio -1: must be >= 1")
	cfg.Unlabelled = &UnlabelledConfig{Confidence: 0.2}
	_, err = cfg.WithDefaults()
	assert.ErrorContains(t, err, "unlabelled.confidence 0.2")
	cfg.Unlabelled = &UnlabelledConfig{Terms: "kd"}
	_, err = cfg.WithDefaults()
	assert.ErrorContains(t, err, `dskd: config: unlabelled.terms "kd"`)
	cfg.Unlabelled = &UnlabelledConfig{Pixel: "mse"}
	_, err = cfg.WithDefaults()
	assert.ErrorContains(t, err, `dskd: config: unlabelled.pixel "mse"`)
	assert.Equal(t, losses.UnlabelledPSDLOnly, UnlabelledConfig{Terms: "psdl"}.objective().Terms, "terms reaches the objective")
	assert.Equal(t, losses.UnlabelledDice, UnlabelledConfig{Pixel: "dice"}.objective().Pixel, "pixel reaches the objective")
	cfg.Unlabelled = &UnlabelledConfig{}
	c, err := cfg.WithDefaults()
	require.NoError(t, err)
	assert.Empty(t, c.Unlabelled.Terms, `"" stays "": saved configs and study hashes of earlier runs stay`)
	assert.Equal(t, 1, c.Unlabelled.Ratio)
	assert.Equal(t, c.BatchSize, c.Unlabelled.BatchSize)
	assert.Equal(t, 10, c.Unlabelled.RampEpochs)
	require.NotNil(t, c.Unlabelled.Strong)
	assert.Nil(t, cfg.Unlabelled.Strong, "the caller's config is not changed")
	cfg.Unlabelled = nil
	cfg.Labels = -2
	_, err = cfg.WithDefaults()
	assert.ErrorContains(t, err, "dskd: config: labels -2")
}

// unlabelled.student_bn "batch": the strong views leave the running
// statistics alone. At epoch 1 step 0 (the first step with unlabelled
// frames; the weights are still those of the supervised twin, since
// epoch 0 has no teacher) the statistics then equal the supervised run's,
// which only saw the labelled batch; with "train" they do not.
func TestStudentBNBatchLeavesRunningStatistics(t *testing.T) {
	split := syntheticSplit(t, 16, 48)
	statsAt := func(u *UnlabelledConfig) string {
		cfg := semiConfig(t, 2)
		cfg.Unlabelled = u
		var h string
		_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger(), Hooks: Hooks{
			OnStep: func(s StepInfo) error {
				if s.Epoch == 1 && s.Step == 0 {
					h = runningStatsHash(s.Student)
				}
				return nil
			},
		}})
		require.NoError(t, err)
		require.NotEmpty(t, h)
		return h
	}
	supervised := statsAt(nil)
	assert.Equal(t, supervised, statsAt(&UnlabelledConfig{Ratio: 2, BatchSize: 2, RampEpochs: -1, StudentBN: StudentBNBatch}))
	assert.NotEqual(t, supervised, statsAt(&UnlabelledConfig{Ratio: 2, BatchSize: 2, RampEpochs: -1}))

	cfg := tinyConfig(t, 1)
	cfg.Unlabelled = &UnlabelledConfig{StudentBN: "eval"}
	_, err := cfg.WithDefaults()
	assert.EqualError(t, err, `dskd: config: unlabelled.student_bn "eval": want "train" or "batch"`)
}

// runningStatsHash hashes a model's BatchNorm running statistics (on the
// training thread).
func runningStatsHash(m models.Model) string {
	s := aten.NewScope()
	defer s.Close()
	w := map[string][]float64{}
	for _, v := range aten.Vars(m.VarStore()) {
		if !v.Trainable {
			w[v.Name] = s.Float64s(v.T)
		}
	}
	if err := s.Err(); err != nil {
		return err.Error()
	}
	return hashValues(w)
}
