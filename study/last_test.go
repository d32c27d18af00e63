package study

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/dskd"
)

// Spec.ScoreLast, turned on for a finished study, scores each run's
// last-epoch model without training again: the same numbers as scoring
// that checkpoint by hand, paired with the kept model per arm; a run that
// keeps its last epoch reports its own scores.
func TestStudyScoresTheLastEpoch(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 12, 32)
	spec := tinyStudy(dataDir)
	spec.Config.Epochs = 3
	spec.Config.PickThreshold = true
	spec.Presets = []string{"unet"}
	last, err := ParseArm("keep-last=unet;select=last")
	require.NoError(t, err)
	spec.Arms = []Arm{last}
	spec.Baseline = "unet"
	dir := t.TempDir()
	first, err := Run(context.Background(), dir, spec, Options{Jobs: 2, Threads: 2, Logger: quietLogger()})
	require.NoError(t, err)
	require.Len(t, first.Rows, 4)
	for _, r := range first.Rows {
		assert.Nil(t, r.Last)
	}
	metricsFile := filepath.Join(dir, "runs", "unet", "fold-0_seed-1", "metrics.csv")
	trained, err := os.Stat(metricsFile)
	require.NoError(t, err)

	spec.ScoreLast = true
	res, err := Run(context.Background(), dir, spec, Options{Jobs: 2, Threads: 2, Logger: quietLogger()})
	require.NoError(t, err)
	require.Len(t, res.Rows, 4)
	again, err := os.Stat(metricsFile)
	require.NoError(t, err)
	assert.Equal(t, trained.ModTime(), again.ModTime(), "nothing trains again")
	for i, r := range res.Rows {
		assert.Equal(t, first.Rows[i].Scores, r.Scores, "the kept model's scores stay")
		require.NotNil(t, r.Last, r.Dir)
		assert.Equal(t, 2, r.LastEpoch, r.Dir)
		if r.Arm == "keep-last" {
			assert.Equal(t, r.Scores, r.Last, "a run that keeps its last epoch reports it")
			assert.Equal(t, r.Threshold, r.LastThreshold)
		}
	}

	// By hand: the unet run of fold 0, its newest checkpoint, threshold
	// picked on the same validation carve.
	row := res.Rows[0]
	require.Equal(t, "unet", row.Arm)
	_, job := findJob(t, dir, spec, "unet/fold-0_seed-1")
	ck, err := dskd.LatestCheckpoint(filepath.Join(dir, row.Dir))
	require.NoError(t, err)
	assert.Equal(t, "epoch-0002", filepath.Base(ck))
	byHand, err := dskd.LoadEnsemble([]string{ck}, dskd.PredictOptions{Threads: 2})
	require.NoError(t, err)
	defer byHand.Close()
	th, valDice, err := byHand.PickThreshold(job.split.Val)
	require.NoError(t, err)
	test, err := byHand.Evaluate(job.split.Test, true)
	require.NoError(t, err)
	assert.Equal(t, th, row.LastThreshold)
	assert.Equal(t, valDice, row.Last["val_dice"])
	assert.Equal(t, scoresOf(test), withoutKey(row.Last, "val_dice"))

	// The comparison is last − kept, paired by run.
	var unetDice *Comparison
	for i, c := range res.LastComparisons {
		if c.Arm == "unet, last epoch" && c.Score == "dice_pooled" {
			unetDice = &res.LastComparisons[i]
		}
	}
	require.NotNil(t, unetDice)
	assert.Equal(t, "unet, best on validation", unetDice.Baseline)
	assert.Equal(t, 2, unetDice.Pairs)
	var want float64
	for _, r := range res.Rows {
		if r.Arm == "unet" {
			want += (r.Last["dice_pooled"] - r.Scores["dice_pooled"]) / 2
		}
	}
	assert.InDelta(t, want, unetDice.Mean, 1e-12)

	// Between arms: every arm's last epoch against its baseline's last
	// epoch, paired by fold and seed.
	var between *Comparison
	for i, c := range res.Comparisons {
		if c.Score == "last_dice_pooled" {
			between = &res.Comparisons[i]
		}
	}
	require.NotNil(t, between)
	assert.Equal(t, "keep-last", between.Arm)
	assert.Equal(t, "unet", between.Baseline)
	want = 0
	for _, r := range res.Rows {
		sign := map[string]float64{"unet": -1, "keep-last": 1}[r.Arm]
		want += sign * r.Last["dice_pooled"] / 2
	}
	assert.InDelta(t, want, between.Mean, 1e-12)

	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	require.NoError(t, err)
	assert.Contains(t, string(md), "## The last epoch's model, held-out fold")
	assert.Contains(t, string(md), "### Paired differences, arm − baseline (same fold and seed), last-epoch models")
	assert.Contains(t, string(md), "| keep-last | unet | Dice (pooled) | 2 | "+fmtSigned(between.Mean)+" |")
	assert.Contains(t, string(md), "| unet, last epoch | unet, best on validation | Dice (pooled) | 2 | "+fmtSigned(unetDice.Mean)+" |")
	assert.NotContains(t, string(md), "keep-last, last epoch", "an arm that keeps its last epoch has nothing to compare")
	assert.Len(t, res.LastComparisons, len(lastScoreKeys))
	page := res.htmlStudy()
	require.Len(t, page.Rows, 2)
	assert.Equal(t, "last epoch − kept model: Dice [95 % interval], last ahead / behind / level", page.Columns[len(page.Columns)-1])
	assert.Equal(t, fmt.Sprintf("%s [%s, %s], %s", fmtSigned(unetDice.Mean), fmtSigned(unetDice.Lo), fmtSigned(unetDice.Hi), unetDice.tally()),
		page.Rows[0][len(page.Rows[0])-1])
	assert.Empty(t, page.Rows[1][len(page.Rows[1])-1], "keep-last has nothing to compare")
	lines := readCSV(t, filepath.Join(dir, CSVFile))
	header := lines[0]
	assert.Contains(t, header, "last_dice_pooled")
	assert.Contains(t, header, "last_epoch")
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	assert.Equal(t, "2", lines[1][col["last_epoch"]])
	assert.Equal(t, csvFloat(row.Last["dice_pooled"]), lines[1][col["last_dice_pooled"]])

	// Scored once: a third call changes nothing.
	resultFile := filepath.Join(dir, row.Dir, studyResultFile)
	before, err := os.Stat(resultFile)
	require.NoError(t, err)
	_, err = Run(context.Background(), dir, spec, Options{Logger: quietLogger()})
	require.NoError(t, err)
	after, err := os.Stat(resultFile)
	require.NoError(t, err)
	assert.Equal(t, before.ModTime(), after.ModTime())

	// A run without checkpoints (reused from a snapshot) is named.
	gone := filepath.Join(dir, "runs", "unet", "fold-1_seed-1")
	require.NoError(t, os.RemoveAll(filepath.Join(gone, "checkpoints")))
	var stale Row
	require.NoError(t, readJSONFile(filepath.Join(gone, studyResultFile), &stale))
	stale.Last = nil
	require.NoError(t, writeJSON(filepath.Join(gone, studyResultFile), stale))
	_, err = Run(context.Background(), dir, spec, Options{Logger: quietLogger()})
	assert.ErrorContains(t, err, "run unet/fold-1_seed-1 has no last-epoch checkpoint to score")
}
