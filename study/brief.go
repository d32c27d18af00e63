package study

import (
	"fmt"
	"io"
	"strings"

	"github.com/angioseg/dskd/metrics"
)

// briefMetrics are the pooled scores of the brief table, after Dice.
var briefMetrics = []metrics.Metric{metrics.MetricClDice, metrics.MetricSensitivity, metrics.MetricPrecision, metrics.MetricAUC}

// WriteBrief writes the study in one short table, for a README: per arm,
// the runs, the held-out pooled Dice, clDice, Sen, Pre and AUC (mean ± std
// over runs), and the paired Dice difference against the arm's baseline
// with its 95 % interval and wins / losses / ties; with seed ensembles
// (Spec.Ensembles), their pooled Dice over the folds too. results.md has
// the rest.
func (res *Result) WriteBrief(w io.Writer) error {
	s := res.Spec
	var b strings.Builder
	fmt.Fprintf(&b, "%s layout, %d samples, %d-fold cross-validation (folds %s), seeds %s; finished runs: %d of %d.",
		s.Layout, res.PoolSize, s.Folds, joinInts(s.FoldIDs), joinInt64s(s.Seeds), len(res.Rows), len(res.Runs))
	if res.Stopped {
		b.WriteString(" The study was stopped; run it again to resume.")
	}
	b.WriteString(" Held-out fold, pooled over its pixels, mean ± std over runs; the difference is paired (same fold and seed), " +
		"with a 95 % bootstrap interval of its mean.")
	if len(res.EnsembleArms) > 0 {
		b.WriteString(" A seed ensemble is the mean probability of a fold's seeds, mean ± std over folds.")
	}
	b.WriteString("\n\n")
	diff := res.diceComparisons()
	b.WriteString("| arm | runs | Dice |")
	for _, m := range briefMetrics {
		fmt.Fprintf(&b, " %s |", metricLabels[m])
	}
	b.WriteString(" Dice − baseline [95 % interval] | wins / losses / ties |")
	ens := res.ensembleDiceCells()
	if ens != nil {
		b.WriteString(" seed ensemble, Dice (folds) |")
	}
	b.WriteString("\n|---|---|---|" + strings.Repeat("---|", len(briefMetrics)) + "---|---|")
	if ens != nil {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, a := range res.Arms {
		fmt.Fprintf(&b, "| %s | %d | %s |", a.Arm, a.Runs, fmtMeanStd(a.Scores["dice_pooled"]))
		for _, m := range briefMetrics {
			fmt.Fprintf(&b, " %s |", fmtMeanStd(a.Scores[string(m)+"_pooled"]))
		}
		if c, ok := diff[a.Arm]; ok {
			fmt.Fprintf(&b, " %s | %s |", c.diceCell(), c.tally())
		} else {
			b.WriteString(" | |")
		}
		if cell, ok := ens[a.Arm]; ok {
			fmt.Fprintf(&b, " %s |", cell)
		} else if ens != nil {
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
