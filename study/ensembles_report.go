package study

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/angioseg/dskd/metrics"
)

// EnsemblesCSVFile has one line per scored seed ensemble.
const EnsemblesCSVFile = "ensembles.csv"

// EnsembleSummary is one arm's seed ensembles over the folds.
type EnsembleSummary struct {
	Arm   string
	Folds int
	// Scores summarise the ensembles' scores over the folds.
	Scores map[string]MeanStd
	// SeedsDice summarises, over the same folds, the mean pooled Dice of
	// each fold's seeds scored alone.
	SeedsDice MeanStd
	// Gain is the ensemble's pooled Dice − its seeds' mean, paired by fold.
	Gain Comparison
}

// aggregateEnsembles fills Ensembles, EnsembleArms and
// EnsembleComparisons (an arm's ensemble − its baseline's, same fold).
func (res *Result) aggregateEnsembles(arms []studyArm, baselines map[string]string, rows map[string]Row, ens map[string]EnsembleRow) {
	res.Ensembles, res.EnsembleArms, res.EnsembleComparisons = nil, nil, nil
	if len(ens) == 0 {
		return
	}
	byArm := map[string][]EnsembleRow{}
	for _, a := range arms {
		for _, fold := range res.Spec.FoldIDs {
			if e, ok := ens[ensembleMapKey(a.name, fold)]; ok {
				res.Ensembles = append(res.Ensembles, e)
				byArm[a.name] = append(byArm[a.name], e)
			}
		}
	}
	for _, a := range arms {
		es := byArm[a.name]
		if len(es) == 0 {
			continue
		}
		s := EnsembleSummary{Arm: a.name, Folds: len(es), Scores: map[string]MeanStd{}}
		for _, k := range append(heldOutScoreKeys(), "val_dice") {
			s.Scores[k] = meanStdOf(column(es, func(e EnsembleRow) float64 { return e.Score(k) }))
		}
		var seeds []float64
		var gains []pairedDifference
		for _, e := range es {
			m := seedsMean(e, rows)
			seeds = append(seeds, m)
			if d := e.Score("dice_pooled") - m; !math.IsNaN(d) {
				gains = append(gains, pairedDifference{fold: e.Fold, d: d})
			}
		}
		s.SeedsDice = meanStdOf(seeds)
		s.Gain = compare(gains, res.Spec.Bootstrap, res.Spec.BootstrapSeed)
		s.Gain.Arm, s.Gain.Baseline, s.Gain.Score = a.name, "its seeds' mean", "dice_pooled"
		res.EnsembleArms = append(res.EnsembleArms, s)
	}
	for _, a := range arms {
		base, ok := baselines[a.name]
		if !ok || len(byArm[a.name]) == 0 {
			continue
		}
		for _, k := range comparedScoreKeys("") {
			var diffs []pairedDifference
			for _, e := range byArm[a.name] {
				b, ok := ens[ensembleMapKey(base, e.Fold)]
				if d := e.Score(k) - b.Score(k); ok && !math.IsNaN(d) {
					diffs = append(diffs, pairedDifference{fold: e.Fold, d: d})
				}
			}
			if len(diffs) == 0 {
				continue
			}
			c := compare(diffs, res.Spec.Bootstrap, res.Spec.BootstrapSeed)
			c.Arm, c.Baseline, c.Score = a.name, base, k
			res.EnsembleComparisons = append(res.EnsembleComparisons, c)
		}
	}
}

// seedsMean is the mean pooled Dice of e's members scored alone.
func seedsMean(e EnsembleRow, rows map[string]Row) float64 {
	var xs []float64
	for _, seed := range e.Seeds {
		if r, ok := rows[pairKey(e.Arm, e.Fold, seed)]; ok {
			xs = append(xs, r.Score("dice_pooled"))
		}
	}
	return meanStdOf(xs).Mean
}

// ensembleDiceCells gives each arm with seed ensembles its cell of the
// brief and HTML tables, "mean ± std (folds)"; nil without ensembles.
func (res *Result) ensembleDiceCells() map[string]string {
	if len(res.EnsembleArms) == 0 {
		return nil
	}
	cells := map[string]string{}
	for _, e := range res.EnsembleArms {
		cells[e.Arm] = fmt.Sprintf("%s (%d)", fmtMeanStd(e.Scores["dice_pooled"]), e.Folds)
	}
	return cells
}

// writeEnsemblesMarkdown adds the seed-ensemble section of results.md.
func (res *Result) writeEnsemblesMarkdown(b *strings.Builder) {
	if len(res.EnsembleArms) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## Seed ensembles, held-out fold, mean ± std over folds\n\n"+
		"For each arm and fold, the mean vessel probability of the best models of all %d seeds, "+
		"binarised at a threshold picked on the inner validation carve when the runs pick theirs (else at the mean of theirs), "+
		"with the runs' inference settings. The gain is the ensemble's pooled Dice − the mean of its seeds scored alone, paired by fold. "+
		"One line per ensemble: %s.\n\n", len(res.Spec.Seeds), EnsemblesCSVFile)
	b.WriteString("| arm | folds |")
	for _, m := range metrics.AllMetrics {
		fmt.Fprintf(b, " %s |", metricLabels[m])
	}
	b.WriteString(" seeds alone, Dice | gain [95 % interval] | folds up |\n|---|---|" + strings.Repeat("---|", len(metrics.AllMetrics)) + "---|---|---|\n")
	for _, s := range res.EnsembleArms {
		fmt.Fprintf(b, "| %s | %d |", s.Arm, s.Folds)
		for _, m := range metrics.AllMetrics {
			fmt.Fprintf(b, " %s |", fmtMeanStd(s.Scores[string(m)+"_pooled"]))
		}
		fmt.Fprintf(b, " %s | %s [%s, %s] | %d of %d |\n", fmtMeanStd(s.SeedsDice), fmtSigned(s.Gain.Mean), fmtSigned(s.Gain.Lo), fmtSigned(s.Gain.Hi), s.Gain.Wins, s.Gain.Pairs)
	}
	writeComparisons(b, res.EnsembleComparisons, "\n### Paired differences of the seed ensembles, arm − baseline (same fold)\n\n",
		fmt.Sprintf("Mean difference over the folds; 95 %% percentile bootstrap interval of that mean (%d resamples, seed %d, folds resampled); "+
			"wins / losses / ties count the folds.\n\n", res.Spec.Bootstrap, res.Spec.BootstrapSeed), "folds")
}

// WriteEnsemblesCSV writes one line per scored seed ensemble:
//
//	arm,preset,fold,seeds,threshold,threshold_picked,val_dice,dice_pooled,dice_mean,...,cldice_mean
//
// seeds are separated by spaces; floats as in WriteCSV.
func (res *Result) WriteEnsemblesCSV(w io.Writer) error {
	cols := append([]string{"val_dice"}, heldOutScoreKeys()...)
	cw := csv.NewWriter(w)
	if err := cw.Write(append([]string{"arm", "preset", "fold", "seeds", "threshold", "threshold_picked"}, cols...)); err != nil {
		return err
	}
	for _, e := range res.Ensembles {
		seeds := make([]string, len(e.Seeds))
		for i, s := range e.Seeds {
			seeds[i] = strconv.FormatInt(s, 10)
		}
		line := []string{e.Arm, e.Preset, strconv.Itoa(e.Fold), strings.Join(seeds, " "), csvFloat(e.Threshold), strconv.FormatBool(e.ThresholdPicked)}
		for _, c := range cols {
			line = append(line, csvFloat(e.Score(c)))
		}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeEnsemblesCSV writes ensembles.csv when the study scores ensembles.
func writeEnsemblesCSV(res *Result) error {
	if !res.Spec.Ensembles {
		return nil
	}
	return writeFile(filepath.Join(res.Dir, EnsemblesCSVFile), res.WriteEnsemblesCSV)
}
