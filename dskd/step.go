package dskd

import (
	"fmt"
	"time"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
)

// stepAt is where a step stands in the run.
type stepAt struct {
	epoch, step int
	lr          float64
}

// trainStep is one optimisation step on batch b: forward, objective,
// backward, step. The teacher, the precision and the data-parallel
// reduction are small types whose forms for a run without them (no
// teacher, fp32, one process) do nothing.
func (t *trainer) trainStep(b *data.Batch, at stepAt) (losses.Breakdown, error) {
	s := aten.NewScope()
	defer s.Close()
	x, y, err := t.batchTensors(s, b)
	if err != nil {
		return losses.Breakdown{}, err
	}
	targets, err := t.teacher.targets(x)
	if err != nil {
		return losses.Breakdown{}, err
	}
	defer targets.Free()
	t.clock.lap("forward_teacher")
	if err := t.dist.beforeForward(); err != nil {
		return losses.Breakdown{}, err
	}
	out, err := t.prec.forward(func() (*models.Output, error) { return t.student.Forward(x, true) })
	if err != nil {
		return losses.Breakdown{}, fmt.Errorf("dskd: forward: %w", err)
	}
	defer out.Free()
	t.clock.lap("forward")
	loss, bd, err := t.objective(s, out, targets, y, at)
	if err != nil {
		return bd, err
	}
	t.clock.lap("loss")
	if err := t.measureGradients(out, targets, y, at); err != nil {
		return bd, err
	}
	if err := t.backward(s, loss, at); err != nil {
		return bd, err
	}
	t.clock.lap("backward")
	err = t.optimizerStep(at)
	t.clock.lap("optimizer")
	return bd, err
}

// batchTensors puts a batch's images and masks on the run's device, owned by s.
func (t *trainer) batchTensors(s *aten.Scope, b *data.Batch) (x, y *aten.Tensor, err error) {
	shape := b.Shape()
	x = input(s, b.Images, shape, t.device)
	y = input(s, b.Masks, shape, t.device)
	if err := s.Err(); err != nil {
		return nil, nil, fmt.Errorf("dskd: batch to %s: %w", engine.DeviceName(t.device), err)
	}
	return x, y, nil
}

// objective computes the loss (owned by s) and stops on a non-finite one,
// naming the last good checkpoint.
func (t *trainer) objective(s *aten.Scope, out, targets *models.Output, y *aten.Tensor, at stepAt) (*aten.Tensor, losses.Breakdown, error) {
	loss, bd, err := t.obj.Compute(out, targets, y, at.epoch, t.cfg.Epochs)
	if err != nil {
		return nil, bd, fmt.Errorf("dskd: loss at epoch %d step %d: %w", at.epoch, at.step, err)
	}
	s.Adopt(loss)
	if loss, bd, err = t.addUnlabelled(s, loss, bd, at); err != nil {
		return nil, bd, err
	}
	if !finite(bd.Total) {
		last := "none (no epoch finished yet)"
		if dir, err := LatestCheckpoint(t.cfg.OutDir); err == nil {
			last = dir
		}
		return nil, bd, fmt.Errorf("dskd: non-finite loss %v at epoch %d step %d (%s); the last good checkpoint is %s",
			bd.Total, at.epoch, at.step, bd, last)
	}
	return loss, bd, nil
}

// backward computes the gradients of loss (scaled for fp16; averaged
// across ranks by the Reducer as they are computed) and counts the step.
func (t *trainer) backward(s *aten.Scope, loss *aten.Tensor, at stepAt) error {
	if err := t.opt.ZeroGrad(); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	loss = t.prec.scale(s, loss)
	if err := t.dist.beforeBackward(loss); err != nil {
		return err
	}
	if s.Backward(loss); s.Err() != nil {
		return fmt.Errorf("dskd: backward at epoch %d step %d%s: %w", at.epoch, at.step, t.dist.as(), s.Err())
	}
	if err := t.dist.syncBuffers(); err != nil {
		return err
	}
	t.state.Step++
	return nil
}

// optimizerStep updates the weights (unless fp16 gradients overflowed:
// then the step is skipped and retried at half the scale), then the EMA
// teacher.
func (t *trainer) optimizerStep(at stepAt) error {
	ok, err := t.prec.unscale(t.opt)
	if err != nil {
		return err
	}
	if !ok {
		t.log.Debug().Int("epoch", at.epoch).Int("step", at.step).Float64("scale", t.prec.scaler.Scale).Msg("fp16 gradients overflowed: step skipped")
		return nil
	}
	if err := t.opt.Step(at.lr); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	return t.teacher.afterStep()
}

// lapTimer adds the time since its last lap to a named phase; nil (the
// trainer's default) measures nothing. The benchmark turns it on.
type lapTimer struct {
	last   time.Time
	phases map[string]float64
}

func (l *lapTimer) lap(phase string) {
	if l == nil {
		return
	}
	now := time.Now()
	l.phases[phase] += now.Sub(l.last).Seconds()
	l.last = now
}

// start begins a step's laps.
func (l *lapTimer) start() {
	if l != nil {
		l.last = time.Now()
	}
}
