package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/internal/browser"
	"github.com/angioseg/dskd/internal/cmdline/cmdtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(signalChildEnv) == "1" {
		signalChild()
	}
	cmdtest.Main(m, main)
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"train", "-h"}, {"eval", "-h"}, {"predict", "-h"}, {"report", "-h"}, {"train", "--help"}} {
		out, errOut, code := cmdtest.Run(t, args...)
		assert.Equal(t, 0, code, "%q", args)
		assert.Regexp(t, `^usage:(\n  | )dskd `, out, "%q", args)
		assert.Empty(t, errOut, "%q", args)
	}
	out, _, _ := cmdtest.Run(t, "predict", "-h")
	assert.Contains(t, out, "usage: dskd predict --run RUN [flags] IMAGE...\nflags may also follow the images")
	assert.Contains(t, out, "-tta")
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 1, "dskd: no subcommand given\nusage:"},
		{[]string{"bogus"}, 1, `dskd: unknown subcommand "bogus"`},
		{[]string{"train", "--bogus"}, 2, "flag provided but not defined: -bogus\nusage: dskd train"},
		{[]string{"train", "--epochs", "1", "runs/a"}, 1, `dskd: unexpected argument "runs/a" (dskd train takes flags only; -h lists them)` + "\n"},
		{[]string{"report"}, 1, "dskd: --run is required\n"},
		{[]string{"report", "--run", dir}, 1, "dskd: report: " + dir + " is not a run folder: it has neither config.json nor metrics.csv\n"},
		{[]string{"predict", "--run", dir}, 1, "dskd: predict: no image given\n"},
	} {
		_, errOut, code := cmdtest.Run(t, tc.args...)
		assert.Equal(t, tc.code, code, "%q", tc.args)
		assert.True(t, strings.HasPrefix(errOut, tc.stderr), "%q: stderr %q", tc.args, errOut)
	}
}

// End to end on a tiny generated DCA1 layout: a truncated test image
// stops `train` before the first step with one clear error; --skip-bad
// trains on the rest; the run folder's report.html renders in a real
// browser; `report` rewrites it; `predict` honours a flag after the image.
func TestTrainReportPredict(t *testing.T) {
	root := t.TempDir()
	dataDir, runDir := filepath.Join(root, "data"), filepath.Join(root, "run")
	ids := []int{1, 2, 3, 4, 5, 6, 7, 8, 101, 102, 103}
	require.NoError(t, synth.WriteDCA1(dataDir, ids, 64, 5))
	bad := filepath.Join(dataDir, "102.pgm")
	b, err := os.ReadFile(bad)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bad, b[:len(b)-500], 0o644))

	train := []string{"train", "--dataset", "dca1", "--data", dataDir, "--out", runDir, "--epochs", "2", "--base", "4",
		"--depth", "2", "--crop", "-1", "--threads", "2", "--quiet", "--val-count", "2"}
	_, errOut, code := cmdtest.Run(t, train...)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(errOut, "dskd: data: 1 of 11 samples have unusable files:\n  test 102: "+bad+": decoding: pgm: truncated pixel data"), errOut)
	assert.NotContains(t, errOut, "dskd: dskd:")
	assert.NoDirExists(t, filepath.Join(runDir, "checkpoints"), "stopped before training")

	_, errOut, code = cmdtest.Run(t, append(train, "--skip-bad")...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "left out: unusable file")
	page := filepath.Join(runDir, "report.html")
	require.FileExists(t, page)

	t.Run("browser", func(t *testing.T) {
		bin := browser.ForTest(t)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		p, err := browser.Render(ctx, bin, page, 1280, 1600)
		require.NoError(t, err)
		assert.Empty(t, p.Console, "console messages or script errors")
		assert.Contains(t, p.DOM, `<table id="metrics-table">`)
		assert.Contains(t, p.DOM, "<td>dice</td>")
		assert.Contains(t, p.DOM, `id="per-image-test"`)
		assert.Contains(t, p.DOM, "Left out by the data check (1)")
		colours, ink := browser.Ink(p.Screenshot)
		assert.Greater(t, colours, 50, "charts and tables in colour")
		assert.Greater(t, ink, 0.05, "not a blank page")
		if out := os.Getenv("DSKD_REPORT_SCREENSHOT"); out != "" {
			require.NoError(t, os.WriteFile(out, p.PNG, 0o644))
		}
	})

	require.NoError(t, os.Remove(page))
	out, errOut, code := cmdtest.Run(t, "report", "--run", runDir)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, page+"\n", out)
	assert.FileExists(t, page)

	preds := filepath.Join(root, "preds")
	img := filepath.Join(dataDir, "101.pgm")
	out, errOut, code = cmdtest.Run(t, "predict", "--run", runDir, "--out", preds, img, "--tta")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 1, strings.Count(out, "\n"), "one image predicted, --tta is not a file: %q", out)
	assert.True(t, strings.HasPrefix(out, img+" -> "), out)
	assert.FileExists(t, filepath.Join(preds, "101_prob.png"))

	// eval --on run-val / run-test: the samples the run's split.json names.
	out, errOut, code = cmdtest.Run(t, "eval", "--run", runDir, "--dataset", "dca1", "--data", dataDir, "--on", "run-val", "--tta-turns")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "run-val, epoch ")
	assert.Contains(t, out, "\n2 images, threshold")
	out, errOut, code = cmdtest.Run(t, "eval", "--run", runDir, "--dataset", "dca1", "--data", dataDir, "--on", "run-test")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "\n2 images, threshold", "101 and 103: 102 was left out")
	single := out[strings.Index(out, "\n"):]
	// The run and one of its checkpoints as an ensemble: the same held-out
	// images, scored on the mean of the two.
	out, errOut, code = cmdtest.Run(t, "eval", "--run", runDir, "--run", filepath.Join(runDir, "checkpoints", "epoch-0000"),
		"--dataset", "dca1", "--data", dataDir, "--on", "run-test")
	require.Equal(t, 0, code, errOut)
	assert.True(t, strings.HasPrefix(out, "run-test, mean of 2 models (epoch "), out)
	assert.Contains(t, out, "\n2 images, threshold")
	assert.NotEqual(t, single, out[strings.Index(out, "\n"):], "the mean of two different models scores differently")
	// --pick-threshold: picked on the runs' validation carve, then used.
	out, errOut, code = cmdtest.Run(t, "eval", "--run", runDir, "--run", filepath.Join(runDir, "checkpoints", "epoch-0000"),
		"--dataset", "dca1", "--data", dataDir, "--on", "run-test", "--pick-threshold")
	require.Equal(t, 0, code, errOut)
	picked := regexp.MustCompile(`^threshold (0\.\d\d) picked on the runs' 2 validation images \(pooled Dice \d\.\d{4}\)\n`).FindStringSubmatch(out)
	require.NotNil(t, picked, out)
	used := regexp.MustCompile(`\n2 images, threshold ([0-9.]+) `).FindStringSubmatch(out)
	require.NotNil(t, used, out)
	want, _ := strconv.ParseFloat(picked[1], 64)
	got, _ := strconv.ParseFloat(used[1], 64)
	assert.InDelta(t, want, got, 1e-6, "the picked threshold scores the test images")
	_, errOut, code = cmdtest.Run(t, "eval", "--run", runDir, "--dataset", "dca1", "--data", dataDir, "--on", "run-val", "--pick-threshold")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not with --threshold or --on run-val")
	other := filepath.Join(root, "other")
	require.NoError(t, synth.WriteDCA1(other, []int{50, 51, 104}, 32, 1))
	_, errOut, code = cmdtest.Run(t, "eval", "--run", runDir, "--dataset", "dca1", "--data", other, "--on", "run-test")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `--on run-test: `+filepath.Join(runDir, "split.json")+` names test sample "101", which --data does not have`)
}

// runSplitSamples finds the names of split.json in the pool, and names
// the one it cannot find.
func TestRunSplitSamples(t *testing.T) {
	run := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(run, "split.json"), []byte(`{"train":["1"],"val":["2"],"test":["4","3"]}`), 0o644))
	pool := []data.Sample{{Name: "1"}, {Name: "2"}, {Name: "3"}, {Name: "4"}}
	got, err := runSplitSamples(run, "test", pool)
	require.NoError(t, err)
	assert.Equal(t, []data.Sample{{Name: "4"}, {Name: "3"}}, got, "split.json's order")
	got, err = runSplitSamples(run, "val", pool)
	require.NoError(t, err)
	assert.Equal(t, []data.Sample{{Name: "2"}}, got)
	_, err = runSplitSamples(run, "test", pool[:3])
	assert.ErrorContains(t, err, `names test sample "4", which --data does not have`)

	// An ensemble's runs must hold out the same samples.
	same, other := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(same, "split.json"), []byte(`{"train":["2"],"val":["1"],"test":["4","3"]}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(other, "split.json"), []byte(`{"train":["1"],"val":["2"],"test":["3","4"]}`), 0o644))
	got, err = sharedSplitSamples([]string{run, same}, "test", pool)
	require.NoError(t, err)
	assert.Equal(t, []data.Sample{{Name: "4"}, {Name: "3"}}, got)
	_, err = sharedSplitSamples([]string{run, same}, "val", pool)
	assert.ErrorContains(t, err, "hold out different val samples")
	_, err = sharedSplitSamples([]string{run, other}, "test", pool)
	assert.ErrorContains(t, err, run+" and "+other+" hold out different test samples", "the order counts too")
}

// --unlabelled-ids and --unlabelled-data name frames without masks: the
// run learns from them with dskd.RecommendedUnlabelled, records the
// flags, and resumes from the folder alone.
func TestTrainWithUnlabelledFrames(t *testing.T) {
	root := t.TempDir()
	dataDir, framesDir, runDir := filepath.Join(root, "data"), filepath.Join(root, "frames"), filepath.Join(root, "run")
	require.NoError(t, synth.WriteDCA1(dataDir, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 48, 5))
	require.NoError(t, synth.WriteDCA1(framesDir, []int{20, 21, 22}, 48, 6))
	masks, err := filepath.Glob(filepath.Join(framesDir, "*_gt.pgm"))
	require.NoError(t, err)
	for _, m := range masks {
		require.NoError(t, os.Remove(m))
	}
	train := []string{"train", "--dataset", "dca1", "--data", dataDir, "--out", runDir, "--epochs", "2", "--base", "4",
		"--depth", "2", "--crop", "-1", "--threads", "2", "--quiet", "--val-count", "2",
		"--unlabelled-ids", "3, 4", "--unlabelled-data", framesDir}
	_, errOut, code := cmdtest.Run(t, train...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "note: learning from 5 unlabelled frames with the soft-Dice pixel term alone")
	csv, err := os.ReadFile(filepath.Join(runDir, "metrics.csv"))
	require.NoError(t, err)
	assert.Contains(t, strings.SplitN(string(csv), "\n", 2)[0], "u_dice")
	saved, err := os.ReadFile(filepath.Join(runDir, "config.json"))
	require.NoError(t, err)
	assert.Contains(t, string(saved), `"pixel": "dice"`, "the filled setting is saved, so resume keeps it")
	rec, err := os.ReadFile(filepath.Join(runDir, datasetFile))
	require.NoError(t, err)
	assert.Contains(t, string(rec), `"unlabelled_data": "`+framesDir+`"`)
	assert.Contains(t, string(rec), `"unlabelled_ids": "3, 4"`)

	_, errOut, code = cmdtest.Run(t, "train", "--resume", "--out", runDir, "--epochs", "3", "--quiet")
	require.Equal(t, 0, code, errOut)

	_, errOut, code = cmdtest.Run(t, append(train[:len(train)-4], "--out", filepath.Join(root, "bad"), "--unlabelled-ids", "3,99")...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `dskd: --unlabelled-ids: data: Unlabel: "99" is not a training sample`)
}

// `dskd gradnorms` summarises a run's grad_norms.csv.
func TestGradNormsSummary(t *testing.T) {
	run := t.TempDir()
	csv := "epoch,step,term,weight,group,norm,cos_dice,cos_total\n" +
		"0,0,dice,1,all,2,1,0.5\n0,0,total,1,all,3,0.5,1\n1,0,dice,1,all,4,1,0.7\n1,0,ddl,0.5,all,1,-0.2,NaN\n"
	require.NoError(t, os.WriteFile(filepath.Join(run, "grad_norms.csv"), []byte(csv), 0o644))
	out, errOut, code := cmdtest.Run(t, "gradnorms", "--run", run, "--spans", "1")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "| 0–1 | dice | 2 | 1 | 3 | +1.000 | +0.600 | 0 % |\n| 0–1 | ddl | 1 | 0.5 | 1 | -0.200 | – | 100 % |\n| 0–1 | total | 1 | 1 | 3 | +0.500 | +1.000 | 0 % |\n")
	_, errOut, code = cmdtest.Run(t, "gradnorms", "--run", run, "--group", "side7")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `no rows for group "side7"`)
	_, errOut, code = cmdtest.Run(t, "gradnorms", "--run", t.TempDir())
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "grad_norms.csv: no such file")
}
