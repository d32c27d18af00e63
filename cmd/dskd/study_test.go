package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/metrics"
	"github.com/angioseg/dskd/study"
)

// `dskd study` end to end on generated data: one tiny run trained on a
// DCA1 layout (training ids only) and scored on an XCAD layout; the study
// folder alone then reports; a changed grid is refused.
func TestStudyCommand(t *testing.T) {
	root := t.TempDir()
	dca1, xcad, dir := filepath.Join(root, "dca1"), filepath.Join(root, "xcad"), filepath.Join(root, "study")
	require.NoError(t, SyntheticDCA1(10, 2, 64, 3)(dca1))
	require.NoError(t, synth.WriteXCAD(xcad, 3, 0, 80, 5))
	args := []string{"--dir", dir, "--dataset", "dca1", "--data", dca1, "--folds", "2", "--fold-ids", "0", "--presets", "unet", "--seeds", "3",
		"--set", "epochs=1", "--set", "model.base=4", "--set", "model.depth=2", "--set", "crop_size=-1", "--set", "overlays=-1",
		"--threads", "2", "--cross-data", xcad, "--cross-layout", "xcad"}
	var out bytes.Buffer
	require.NoError(t, Study(args, &out))
	text := out.String()
	assert.Contains(t, text, "dca1 layout at `"+dca1+"`, 10 samples (training ids 1-100; the test ids are never used)")
	assert.Contains(t, text, "Finished runs: 1 of 1.")
	assert.Contains(t, text, "## Cross-domain: xcad layout at `"+xcad+"`, all 3 labelled images")

	runDir := filepath.Join(dir, "runs", "unet", "fold-0_seed-3")
	silent := zerolog.New(io.Discard)
	res, err := study.Run(t.Context(), dir, mustSpec(t, dir), study.Options{ReportOnly: true, Logger: &silent})
	require.NoError(t, err)
	require.Len(t, res.Rows, 1)
	row := res.Rows[0]
	assert.Equal(t, 10, res.PoolSize, "ids 101 and 102 are not in the pool")
	assert.Equal(t, 1, row.Epochs)
	assert.Equal(t, 4, res.Runs[0].Config.Model.Base)
	assert.Equal(t, runDir, res.Runs[0].Config.OutDir)

	// The cross-domain columns are what an independent evaluation of the
	// run's best model on every labelled XCAD image gives.
	p, err := dskd.LoadPredictor(runDir, dskd.PredictOptions{Threads: 1})
	require.NoError(t, err)
	x, err := data.OpenXCAD(xcad)
	require.NoError(t, err)
	ev, err := p.Evaluate(x.Labelled, true)
	p.Close()
	require.NoError(t, err)
	dice, _ := ev.Get(metrics.MetricDice)
	assert.Equal(t, dice.Pooled, row.Score("cross_dice_pooled"))
	assert.Equal(t, dice.Mean, row.Score("cross_dice_mean"))
	csvText, err := os.ReadFile(filepath.Join(dir, study.CSVFile))
	require.NoError(t, err)
	assert.Contains(t, string(csvText), "cross_dice_pooled")

	// --dir alone: the saved spec, nothing trained again.
	stamp := modTime(t, filepath.Join(runDir, "metrics.csv"))
	out.Reset()
	require.NoError(t, Study([]string{"--dir", dir}, &out))
	assert.Equal(t, text, out.String())
	assert.Equal(t, stamp, modTime(t, filepath.Join(runDir, "metrics.csv")))

	// Replacing the overrides changes every run's configuration: refused.
	err = Study([]string{"--dir", dir, "--set", "model.base=8"}, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "model.base: 4 -> 8")
	// --into --brief: the one-table summary between the study's markers.
	readme := filepath.Join(root, "README.md")
	out.Reset()
	require.NoError(t, Study([]string{"--dir", dir, "--report", "--into", readme, "--brief"}, &out))
	page, err := os.ReadFile(readme)
	require.NoError(t, err)
	assert.Contains(t, string(page), "<!-- dskd study: study -->\ndca1 layout, 10 samples, 2-fold cross-validation (folds 0), seeds 3; finished runs: 1 of 1.")
	assert.Contains(t, string(page), "| unet | 1 | ")
	assert.NotContains(t, string(page), "Per-image mean", "the full tables stay in results.md")
	assert.ErrorContains(t, Study([]string{"--dir", dir, "--brief"}, &out), "--brief needs --into")

	assert.Error(t, Study([]string{"--dir", filepath.Join(root, "empty")}, &out), "no saved spec and no --data")
	assert.ErrorContains(t, Study([]string{"--dir", dir, "--set", "seed=1,2"}, &out), "use seeds")

	// --score-last on the finished study: saved, the last epoch scored,
	// nothing trained again.
	out.Reset()
	require.NoError(t, Study([]string{"--dir", dir, "--score-last"}, &out))
	assert.True(t, mustSpec(t, dir).ScoreLast)
	assert.Contains(t, out.String(), "## The last epoch's model, held-out fold")
	assert.Equal(t, stamp, modTime(t, filepath.Join(runDir, "metrics.csv")))
	res, err = study.Run(t.Context(), dir, mustSpec(t, dir), study.Options{ReportOnly: true, Logger: &silent})
	require.NoError(t, err)
	assert.Equal(t, 0, res.Rows[0].LastEpoch, "one epoch: the last is the kept one")
	assert.Equal(t, row.Score("dice_pooled"), res.Rows[0].Score("last_dice_pooled"))
}

func mustSpec(t *testing.T, dir string) study.Spec {
	t.Helper()
	s, err := study.LoadSpec(dir)
	require.NoError(t, err)
	return s
}

func modTime(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	return st.ModTime().UnixNano()
}

// --reuse takes comma-separated folders, and a repeated flag adds to them.
func TestReuseFlagsAccumulate(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var r reuseFlags
	fs.Var(&r, "reuse", "")
	require.NoError(t, fs.Parse([]string{"--reuse", "a,b", "--reuse", "c", "--reuse", ","}))
	assert.Equal(t, reuseFlags{"a", "b", "c"}, r)
}
