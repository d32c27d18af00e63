package dskd

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/report"
)

// A finished run leaves split.json, overlays of exactly the worst and the
// best test image by Dice, and report.html built from the folder.
func TestRunFolderHoldsSplitOverlaysAndReport(t *testing.T) {
	dir := t.TempDir()
	writeSyntheticFolder(t, dir, 12, 64)
	samples, err := data.OpenFolder(dir)
	require.NoError(t, err)
	split := data.Split{Train: samples[:6], Val: samples[6:8], Test: samples[8:]}
	cfg := tinyConfig(t, 2)
	cfg.Overlays = 1
	res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	require.NotNil(t, res.Test)

	worst, best := "", ""
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, im := range res.Test.Images {
		if d := im.Scores.Dice; d < lo {
			lo, worst = d, im.Name
		}
		if d := im.Scores.Dice; d > hi {
			hi, best = d, im.Name
		}
	}
	require.NotEqual(t, worst, best, "the synthetic test images score differently (Dice %v .. %v)", lo, hi)
	overlays, err := filepath.Glob(filepath.Join(cfg.OutDir, "overlays", "*.png"))
	require.NoError(t, err)
	var got []string
	for _, p := range overlays {
		got = append(got, filepath.Base(p))
	}
	assert.ElementsMatch(t, []string{report.OverlayFileName(worst), report.OverlayFileName(best)}, got)

	var info report.SplitInfo
	b, err := os.ReadFile(filepath.Join(cfg.OutDir, report.SplitFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &info))
	assert.Equal(t, []string{samples[6].Name, samples[7].Name}, info.Val)
	assert.Len(t, info.Train, 6)
	assert.Len(t, info.Test, 4)
	assert.Empty(t, info.Excluded)

	page, err := os.ReadFile(filepath.Join(cfg.OutDir, report.ReportFile))
	require.NoError(t, err)
	html := string(page)
	assert.Contains(t, html, `id="metrics-table"`)
	assert.Contains(t, html, "finished: 2 of 2 epochs")
	assert.Equal(t, 2, strings.Count(html, `<img src="data:image/png;base64,`), "the two overlays, inline")
	assert.Contains(t, html, "<b>"+worst+"</b>")
}

// A corrupt file stops the run before its first step, with every bad file
// listed; SkipBad trains on the rest and lists what it left out.
func TestCorruptFilesFoundBeforeTraining(t *testing.T) {
	dir := t.TempDir()
	writeSyntheticFolder(t, dir, 10, 64)
	split, err := splitFromDir(dir)
	require.NoError(t, err)
	badTest, badTrain := split.Test[1], split.Train[2]
	for _, p := range []string{badTest.ImagePath, badTrain.MaskPath} {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, b[:len(b)/2], 0o644))
	}

	cfg := tinyConfig(t, 1)
	_, err = Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.Error(t, err)
	msg := err.Error()
	assert.True(t, strings.HasPrefix(msg, "dskd: data: 2 of 10 samples have unusable files:"), msg)
	assert.Contains(t, msg, "\n  train "+badTrain.Name+": "+badTrain.MaskPath+": decoding: ")
	assert.Contains(t, msg, "\n  test "+badTest.Name+": "+badTest.ImagePath+": decoding: ")
	assert.Contains(t, msg, "skip_bad (--skip-bad)")
	_, statErr := os.Stat(filepath.Join(cfg.OutDir, checkpointsDir))
	assert.True(t, os.IsNotExist(statErr), "nothing trained")

	cfg.SkipBad = true
	res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	require.NotNil(t, res.Test)
	assert.Len(t, res.Test.Images, 1, "one of the two test images left")
	var info report.SplitInfo
	b, err := os.ReadFile(filepath.Join(cfg.OutDir, report.SplitFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &info))
	require.Len(t, info.Excluded, 2)
	assert.Equal(t, []string{"train", badTrain.Name}, []string{info.Excluded[0].Split, info.Excluded[0].Name})
	assert.Equal(t, []string{"test", badTest.Name}, []string{info.Excluded[1].Split, info.Excluded[1].Name})
	assert.Contains(t, info.Excluded[1].Problem, badTest.ImagePath)
	assert.Len(t, info.Train, 5)
	assert.NotContains(t, info.Train, badTrain.Name)
	page, err := os.ReadFile(filepath.Join(cfg.OutDir, report.ReportFile))
	require.NoError(t, err)
	assert.Contains(t, string(page), "Left out by the data check (2)")
}

// A run that fails mid-way still leaves report.html, built from what the
// folder holds at that moment.
func TestFailedRunLeavesReport(t *testing.T) {
	split := syntheticSplit(t, 8, 64)
	cfg := tinyConfig(t, 3)
	boom := errors.New("boom")
	hooks := Hooks{OnEpochEnd: func(e EpochInfo) error {
		if e.Record.Epoch == 1 {
			return boom
		}
		return nil
	}}
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger(), Hooks: hooks})
	require.ErrorIs(t, err, boom)
	page, err := os.ReadFile(filepath.Join(cfg.OutDir, report.ReportFile))
	require.NoError(t, err)
	assert.Contains(t, string(page), "incomplete: 2 of 3 epochs, no final evaluation")
	assert.Contains(t, string(page), `id="epochs-table"`)
}
