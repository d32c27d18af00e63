package study

import (
	"context"
	"fmt"
	"maps"
	"math"
	"strings"

	"github.com/angioseg/dskd/dskd"
)

// scoreLastEpoch fills row.Last (Spec.ScoreLast): the held-out scores of run
// r's last-epoch model, with the threshold picked again on the run's
// validation carve when the run picks its own, else the run's fixed one.
// A run that keeps its last epoch (Config.Select) already reports it.
func (x *runner) scoreLastEpoch(ctx context.Context, r Job, runDir string, row *Row) error {
	if err := ctx.Err(); err != nil {
		return errRunStopped
	}
	cfg := r.Config
	if cfg.Select == dskd.SelectLast {
		row.Last, row.LastEpoch, row.LastThreshold = maps.Clone(row.Scores), row.BestEpoch, row.Threshold
		return nil
	}
	ck, err := dskd.LatestCheckpoint(runDir)
	if err != nil {
		return fmt.Errorf("study: run %s has no last-epoch checkpoint to score (a run reused from a snapshot has none; copy its checkpoints/ from the run that trained it): %w", r.ID(), err)
	}
	model, err := dskd.LoadEnsemble([]string{ck}, dskd.PredictOptions{InferOptions: cfg.InferOptions(), Device: cfg.Device, Threads: x.threads})
	if err != nil {
		return err
	}
	defer model.Close()
	st := model.Members()[0].State
	if st.Partial != nil {
		return fmt.Errorf("study: run %s: its newest checkpoint %s stops inside epoch %d, not at the end of training", r.ID(), ck, st.Partial.Epoch)
	}
	x.log.Info().Str("run", r.ID()).Int("epoch", st.Epoch).Msg("study: scoring the last epoch's model")
	scores := map[string]float64{}
	if cfg.PickThreshold && len(r.split.Val) > 0 {
		_, valDice, err := model.PickThreshold(r.split.Val)
		if err != nil {
			return err
		}
		scores["val_dice"] = valDice
	}
	res, err := model.Evaluate(r.split.Test, true)
	if err != nil {
		return err
	}
	maps.Copy(scores, scoresOf(res))
	row.Last, row.LastEpoch, row.LastThreshold = scores, st.Epoch, model.Threshold()
	return nil
}

// lastScoreKeys are the compared scores of the last-epoch section.
var lastScoreKeys = []string{"dice_pooled", "dice_mean", "cldice_pooled"}

// aggregateLast fills LastComparisons: per arm, last epoch − kept model
// over the runs scored both ways, paired by run, folds resampled. Arms
// that keep their last epoch (Config.Select) have nothing to compare.
func (res *Result) aggregateLast() {
	res.LastComparisons = nil
	if !res.Spec.ScoreLast {
		return
	}
	keepsLast := map[string]bool{}
	for _, r := range res.Runs {
		keepsLast[r.Arm] = r.Config.Select == dskd.SelectLast
	}
	for _, a := range res.Arms {
		if keepsLast[a.Arm] {
			continue
		}
		for _, k := range lastScoreKeys {
			var diffs []pairedDifference
			for _, r := range res.Rows {
				if d := r.Score(LastPrefix+k) - r.Score(k); r.Arm == a.Arm && !math.IsNaN(d) {
					diffs = append(diffs, pairedDifference{fold: r.Fold, d: d})
				}
			}
			c := compare(diffs, res.Spec.Bootstrap, res.Spec.BootstrapSeed)
			c.Arm, c.Baseline, c.Score = lastLabel(a.Arm), a.Arm+", best on validation", k
			res.LastComparisons = append(res.LastComparisons, c)
		}
	}
}

// writeLastMarkdown adds the last-epoch section of results.md.
func (res *Result) writeLastMarkdown(b *strings.Builder) {
	if !res.Spec.ScoreLast || len(res.Rows) == 0 {
		return
	}
	b.WriteString("\n## The last epoch's model, held-out fold, mean ± std over runs\n\n" +
		"Each run's model of its last epoch, scored like the model it kept (above) on the same held-out fold; " +
		"its threshold is picked again on the validation carve when the runs pick theirs. " +
		"The differences below are what keeping the last epoch would have changed, within each arm, " +
		"then between arms (every arm with its last epoch against its baseline with its last epoch).\n\nPooled:\n\n")
	res.armTable(b, LastPrefix, "_pooled", false)
	writeComparisons(b, res.LastComparisons, "\n### Paired differences, last epoch − kept model (same run)\n\n",
		fmt.Sprintf("Mean difference over the runs; 95 %% percentile bootstrap interval of that mean (%d resamples, seed %d; whole folds resampled when the runs span two or more); "+
			"wins / losses / ties count the runs where the last epoch is above, below, equal.\n\n", res.Spec.Bootstrap, res.Spec.BootstrapSeed),
		"runs")
	res.comparisonTable(b, LastPrefix)
}

// lastDiceCells gives each arm its cell of the HTML table (Spec.ScoreLast):
// the pooled-Dice difference last epoch − kept model and its tally; nil
// without ScoreLast.
func (res *Result) lastDiceCells() map[string]string {
	if !res.Spec.ScoreLast {
		return nil
	}
	cells := map[string]string{}
	for _, a := range res.Arms {
		for _, c := range res.LastComparisons {
			if c.Arm == lastLabel(a.Arm) && c.Score == "dice_pooled" && c.Pairs > 0 {
				cells[a.Arm] = fmt.Sprintf("%s [%s, %s], %s", fmtSigned(c.Mean), fmtSigned(c.Lo), fmtSigned(c.Hi), c.tally())
			}
		}
	}
	return cells
}

// lastLabel names an arm's last-epoch models in LastComparisons.
func lastLabel(arm string) string { return arm + ", last epoch" }
