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
	"github.com/angioseg/dskd/report"
)

// Report files of a study folder.
const (
	CSVFile       = "results.csv"
	MarkdownFile  = "results.md"
	StudyPlotFile = "dice_by_arm.png"
	HTMLFile      = "study.html"
)

// metricLabels are the column titles of the markdown tables.
var metricLabels = map[metrics.Metric]string{
	metrics.MetricDice: "Dice", metrics.MetricIoU: "IoU", metrics.MetricAccuracy: "Acc",
	metrics.MetricSensitivity: "Sen", metrics.MetricSpecificity: "Spe", metrics.MetricPrecision: "Pre",
	metrics.MetricAUC: "AUC", metrics.MetricClDice: "clDice",
}

// writeStudyReport writes results.csv, results.md and the Dice plot.
func writeStudyReport(res *Result) error {
	if err := writeFile(filepath.Join(res.Dir, CSVFile), res.WriteCSV); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(res.Dir, MarkdownFile), res.WriteMarkdown); err != nil {
		return err
	}
	if err := writeEnsemblesCSV(res); err != nil {
		return err
	}
	if len(res.Rows) == 0 {
		return nil
	}
	names := make([]string, len(res.Arms))
	values := make([][]float64, len(res.Arms))
	for i, a := range res.Arms {
		names[i] = a.Arm
		for _, r := range res.Rows {
			if r.Arm == a.Arm {
				values[i] = append(values[i], r.Score("dice_pooled"))
			}
		}
	}
	if err := report.WriteStripPlot(filepath.Join(res.Dir, StudyPlotFile), "Held-out pooled Dice per run", "Dice", names, values); err != nil {
		return err
	}
	return report.WriteStudyHTML(filepath.Join(res.Dir, HTMLFile), res.htmlStudy())
}

// htmlStudy is the study as report.WriteStudyHTML shows it: the arms table
// (pooled held-out scores and the paired Dice difference against the
// baseline), every run's held-out Dice with a link to its report.html.
func (res *Result) htmlStudy() report.Study {
	st := report.Study{Title: fmt.Sprintf("Study: %s at %s, %d-fold cross-validation", res.Spec.Layout, res.Spec.Data, res.Spec.Folds),
		Metric: "held-out Dice (pooled)", Columns: []string{"arm", "runs"}}
	for _, m := range metrics.AllMetrics {
		st.Columns = append(st.Columns, metricLabels[m]+" (pooled)")
	}
	st.Columns = append(st.Columns, "Dice − baseline [95 % interval]", "wins / losses / ties")
	ens := res.ensembleDiceCells()
	if ens != nil {
		st.Columns = append(st.Columns, "seed ensemble: Dice (pooled), folds")
	}
	last := res.lastDiceCells()
	if last != nil {
		st.Columns = append(st.Columns, "last epoch − kept model: Dice [95 % interval], last ahead / behind / level")
	}
	diff := res.diceComparisons()
	for _, a := range res.Arms {
		row := []string{a.Arm, strconv.Itoa(a.Runs)}
		for _, m := range metrics.AllMetrics {
			row = append(row, fmtMeanStd(a.Scores[string(m)+"_pooled"]))
		}
		if c, ok := diff[a.Arm]; ok {
			row = append(row, c.diceCell(), c.tally())
		} else {
			row = append(row, "", "")
		}
		if ens != nil {
			row = append(row, ens[a.Arm])
		}
		if last != nil {
			row = append(row, last[a.Arm])
		}
		st.Rows = append(st.Rows, row)
	}
	for _, r := range res.Rows {
		st.Runs = append(st.Runs, report.StudyRun{Arm: r.Arm, Label: fmt.Sprintf("fold %d, seed %d", r.Fold, r.Seed),
			Score: r.Score("dice_pooled"), Report: filepath.ToSlash(filepath.Join(r.Dir, report.ReportFile))})
	}
	st.Notes = append(st.Notes, fmt.Sprintf("Finished runs: %d of %d. Model selection used an inner validation carve; the held-out fold is scored only. Tables: %s, %s.",
		len(res.Rows), len(res.Runs), MarkdownFile, CSVFile))
	return st
}

// diceComparisons are the pooled-Dice comparisons, by arm.
func (res *Result) diceComparisons() map[string]Comparison {
	diff := map[string]Comparison{}
	for _, c := range res.Comparisons {
		if c.Score == "dice_pooled" {
			diff[c.Arm] = c
		}
	}
	return diff
}

// diceCell is "+0.0200 [-0.0100, +0.0500] vs unet".
func (c Comparison) diceCell() string {
	return fmt.Sprintf("%s [%s, %s] vs %s", fmtSigned(c.Mean), fmtSigned(c.Lo), fmtSigned(c.Hi), c.Baseline)
}

// tally is "wins / losses / ties".
func (c Comparison) tally() string { return fmt.Sprintf("%d / %d / %d", c.Wins, c.Losses, c.Ties) }

// csvColumns are results.csv's score columns.
func (res *Result) csvColumns() []string {
	cols := append([]string{"val_dice"}, heldOutScoreKeys()...)
	if res.CrossSize > 0 {
		for _, k := range heldOutScoreKeys() {
			cols = append(cols, CrossPrefix+k)
		}
	}
	if res.Spec.ScoreLast {
		for _, k := range append([]string{"val_dice"}, heldOutScoreKeys()...) {
			cols = append(cols, LastPrefix+k)
		}
	}
	return cols
}

// WriteCSV writes one row per finished run:
//
//	arm,preset,fold,seed,run_dir,config_hash,best_epoch,epochs,threshold,val_dice,
//	dice_pooled,dice_mean,...,cldice_mean,[cross_dice_pooled,...,][last_val_dice,last_dice_pooled,...,
//	last_epoch,last_threshold,]train_seconds,wall_seconds,threads
//
// Floats are written in the shortest form that round-trips; NaN as an
// empty cell.
func (res *Result) WriteCSV(w io.Writer) error {
	cols := res.csvColumns()
	header := append([]string{"arm", "preset", "fold", "seed", "run_dir", "config_hash", "best_epoch", "epochs", "threshold"}, cols...)
	if res.Spec.ScoreLast {
		header = append(header, "last_epoch", "last_threshold")
	}
	header = append(header, "train_seconds", "wall_seconds", "threads")
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range res.Rows {
		line := []string{r.Arm, r.Preset, strconv.Itoa(r.Fold), strconv.FormatInt(r.Seed, 10), filepath.ToSlash(r.Dir), r.Hash,
			strconv.Itoa(r.BestEpoch), strconv.Itoa(r.Epochs), csvFloat(r.Threshold)}
		for _, c := range cols {
			line = append(line, csvFloat(r.Score(c)))
		}
		if res.Spec.ScoreLast {
			if r.Last != nil {
				line = append(line, strconv.Itoa(r.LastEpoch), csvFloat(r.LastThreshold))
			} else {
				line = append(line, "", "")
			}
		}
		line = append(line, csvFloat(r.TrainSeconds), csvFloat(r.WallSeconds), strconv.Itoa(r.Threads))
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// WriteMarkdown writes the study's summary: the design, per-arm mean ±
// std tables, the paired comparisons and the plot.
func (res *Result) WriteMarkdown(w io.Writer) error {
	s := res.Spec
	var b strings.Builder
	fmt.Fprintf(&b, "# Study results\n\n")
	fmt.Fprintf(&b, "Data: %s layout at `%s`, %d samples (%s), %d-fold cross-validation (split seed %d), folds %s; seeds %s.\n\n",
		s.Layout, s.Data, res.PoolSize, poolNote(s.Layout), s.Folds, s.SplitSeed, joinInts(s.FoldIDs), joinInt64s(s.Seeds))
	fmt.Fprintf(&b, "Each run trains on its fold's training part minus an inner validation carve (the config's val_fraction, seed %d, the same for every arm and seed), "+
		"which alone picks the best epoch (and the threshold, with pick_threshold). The held-out fold is used for scoring only.\n\n", s.SplitSeed)
	fmt.Fprintf(&b, "Finished runs: %d of %d.", len(res.Rows), len(res.Runs))
	if res.Stopped {
		b.WriteString(" The study was stopped; run it again to resume.")
	}
	if len(res.Failed) > 0 {
		fmt.Fprintf(&b, " Failed: %d (see the log).", len(res.Failed))
	}
	b.WriteString("\n\n")
	if len(res.Rows) == 0 {
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("## Held-out fold, mean ± std over runs\n\nPooled over each fold's pixels:\n\n")
	res.armTable(&b, "", "_pooled", true)
	b.WriteString("\nPer-image mean within each fold:\n\n")
	res.armTable(&b, "", "_mean", false)
	res.comparisonTable(&b, "")
	res.writeEnsemblesMarkdown(&b)
	res.writeLastMarkdown(&b)
	if res.CrossSize > 0 {
		fmt.Fprintf(&b, "\n## Cross-domain: %s layout at `%s`, all %d labelled images, mean ± std over runs\n\nPooled:\n\n", s.CrossLayout, s.CrossData, res.CrossSize)
		res.armTable(&b, CrossPrefix, "_pooled", false)
		b.WriteString("\nPer-image mean:\n\n")
		res.armTable(&b, CrossPrefix, "_mean", false)
		res.comparisonTable(&b, CrossPrefix)
	}
	fmt.Fprintf(&b, "\n![held-out pooled Dice per run](%s)\n\nOne row per run: %s.\n", StudyPlotFile, CSVFile)
	_, err := io.WriteString(w, b.String())
	return err
}

func (res *Result) armTable(b *strings.Builder, prefix, suffix string, extra bool) {
	b.WriteString("| arm | runs |")
	for _, m := range metrics.AllMetrics {
		fmt.Fprintf(b, " %s |", metricLabels[m])
	}
	if extra {
		b.WriteString(" best epoch | wall time |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(metrics.AllMetrics)))
	if extra {
		b.WriteString("---|---|")
	}
	b.WriteString("\n")
	for _, a := range res.Arms {
		fmt.Fprintf(b, "| %s | %d |", a.Arm, a.Runs)
		for _, m := range metrics.AllMetrics {
			fmt.Fprintf(b, " %s |", fmtMeanStd(a.Scores[prefix+string(m)+suffix]))
		}
		if extra {
			fmt.Fprintf(b, " %s | %s |", fmtNumber(a.BestEpoch.Mean, 1), fmtSeconds(a.WallSeconds.Mean))
		}
		b.WriteString("\n")
	}
}

func (res *Result) comparisonTable(b *strings.Builder, prefix string) {
	var cs []Comparison
	for _, c := range res.Comparisons {
		if scorePrefix(c.Score) == prefix {
			cs = append(cs, c)
		}
	}
	writeComparisons(b, cs, fmt.Sprintf("\n### Paired differences, arm − baseline (same fold and seed)%s\n\n", map[string]string{CrossPrefix: ", cross-domain", LastPrefix: ", last-epoch models"}[prefix]),
		fmt.Sprintf("Mean difference over the pairs; 95 %% percentile bootstrap interval of that mean (%d resamples, seed %d; "+
			"whole folds are resampled when the pairs span two folds or more, single pairs otherwise); "+
			"wins / losses / ties count the pairs. An interval that excludes 0 is a difference the runs support.\n\n", res.Spec.Bootstrap, res.Spec.BootstrapSeed),
		"pairs")
}

// writeComparisons writes a table of comparisons under heading and intro;
// unit names what was paired ("pairs", "folds").
func writeComparisons(b *strings.Builder, cs []Comparison, heading, intro, unit string) {
	if len(cs) == 0 {
		return
	}
	b.WriteString(heading)
	b.WriteString(intro)
	fmt.Fprintf(b, "| arm | baseline | score | %s | mean difference | 95 %% interval | wins / losses / ties |\n|---|---|---|---|---|---|---|\n", unit)
	for _, c := range cs {
		fmt.Fprintf(b, "| %s | %s | %s | %d | %s | [%s, %s] | %d / %d / %d |\n", c.Arm, c.Baseline, scoreLabel(c.Score), c.Pairs,
			fmtSigned(c.Mean), fmtSigned(c.Lo), fmtSigned(c.Hi), c.Wins, c.Losses, c.Ties)
	}
}

// scoreLabel turns "dice_pooled" into "Dice (pooled)".
func scoreLabel(key string) string {
	key = strings.TrimPrefix(key, scorePrefix(key))
	for _, suffix := range []string{"_pooled", "_mean"} {
		if m, ok := strings.CutSuffix(key, suffix); ok {
			if l, ok := metricLabels[metrics.Metric(m)]; ok {
				return l + " (" + map[string]string{"_pooled": "pooled", "_mean": "per-image mean"}[suffix] + ")"
			}
		}
	}
	return key
}

func fmtMeanStd(m MeanStd) string {
	switch {
	case m.N == 0:
		return "–"
	case m.N == 1:
		return fmtNumber(m.Mean, 4)
	}
	return fmtNumber(m.Mean, 4) + " ± " + fmtNumber(m.Std, 4)
}

func fmtNumber(v float64, digits int) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', digits, 64)
}

func fmtSigned(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v > 0:
		return "+" + strconv.FormatFloat(v, 'f', 4, 64)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

func fmtSeconds(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " s"
}

func poolNote(layout string) string {
	switch layout {
	case LayoutDCA1:
		return "training ids 1-100; the test ids are never used"
	case LayoutXCAD:
		return "all labelled images"
	}
	return "all pairs"
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

func joinInt64s(xs []int64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.FormatInt(effectiveSeed(x), 10)
	}
	return strings.Join(s, ", ")
}
