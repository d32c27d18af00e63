package dskd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/metrics"
	"github.com/angioseg/dskd/report"
)

// trainEpoch trains one epoch and returns its record (losses are the
// epoch's means; validation is endEpoch's). from, when set, is the same
// epoch stopped between two steps: it continues after them. When ctx ends
// before a step, every rank stops there and the error is *Interrupted.
func (t *trainer) trainEpoch(ctx context.Context, epoch int, from *PartialEpoch) (report.EpochRecord, error) {
	cfg := t.cfg
	start := time.Now()
	lr := cfg.Schedule.LR(cfg.LR, epoch, cfg.Epochs)
	done := &PartialEpoch{Epoch: epoch}
	if from != nil {
		done = from // the teacher of that moment came with the checkpoint
	} else if err := t.teacher.beginEpoch(epoch); err != nil {
		return report.EpochRecord{}, err
	}
	shard := t.shard()
	train := t.epochSamples()
	it, err := data.NewIterator(train, data.IteratorConfig{
		BatchSize: cfg.BatchSize, Workers: cfg.Workers, Seed: cfg.Seed, Shuffle: true, Shard: shard,
		DropLast: shard.Len(len(train)) >= cfg.BatchSize, Augment: *cfg.Augment, Normalize: t.norm, Logger: &t.log,
		Skip: done.Steps,
	}, epoch)
	if err != nil {
		return report.EpochRecord{}, fmt.Errorf("dskd: %w", err)
	}
	defer it.Close()
	if t.cfg.Unlabelled != nil {
		if t.unl, err = t.openUnlabelled(epoch, done.Steps*t.cfg.Unlabelled.Ratio); err != nil {
			return report.EpochRecord{}, err
		}
		defer func() { t.unl.close(); t.unl = nil }()
	}
	steps := it.Len()
	if cfg.StepsPerEpoch > 0 && cfg.StepsPerEpoch < steps {
		steps = cfg.StepsPerEpoch
	}
	t.prog.Start(epoch, steps)
	defer t.prog.End()
	sum, n := done.Sum, done.Steps // the epoch's sums, then means
	for step := done.Steps; step < steps && it.Next(); step++ {
		stop, err := t.dist.agreeStop(ctx.Err() != nil)
		if err != nil {
			return report.EpochRecord{}, err
		}
		if stop {
			done.Steps, done.Sum = step, sum
			return report.EpochRecord{}, t.interrupt(ctx, done, start)
		}
		t.clock.start()
		bd, err := t.trainStep(it.Batch(), stepAt{epoch: epoch, step: step, lr: lr})
		if err != nil {
			return report.EpochRecord{}, err
		}
		sum.Add(bd)
		n++
		if t.opts.Hooks.OnStep != nil {
			if err := t.opts.Hooks.OnStep(StepInfo{Epoch: epoch, Step: step, Steps: steps, GlobalStep: t.state.Step,
				LR: lr, Loss: bd, Student: t.student}); err != nil {
				return report.EpochRecord{}, err
			}
		}
		t.prog.Step(step, bd.Total)
	}
	if err := it.Err(); err != nil {
		return report.EpochRecord{}, fmt.Errorf("dskd: epoch %d: %w", epoch, err)
	}
	if n == 0 {
		return report.EpochRecord{}, fmt.Errorf("dskd: epoch %d had no batch (batch size %d, %d training samples)", epoch, cfg.BatchSize, len(train))
	}
	if t.dist != nil { // the epoch's loss over every rank's batches
		if sum, n, err = t.dist.sumBreakdown(sum, n); err != nil {
			return report.EpochRecord{}, err
		}
	}
	mean := sum.Mean(n)
	rec := report.EpochRecord{Epoch: epoch, TrainLoss: mean.Total, LR: lr, Alpha: t.obj.Alpha(epoch, cfg.Epochs, t.teacher.ready),
		LambdaDDL: t.obj.LambdaDDLAt(epoch, cfg.Epochs, t.teacher.ready), Parts: mean.Values()}
	rec.Seconds = done.Seconds + time.Since(start).Seconds()
	return rec, nil
}

// endEpoch validates, checkpoints, writes the curves and calls the hook.
func (t *trainer) endEpoch(epoch int, rec report.EpochRecord) (bool, error) {
	val, err := t.evaluate(t.split.Val, float32(t.cfg.Threshold), false)
	if err != nil {
		return false, err
	}
	dice, _ := val.Get(metrics.MetricDice)
	rec.ValDice = dice.Pooled
	rec.ValScores = map[string]float64{}
	for _, m := range []metrics.Metric{metrics.MetricIoU, metrics.MetricSensitivity, metrics.MetricPrecision, metrics.MetricAUC} {
		if s, ok := val.Get(m); ok {
			rec.ValScores["val_"+string(m)] = s.Pooled
		}
	}
	t.state.Epoch = epoch
	t.state.History = append(t.state.History, rec)
	best := !math.IsNaN(rec.ValDice) && (rec.ValDice > t.state.BestScore || t.cfg.Select == SelectLast)
	if best {
		t.state.BestScore, t.state.BestEpoch = rec.ValDice, epoch
	}
	// The best model first: an epoch checkpoint that names epoch e as the
	// best must never exist while best/ still holds an older model (a kill
	// between the two writes would resume into a stale best; the resumed
	// run recomputes epoch e exactly and rewrites best/ instead).
	if best {
		if err := t.saveBest(); err != nil {
			return false, err
		}
	}
	ck := filepath.Join(t.cfg.OutDir, checkpointsDir, epochDirName(epoch))
	if err := t.saveCheckpoint(ck); err != nil {
		return false, err
	}
	if err := pruneCheckpoints(t.cfg.OutDir, t.cfg.KeepLast); err != nil {
		return false, err
	}
	if err := report.WriteMetricsCSVFile(filepath.Join(t.cfg.OutDir, "metrics.csv"), t.state.History); err != nil {
		return false, err
	}
	if err := report.WriteCurves(filepath.Join(t.cfg.OutDir, "curves.png"), t.state.History); err != nil {
		return false, err
	}
	if err := t.probe.write(t.cfg.OutDir); err != nil {
		return false, err
	}
	ev := t.log.Info().Int("epoch", epoch).Float64("loss", round4(rec.TrainLoss))
	for _, k := range t.obj.Terms() {
		ev = ev.Float64(k, round4(rec.Parts[k]))
	}
	for _, k := range losses.UnlabelledTermNames() {
		if v, ok := rec.Parts[k]; ok {
			ev = ev.Float64(k, round4(v))
		}
	}
	ev.Float64("val_dice", round4(rec.ValDice)).Float64("lr", roundSig(rec.LR, 4)).Float64("alpha", round4(rec.Alpha)).
		Str("time", fmt.Sprintf("%.1fs", rec.Seconds)).Bool("best", best).Msg("epoch")
	if t.opts.Hooks.OnEpochEnd != nil {
		err := t.opts.Hooks.OnEpochEnd(EpochInfo{Record: rec, Best: best, Checkpoint: ck})
		if errors.Is(err, ErrStop) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// epochSamples is what an epoch draws from: the training images, Repeat
// times over. The iterator shuffles the whole list and augments by
// position, so each draw of an image gets its own crop and augmentation.
func (t *trainer) epochSamples() []data.Sample {
	if t.cfg.Repeat <= 1 {
		return t.split.Train
	}
	out := make([]data.Sample, 0, len(t.split.Train)*t.cfg.Repeat)
	for range t.cfg.Repeat {
		out = append(out, t.split.Train...)
	}
	return out
}
