package study

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/dskd"
)

// A study with Ensembles scores each arm × fold's seed ensemble once all
// its seeds have finished, keeps it while its members stay the same, and
// scores it again when one changes.
func TestStudyScoresSeedEnsembles(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 12, 32)
	spec := tinyStudy(dataDir)
	spec.Config.Epochs = 2
	spec.Config.PickThreshold = true
	spec.Seeds = []int64{1, 2}
	spec.Ensembles = true
	dir := t.TempDir()
	res, err := Run(context.Background(), dir, spec, Options{Jobs: 2, Threads: 2, Logger: quietLogger()})
	require.NoError(t, err)
	require.Len(t, res.Rows, 8)
	require.Len(t, res.Ensembles, 4, "2 arms × 2 folds")

	rowDice := map[string]float64{}
	for _, r := range res.Rows {
		rowDice[pairKey(r.Arm, r.Fold, r.Seed)] = r.Score("dice_pooled")
	}
	ensDice := map[string]float64{}
	for i, e := range res.Ensembles {
		assert.Equal(t, []string{"unet", "unet", "dskd", "dskd"}[i], e.Arm)
		assert.Equal(t, []int{0, 1, 0, 1}[i], e.Fold)
		assert.Equal(t, []int64{1, 2}, e.Seeds)
		assert.Equal(t, []string{filepath.Join("runs", e.Arm, "fold-"+strconv.Itoa(e.Fold)+"_seed-1"), filepath.Join("runs", e.Arm, "fold-"+strconv.Itoa(e.Fold)+"_seed-2")}, e.Runs)
		assert.True(t, e.ThresholdPicked)
		assert.Greater(t, e.Threshold, 0.0)
		assert.Less(t, e.Threshold, 1.0)
		for _, k := range []string{"dice_pooled", "auc_pooled", "cldice_pooled", "val_dice"} {
			assert.False(t, math.IsNaN(e.Score(k)), "%s of %s/fold-%d", k, e.Arm, e.Fold)
		}
		assert.FileExists(t, filepath.Join(dir, EnsemblesDir, e.Arm, "fold-"+strconv.Itoa(e.Fold)+".json"))
		ensDice[ensembleMapKey(e.Arm, e.Fold)] = e.Score("dice_pooled")
	}

	// The same members, scored as an ensemble by hand, give the same numbers.
	e0 := res.Ensembles[0]
	byHand, err := dskd.LoadEnsemble([]string{filepath.Join(dir, e0.Runs[0]), filepath.Join(dir, e0.Runs[1])}, dskd.PredictOptions{Threads: 2})
	require.NoError(t, err)
	defer byHand.Close()
	_, job := findJob(t, dir, spec, "unet/fold-0_seed-1")
	th, valDice, err := byHand.PickThreshold(job.split.Val)
	require.NoError(t, err)
	assert.Equal(t, e0.Threshold, th)
	assert.Equal(t, e0.Score("val_dice"), valDice)
	handRes, err := byHand.Evaluate(job.split.Test, true)
	require.NoError(t, err)
	assert.Equal(t, scoresOf(handRes), withoutKey(e0.Scores, "val_dice"))

	// Gains and comparisons are the paired differences, computed here by hand.
	for _, s := range res.EnsembleArms {
		require.Equal(t, 2, s.Folds)
		var gain, seeds float64
		for _, f := range []int{0, 1} {
			m := (rowDice[pairKey(s.Arm, f, 1)] + rowDice[pairKey(s.Arm, f, 2)]) / 2
			gain += (ensDice[ensembleMapKey(s.Arm, f)] - m) / 2
			seeds += m / 2
		}
		assert.InDelta(t, gain, s.Gain.Mean, 1e-12, s.Arm)
		assert.InDelta(t, seeds, s.SeedsDice.Mean, 1e-12, s.Arm)
		assert.Equal(t, 2, s.Gain.Pairs)
	}
	var dice *Comparison
	for i, c := range res.EnsembleComparisons {
		if c.Score == "dice_pooled" {
			dice = &res.EnsembleComparisons[i]
		}
	}
	require.NotNil(t, dice)
	assert.Equal(t, "dskd", dice.Arm)
	assert.Equal(t, "unet", dice.Baseline)
	assert.Equal(t, 2, dice.Pairs)
	want := (ensDice[ensembleMapKey("dskd", 0)] - ensDice[ensembleMapKey("unet", 0)] + ensDice[ensembleMapKey("dskd", 1)] - ensDice[ensembleMapKey("unet", 1)]) / 2
	assert.InDelta(t, want, dice.Mean, 1e-12)

	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	require.NoError(t, err)
	assert.Contains(t, string(md), "## Seed ensembles, held-out fold")
	assert.Contains(t, string(md), "### Paired differences of the seed ensembles")
	lines := readCSV(t, filepath.Join(dir, EnsemblesCSVFile))
	require.Len(t, lines, 5)
	assert.Equal(t, []string{"arm", "preset", "fold", "seeds", "threshold", "threshold_picked", "val_dice", "dice_pooled"}, lines[0][:8])
	assert.Equal(t, []string{"dskd", "dskd", "1", "1 2"}, lines[4][:4])

	// A second call scores nothing again; a report skips a missing ensemble,
	// a run scores it; a member whose row changed makes its ensemble stale.
	file := filepath.Join(dir, EnsemblesDir, "unet", "fold-0.json")
	before, err := os.Stat(file)
	require.NoError(t, err)
	again, err := Run(context.Background(), dir, spec, Options{Logger: quietLogger()})
	require.NoError(t, err)
	assert.Equal(t, res.Ensembles, again.Ensembles)
	after, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, before.ModTime(), after.ModTime(), "an ensemble whose members did not change is not scored again")

	require.NoError(t, os.Remove(file))
	rep, err := Run(context.Background(), dir, spec, Options{ReportOnly: true, Logger: quietLogger()})
	require.NoError(t, err)
	assert.Len(t, rep.Ensembles, 3, "a report scores nothing")
	assert.NoFileExists(t, file)

	var member Row
	memberFile := filepath.Join(dir, "runs", "unet", "fold-0_seed-2", studyResultFile)
	require.NoError(t, readJSONFile(memberFile, &member))
	member.BestEpoch = 1 - member.BestEpoch
	require.NoError(t, writeJSON(memberFile, member))
	rescored, err := Run(context.Background(), dir, spec, Options{Logger: quietLogger()})
	require.NoError(t, err)
	require.Len(t, rescored.Ensembles, 4)
	assert.NotEqual(t, e0.Key, rescored.Ensembles[0].Key, "a changed member changes the key")
	assert.Equal(t, e0.Scores, rescored.Ensembles[0].Scores, "the same models score the same")
	assert.FileExists(t, file)

	one := spec
	one.Seeds = []int64{1}
	_, err = Run(context.Background(), t.TempDir(), one, Options{ReportOnly: true, Logger: quietLogger()})
	assert.ErrorContains(t, err, "a seed ensemble needs two seeds or more")
}

// A fold's seed ensemble is scored as soon as its last seed finishes, by
// the job that trained it, so a study stopped in a later fold keeps it; a
// call that finds one missing scores it before training.
func TestStudyScoresEnsembleWhenItsSeedsFinish(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 12, 32)
	spec := tinyStudy(dataDir)
	spec.Config.Epochs = 1
	spec.Presets = []string{"unet"}
	spec.Seeds = []int64{1, 2}
	spec.Ensembles = true
	dir := t.TempDir()
	fold0 := filepath.Join(dir, EnsemblesDir, "unet", "fold-0.json")
	var seenAtFold1 []bool
	res, err := Run(context.Background(), dir, spec, Options{Jobs: 1, Threads: 2, Logger: quietLogger(),
		Hooks: func(r Job) dskd.Hooks {
			return dskd.Hooks{OnStep: func(dskd.StepInfo) error {
				if r.Fold != 1 {
					return nil
				}
				_, err := os.Stat(fold0)
				seenAtFold1 = append(seenAtFold1, err == nil)
				return dskd.ErrStop
			}}
		}})
	require.NoError(t, err)
	assert.True(t, res.Stopped)
	assert.Equal(t, []bool{true}, seenAtFold1, "fold 0's ensemble is on disk before fold 1 trains")
	require.Len(t, res.Ensembles, 1)
	assert.Equal(t, 0, res.Ensembles[0].Fold)
	assert.Equal(t, []int64{1, 2}, res.Ensembles[0].Seeds)
	assert.Len(t, res.Rows, 2)
	lines := readCSV(t, filepath.Join(dir, EnsemblesCSVFile))
	require.Len(t, lines, 2, "the report written on the stop lists it")
	assert.Equal(t, []string{"unet", "unet", "0", "1 2"}, lines[1][:4])

	// The next call scores a missing ensemble of finished seeds before it
	// trains anything.
	require.NoError(t, os.Remove(fold0))
	seenAtFold1 = nil
	res, err = Run(context.Background(), dir, spec, Options{Jobs: 1, Threads: 2, Logger: quietLogger(),
		Hooks: func(r Job) dskd.Hooks {
			return dskd.Hooks{OnStep: func(dskd.StepInfo) error {
				_, err := os.Stat(fold0)
				seenAtFold1 = append(seenAtFold1, err == nil)
				return dskd.ErrStop
			}}
		}})
	require.NoError(t, err)
	assert.True(t, res.Stopped)
	assert.Equal(t, []bool{true}, seenAtFold1)
	require.Len(t, res.Ensembles, 1)
}

func findJob(t *testing.T, dir string, spec Spec, id string) (int, Job) {
	t.Helper()
	spec, err := spec.WithDefaults()
	require.NoError(t, err)
	pool, err := openStudyPool(spec.Layout, spec.Data)
	require.NoError(t, err)
	runs, err := spec.grid(dir, pool, 1)
	require.NoError(t, err)
	for i, r := range runs {
		if r.ID() == id {
			return i, r
		}
	}
	t.Fatalf("no run %s", id)
	return 0, Job{}
}

func withoutKey(m map[string]float64, key string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	lines, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return lines
}
