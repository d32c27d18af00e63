package dskd

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/internal/atomicfile"
	"github.com/angioseg/dskd/metrics"
	"github.com/angioseg/dskd/models"
	"github.com/angioseg/dskd/report"
	"github.com/sugarme/gotch"
)

// evaluation is the per-image output of an evaluation pass.
type evaluation struct {
	names []string
	probs [][]float32
	masks [][]float32
	h, w  []int
}

// predictSamples runs full-image inference over samples (normalised like
// training), one image at a time.
// Decoding messages go to log (nil: the data package's logger).
func predictSamples(m models.Model, device gotch.Device, samples []data.Sample, norm data.Normalization, opt InferOptions, log *zerolog.Logger) (*evaluation, error) {
	it, err := data.NewIterator(samples, data.IteratorConfig{BatchSize: 1, Normalize: norm, Logger: log}, 0)
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	defer it.Close()
	ev := &evaluation{}
	for it.Next() {
		b := it.Batch()
		p, err := inferProbs(m, device, b.Images, b.H, b.W, opt)
		if err != nil {
			return nil, fmt.Errorf("dskd: predicting %s: %w", b.Names[0], err)
		}
		ev.names = append(ev.names, b.Names[0])
		ev.probs = append(ev.probs, p)
		ev.masks = append(ev.masks, b.Masks)
		ev.h, ev.w = append(ev.h, b.H), append(ev.w, b.W)
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	return ev, nil
}

// score accumulates the metrics of an evaluation at threshold.
func (ev *evaluation) score(threshold float32, clDice bool) (metrics.Result, error) {
	acc, err := metrics.NewAccumulator(metrics.WithThreshold(threshold), metrics.WithClDice(clDice))
	if err != nil {
		return metrics.Result{}, fmt.Errorf("dskd: %w", err)
	}
	for i := range ev.names {
		if ev.masks[i] == nil {
			return metrics.Result{}, fmt.Errorf("dskd: %s has no mask to evaluate against", ev.names[i])
		}
		if err := acc.Add(ev.names[i], ev.probs[i], ev.masks[i], ev.h[i], ev.w[i]); err != nil {
			return metrics.Result{}, fmt.Errorf("dskd: %w", err)
		}
	}
	return acc.Result(), nil
}

// InferOptions are c's settings for full-image inference: its TTA and
// precision, as its final reports use them.
func (c Config) InferOptions() InferOptions {
	return InferOptions{TTA: c.TTA, Turns: c.TTATurns, Precision: c.Precision}
}

// inferOptions are the run's settings for full-image inference.
func (t *trainer) inferOptions() InferOptions { return t.cfg.InferOptions() }

// evaluate scores the student on samples for the per-epoch validation:
// without clDice and without TTA, to keep epochs fast (TTA, when asked,
// is for the final reports of the best model).
func (t *trainer) evaluate(samples []data.Sample, threshold float32, clDice bool) (metrics.Result, error) {
	opt := t.inferOptions()
	opt.TTA = false
	ev, err := predictSamples(t.student, t.device, samples, t.norm, opt, &t.log)
	if err != nil {
		return metrics.Result{}, err
	}
	return ev.score(threshold, clDice)
}

// finish reloads the best weights and reports validation and test metrics.
func (t *trainer) finish(res *Result) (*Result, error) {
	if !t.rank0() {
		res.Rank, res.BestEpoch = t.dist.cfg.Rank, -1
		return res, nil // rank 0 evaluates and reports
	}
	res.History = t.state.History
	res.BestEpoch, res.BestScore = t.state.BestEpoch, t.state.BestScore
	res.Threshold = t.cfg.Threshold
	if t.state.BestEpoch < 0 {
		return res, nil // stopped before any epoch finished
	}
	best, err := BestCheckpoint(t.cfg.OutDir)
	if err != nil {
		return nil, err
	}
	if err := t.student.Load(filepath.Join(best, modelFile)); err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	ev, err := predictSamples(t.student, t.device, t.split.Val, t.norm, t.inferOptions(), &t.log)
	if err != nil {
		return nil, err
	}
	if t.cfg.PickThreshold {
		th, score, err := metrics.SelectThresholdOnValidation(ev.probs, ev.masks, metrics.ThresholdSearch{Metric: metrics.MetricDice})
		if err != nil {
			return nil, fmt.Errorf("dskd: %w", err)
		}
		res.Threshold = widenThreshold(th)
		picked := PickedThreshold{Threshold: res.Threshold, Metric: string(metrics.MetricDice), ValScore: score, Epoch: t.state.BestEpoch}
		if err := writeJSON(filepath.Join(t.cfg.OutDir, thresholdFile), picked); err != nil {
			return nil, err
		}
		t.log.Info().Float32("threshold", th).Float64("val_dice", round4(score)).Msg("threshold picked on validation")
	}
	if res.Validation, err = ev.score(float32(res.Threshold), true); err != nil {
		return nil, err
	}
	out := t.cfg.OutDir
	if err := writeJSON(filepath.Join(out, "val_metrics.json"), res.Validation); err != nil {
		return nil, err
	}
	shown, scores, samples := ev, res.Validation, t.split.Val // the overlays' split: test, else validation
	if len(t.split.Test) > 0 {
		tev, err := predictSamples(t.student, t.device, t.split.Test, t.norm, t.inferOptions(), &t.log)
		if err != nil {
			return nil, err
		}
		tr, err := tev.score(float32(res.Threshold), true)
		if err != nil {
			return nil, err
		}
		res.Test = &tr
		if err := writeJSON(filepath.Join(out, "test_metrics.json"), tr); err != nil {
			return nil, err
		}
		if err := writeCSV(filepath.Join(out, "test_per_image.csv"), tr.WritePerImageCSV); err != nil {
			return nil, err
		}
		t.log.Info().Int("best_epoch", res.BestEpoch).Float64("threshold", res.Threshold).Msg("test metrics of the best model (per-image mean ± std, and pooled over all pixels)")
		shown, scores, samples = tev, tr, t.split.Test
	}
	if err := t.writeOverlays(shown, scores, samples, float32(res.Threshold)); err != nil {
		return nil, err
	}
	return res, nil
}

func writeCSV(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	return nil
}

// writeOverlays draws the cfg.Overlays worst and best images by Dice of
// samples (ev and scores hold their predictions and metrics, in order).
func (t *trainer) writeOverlays(ev *evaluation, scores metrics.Result, samples []data.Sample, threshold float32) error {
	dice := make([]float64, len(scores.Images))
	for i, im := range scores.Images {
		dice[i] = im.Scores.Dice
	}
	for _, i := range report.WorstBest(dice, t.cfg.Overlays) {
		img, mask, err := data.LoadSample(samples[i])
		if err != nil {
			return fmt.Errorf("dskd: %w", err)
		}
		path := filepath.Join(t.cfg.OutDir, "overlays", report.OverlayFileName(samples[i].Name))
		if err := report.WriteOverlayPNG(path, img, ev.probs[i], mask, threshold); err != nil {
			return err
		}
	}
	return nil
}
