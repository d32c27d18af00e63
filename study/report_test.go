package study

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Three folds, one seed, two arms, made-up scores:
//
//	fold   unet  dskd  dskd − unet
//	0      0.70  0.72  +0.02
//	1      0.80  0.79  −0.01
//	2      0.75  0.80  +0.05
//
// unet 0.75 ± 0.05; dskd 0.77 ± sqrt((0.05²+0.02²+0.03²)/2) = 0.0436;
// mean difference +0.02, 2 wins and 1 loss. Each fold is drawn with
// probability 1/3 three times: all three the −0.01 fold (or all the
// +0.05 one) has probability 1/27 = 3.7 % > 2.5 %, so the 95 % interval
// is [−0.01, +0.05] exactly.
func TestStudyReportNumbersByHand(t *testing.T) {
	spec, err := Spec{Layout: LayoutDCA1, Data: "d", Folds: 3, Presets: []string{"unet", "dskd"}, Seeds: []int64{9}}.WithDefaults()
	require.NoError(t, err)
	arms := spec.arms()
	base, err := baselines(spec, arms)
	require.NoError(t, err)
	rows := map[string]Row{}
	scores := map[string][]float64{"unet": {0.70, 0.80, 0.75}, "dskd": {0.72, 0.79, 0.80}}
	for arm, vs := range scores {
		for fold, v := range vs {
			rows[pairKey(arm, fold, 9)] = Row{Arm: arm, Preset: arm, Fold: fold, Seed: 9, BestEpoch: fold * 2, Epochs: 10,
				Threshold: 0.5, Scores: map[string]float64{"dice_pooled": v, "dice_mean": v - 0.01, "val_dice": 0.6}, WallSeconds: 10 * float64(fold+1)}
		}
	}
	res := &Result{Spec: spec, PoolSize: 97}
	res.aggregate(arms, base, rows)

	require.Len(t, res.Rows, 6)
	assert.Equal(t, "unet", res.Rows[0].Arm, "rows by arm, then fold")
	assert.Equal(t, 2, res.Rows[2].Fold)
	unet, dskd := res.Arms[0].Scores["dice_pooled"], res.Arms[1].Scores["dice_pooled"]
	assert.InDelta(t, 0.75, unet.Mean, 1e-12)
	assert.InDelta(t, 0.05, unet.Std, 1e-12)
	assert.InDelta(t, 0.77, dskd.Mean, 1e-12)
	assert.InDelta(t, math.Sqrt(0.0038/2), dskd.Std, 1e-12)
	assert.Equal(t, 3, dskd.N)
	assert.True(t, math.IsNaN(res.Arms[0].Scores["auc_pooled"].Mean), "no AUC given")
	assert.InDelta(t, 2.0, res.Arms[0].BestEpoch.Mean, 1e-12)
	assert.InDelta(t, 20.0, res.Arms[0].WallSeconds.Mean, 1e-12)

	var dice *Comparison
	for i, c := range res.Comparisons {
		if c.Score == "dice_pooled" {
			dice = &res.Comparisons[i]
		}
	}
	require.NotNil(t, dice)
	assert.Equal(t, "dskd", dice.Arm)
	assert.Equal(t, "unet", dice.Baseline)
	assert.Equal(t, "fold", dice.Unit)
	assert.InDelta(t, 0.02, dice.Mean, 1e-12)
	assert.InDelta(t, -0.01, dice.Lo, 1e-12)
	assert.InDelta(t, 0.05, dice.Hi, 1e-12)
	assert.Equal(t, [3]int{2, 1, 0}, [3]int{dice.Wins, dice.Losses, dice.Ties})

	var md bytes.Buffer
	require.NoError(t, res.WriteMarkdown(&md))
	text := md.String()
	assert.Contains(t, text, "| unet | 3 | 0.7500 ± 0.0500 |")
	assert.Contains(t, text, "| dskd | 3 | 0.7700 ± 0.0436 |")
	assert.Contains(t, text, "| dskd | unet | Dice (pooled) | 3 | +0.0200 | [-0.0100, +0.0500] | 2 / 1 / 0 |")
	assert.Contains(t, text, "| dskd | unet | Dice (per-image mean) | 3 | +0.0200 |")
	assert.Contains(t, text, "| dskd | unet | AUC (pooled) | 0 | – | [–, –] | 0 / 0 / 0 |")
	assert.Contains(t, text, "Finished runs: 6 of 0.")
	assert.Contains(t, text, "10000 resamples, seed 1")

	var brief bytes.Buffer
	require.NoError(t, res.WriteBrief(&brief))
	assert.Equal(t, "dca1 layout, 97 samples, 3-fold cross-validation (folds 0, 1, 2), seeds 9; finished runs: 6 of 0. "+
		"Held-out fold, pooled over its pixels, mean ± std over runs; the difference is paired (same fold and seed), with a 95 % bootstrap interval of its mean.\n\n"+
		"| arm | runs | Dice | clDice | Sen | Pre | AUC | Dice − baseline [95 % interval] | wins / losses / ties |\n"+
		"|---|---|---|---|---|---|---|---|---|\n"+
		"| unet | 3 | 0.7500 ± 0.0500 | – | – | – | – | | |\n"+
		"| dskd | 3 | 0.7700 ± 0.0436 | – | – | – | – | +0.0200 [-0.0100, +0.0500] vs unet | 2 / 1 / 0 |\n", brief.String())
	res.Dir = filepath.Join(t.TempDir(), "cv")
	readme := filepath.Join(t.TempDir(), "README.md")
	require.NoError(t, os.WriteFile(readme, []byte("# Tool\n\n<!-- dskd study: cv -->\nold\n<!-- end of dskd study: cv -->\n\nMore.\n"), 0o644))
	require.NoError(t, res.WriteBriefInto(readme))
	page, err := os.ReadFile(readme)
	require.NoError(t, err)
	assert.Equal(t, "# Tool\n\n<!-- dskd study: cv -->\n"+brief.String()+"<!-- end of dskd study: cv -->\n\nMore.\n", string(page))

	var out bytes.Buffer
	require.NoError(t, res.WriteCSV(&out))
	table, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	require.NoError(t, err)
	require.Len(t, table, 7)
	assert.Equal(t, []string{"arm", "preset", "fold", "seed", "run_dir", "config_hash", "best_epoch", "epochs", "threshold", "val_dice", "dice_pooled", "dice_mean"}, table[0][:12])
	assert.Equal(t, []string{"train_seconds", "wall_seconds", "threads"}, table[0][len(table[0])-3:])
	assert.Equal(t, []string{"dskd", "dskd", "1", "9", "", "", "2", "10", "0.5", "0.6", "0.79", "0.78"}, table[5][:12])
	assert.Equal(t, "", table[5][col(table[0], "auc_pooled")], "a missing score is an empty cell")
}

func col(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	return -1
}

// The tables go between the study's markers in a page, replacing what
// was there and keeping the rest; a page without markers gets a section.
func TestWriteIntoPage(t *testing.T) {
	res := &Result{Dir: "/studies/dca1-cv"}
	page := filepath.Join(t.TempDir(), "page.md")
	require.NoError(t, res.WriteInto(page), "a missing page is created")
	b, err := os.ReadFile(page)
	require.NoError(t, err)
	text := string(b)
	assert.True(t, strings.HasPrefix(text, "## dca1-cv\n\n<!-- dskd study: dca1-cv -->\n"), text)
	assert.True(t, strings.HasSuffix(text, "<!-- end of dskd study: dca1-cv -->\n"), text)
	assert.NotContains(t, text, "\n# ", "results.md's title is dropped")
	assert.NotContains(t, text, "\n## Held-out", "its headings move one level down")

	edited := "# My page\n\nBefore.\n\n" + text + "\nAfter.\n"
	require.NoError(t, os.WriteFile(page, []byte(edited), 0o644))
	require.NoError(t, res.WriteInto(page))
	b, err = os.ReadFile(page)
	require.NoError(t, err)
	assert.Equal(t, edited, string(b), "the block is replaced in place, the rest kept")

	require.NoError(t, os.WriteFile(page, []byte("x\n<!-- end of dskd study: dca1-cv -->\n<!-- dskd study: dca1-cv -->\n"), 0o644))
	err = res.WriteInto(page)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "markers of study dca1-cv are incomplete or out of order")

	// The plot is copied beside the page and linked there; without one in
	// the study folder, there is no link.
	spec, err := Spec{Layout: LayoutDCA1, Data: "d", Folds: 3, Presets: []string{"unet"}, Seeds: []int64{9}}.WithDefaults()
	require.NoError(t, err)
	studyDir := filepath.Join(t.TempDir(), "len40")
	require.NoError(t, os.MkdirAll(studyDir, 0o755))
	withRows := &Result{Dir: studyDir, Spec: spec, PoolSize: 97}
	withRows.aggregate(spec.arms(), nil, map[string]Row{pairKey("unet", 0, 9): {Arm: "unet", Preset: "unet", Seed: 9,
		Scores: map[string]float64{"dice_pooled": 0.7}}})
	other := filepath.Join(t.TempDir(), "results.md")
	require.NoError(t, withRows.WriteInto(other))
	b, err = os.ReadFile(other)
	require.NoError(t, err)
	assert.NotContains(t, string(b), StudyPlotFile)
	assert.Contains(t, string(b), "One row per run: results.csv in the study folder len40.")
	require.NoError(t, os.WriteFile(filepath.Join(studyDir, StudyPlotFile), []byte("png"), 0o644))
	require.NoError(t, withRows.WriteInto(other))
	b, err = os.ReadFile(other)
	require.NoError(t, err)
	assert.Contains(t, string(b), "![held-out pooled Dice per run](results-len40.png)")
	assert.FileExists(t, filepath.Join(filepath.Dir(other), "results-len40.png"))
	assert.Contains(t, string(b), "\n### Held-out", "its sections sit under the new section")

	// Under a deeper heading the sections move deeper; a comment line in a
	// code block is not a heading.
	deeper := "# My page\n\n## Lengths\n\n### dca1-cv at 40 epochs\n\n```sh\n# run it\n```\n\n" +
		string(b[strings.Index(string(b), "<!-- dskd study"):])
	require.NoError(t, os.WriteFile(other, []byte(deeper), 0o644))
	require.NoError(t, withRows.WriteInto(other))
	b, err = os.ReadFile(other)
	require.NoError(t, err)
	assert.Contains(t, string(b), "\n#### Held-out")
	assert.NotContains(t, string(b), "\n### Held-out")
	assert.Equal(t, 3, enclosingLevel(deeper))
	assert.Equal(t, 1, enclosingLevel("no heading\n#hashtag\n"))
}

// Two folds, seeds 1 and 2, two arms, made-up scores:
//
//	arm   fold  seeds       seeds' mean  ensemble  gain
//	unet  0     0.70 0.72   0.71         0.73      +0.02
//	unet  1     0.80 0.78   0.79         0.80      +0.01
//	dskd  0     0.74 0.76   0.75         0.74      −0.01
//	dskd  1     0.81 0.83   0.82         0.84      +0.02
//
// With two folds a resample draws fold 0 twice, one of each, or fold 1
// twice (1/4, 1/2, 1/4): the 95 % interval is [smaller, larger] gain.
// Ensemble dskd − unet: +0.01, +0.04.
func TestEnsembleReportNumbersByHand(t *testing.T) {
	spec, err := Spec{Layout: LayoutDCA1, Data: "d", Folds: 2, Presets: []string{"unet", "dskd"}, Seeds: []int64{1, 2}, Ensembles: true}.WithDefaults()
	require.NoError(t, err)
	arms := spec.arms()
	base, err := baselines(spec, arms)
	require.NoError(t, err)
	rows := map[string]Row{}
	seeds := map[string][][2]float64{"unet": {{0.70, 0.72}, {0.80, 0.78}}, "dskd": {{0.74, 0.76}, {0.81, 0.83}}}
	for arm, folds := range seeds {
		for fold, vs := range folds {
			for i, v := range vs {
				rows[pairKey(arm, fold, int64(i+1))] = Row{Arm: arm, Preset: arm, Fold: fold, Seed: int64(i + 1), Scores: map[string]float64{"dice_pooled": v}}
			}
		}
	}
	ensembles := map[string][]float64{"unet": {0.73, 0.80}, "dskd": {0.74, 0.84}}
	ens := map[string]EnsembleRow{}
	for arm, vs := range ensembles {
		for fold, v := range vs {
			ens[ensembleMapKey(arm, fold)] = EnsembleRow{Arm: arm, Preset: arm, Fold: fold, Seeds: []int64{1, 2}, Threshold: 0.45, ThresholdPicked: true,
				Scores: map[string]float64{"dice_pooled": v, "val_dice": 0.7}}
		}
	}
	res := &Result{Spec: spec, PoolSize: 97}
	res.aggregate(arms, base, rows)
	res.aggregateEnsembles(arms, base, rows, ens)

	require.Len(t, res.Ensembles, 4)
	require.Len(t, res.EnsembleArms, 2)
	unet, dskd := res.EnsembleArms[0], res.EnsembleArms[1]
	assert.Equal(t, "unet", unet.Arm)
	assert.InDelta(t, 0.765, unet.Scores["dice_pooled"].Mean, 1e-12)
	assert.InDelta(t, 0.75, unet.SeedsDice.Mean, 1e-12)
	assert.InDelta(t, 0.015, unet.Gain.Mean, 1e-12)
	assert.InDelta(t, 0.01, unet.Gain.Lo, 1e-12)
	assert.InDelta(t, 0.02, unet.Gain.Hi, 1e-12)
	assert.Equal(t, 2, unet.Gain.Wins)
	assert.InDelta(t, 0.005, dskd.Gain.Mean, 1e-12)
	assert.InDelta(t, -0.01, dskd.Gain.Lo, 1e-12)
	assert.InDelta(t, 0.02, dskd.Gain.Hi, 1e-12)
	assert.Equal(t, [2]int{1, 1}, [2]int{dskd.Gain.Wins, dskd.Gain.Losses})
	var dice *Comparison
	for i, c := range res.EnsembleComparisons {
		if c.Score == "dice_pooled" {
			dice = &res.EnsembleComparisons[i]
		}
	}
	require.NotNil(t, dice)
	assert.Equal(t, [2]string{"dskd", "unet"}, [2]string{dice.Arm, dice.Baseline})
	assert.InDelta(t, 0.025, dice.Mean, 1e-12)
	assert.InDelta(t, 0.01, dice.Lo, 1e-12)
	assert.InDelta(t, 0.04, dice.Hi, 1e-12)

	var md bytes.Buffer
	require.NoError(t, res.WriteMarkdown(&md))
	text := md.String()
	assert.Contains(t, text, "## Seed ensembles, held-out fold, mean ± std over folds")
	assert.Contains(t, text, "| unet | 2 | 0.7650 ± 0.0495 | – | – | – | – | – | – | – | 0.7500 ± 0.0566 | +0.0150 [+0.0100, +0.0200] | 2 of 2 |")
	assert.Contains(t, text, "| dskd | 2 | 0.7900 ± 0.0707 |")
	assert.Contains(t, text, "| dskd | unet | Dice (pooled) | 2 | +0.0250 | [+0.0100, +0.0400] | 2 / 0 / 0 |")

	var brief bytes.Buffer
	require.NoError(t, res.WriteBrief(&brief))
	assert.Contains(t, brief.String(), " A seed ensemble is the mean probability of a fold's seeds, mean ± std over folds.\n\n")
	assert.Contains(t, brief.String(), "| wins / losses / ties | seed ensemble, Dice (folds) |\n|---|---|---|---|---|---|---|---|---|---|\n")
	assert.Contains(t, brief.String(), "| unet | 4 | 0.7500 ± 0.0476 | – | – | – | – | | | 0.7650 ± 0.0495 (2) |\n")

	st := res.htmlStudy()
	assert.Equal(t, "seed ensemble: Dice (pooled), folds", st.Columns[len(st.Columns)-1])
	assert.Equal(t, "0.7650 ± 0.0495 (2)", st.Rows[0][len(st.Columns)-1])

	var out bytes.Buffer
	require.NoError(t, res.WriteEnsemblesCSV(&out))
	table, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	require.NoError(t, err)
	require.Len(t, table, 5)
	assert.Equal(t, []string{"unet", "unet", "0", "1 2", "0.45", "true", "0.7", "0.73"}, table[1][:8])
}
