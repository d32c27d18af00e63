package dskd

import (
	"fmt"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
)

// unlabelledStream serves an epoch's unlabelled batches: the frames in a
// seeded order, each pass over them in a new one, for as many passes as
// the epoch's steps take. Where it stands follows from the epoch and the
// batches taken, so a run resumed between two steps continues it exactly.
type unlabelledStream struct {
	t           *trainer
	epoch, pass int
	it          *data.Iterator
}

// passesPerEpoch spaces the iterator epochs of the passes of two epochs.
const passesPerEpoch = 1 << 16

// openUnlabelled is the stream of epoch after taken batches, or nil when
// the run has no unlabelled frames to learn from yet (none given, or no
// teacher: before the end of epoch 0).
func (t *trainer) openUnlabelled(epoch, taken int) (*unlabelledStream, error) {
	u := t.cfg.Unlabelled
	if u == nil || len(t.split.Unlabelled) == 0 || !t.teacher.ready {
		return nil, nil
	}
	st := &unlabelledStream{t: t, epoch: epoch}
	if err := st.openAt(0, 0); err != nil {
		return nil, err
	}
	n := st.it.Len()
	if n == 0 {
		st.it.Close()
		return nil, fmt.Errorf("dskd: unlabelled frames: no batch (%d frames, batch %d)", len(t.split.Unlabelled), u.BatchSize)
	}
	if taken == 0 {
		return st, nil
	}
	st.it.Close()
	return st, st.openAt(taken/n, taken%n)
}

func (st *unlabelledStream) open(pass int) error { return st.openAt(pass, 0) }

// openAt opens pass at batch skip.
func (st *unlabelledStream) openAt(pass, skip int) error {
	t, u := st.t, st.t.cfg.Unlabelled
	shard := t.shard()
	frames := t.split.Unlabelled
	it, err := data.NewIterator(frames, data.IteratorConfig{
		BatchSize: u.BatchSize, Workers: t.cfg.Workers, Seed: t.cfg.Seed, Shuffle: true, Shard: shard,
		DropLast: shard.Len(len(frames)) >= u.BatchSize, Augment: *t.cfg.Augment, Normalize: t.norm,
		Strong: u.Strong, Skip: skip, Logger: &t.log,
	}, st.epoch*passesPerEpoch+pass)
	if err != nil {
		return fmt.Errorf("dskd: unlabelled frames: %w", err)
	}
	st.it, st.pass = it, pass
	return nil
}

// next is the stream's next batch (a new pass when one ends).
func (st *unlabelledStream) next() (*data.Batch, error) {
	if st.it.Next() {
		return st.it.Batch(), nil
	}
	if err := st.it.Err(); err != nil {
		return nil, fmt.Errorf("dskd: unlabelled frames: %w", err)
	}
	st.it.Close()
	if err := st.open(st.pass + 1); err != nil {
		return nil, err
	}
	if !st.it.Next() {
		return nil, fmt.Errorf("dskd: unlabelled frames: a pass yielded no batch (%d frames, batch %d)", len(st.t.split.Unlabelled), st.t.cfg.Unlabelled.BatchSize)
	}
	return st.it.Batch(), nil
}

func (st *unlabelledStream) close() {
	if st != nil {
		st.it.Close()
	}
}

// addUnlabelled adds the loss of the step's unlabelled batches (their
// mean; losses.Unlabelled) to the labelled loss, and their terms to bd.
// Without a stream (no frames, no teacher yet) it changes nothing.
func (t *trainer) addUnlabelled(s *aten.Scope, loss *aten.Tensor, bd losses.Breakdown, at stepAt) (*aten.Tensor, losses.Breakdown, error) {
	if t.unl == nil {
		return loss, bd, nil
	}
	u := t.cfg.Unlabelled
	var sum losses.Breakdown
	for r := 0; r < u.Ratio; r++ {
		b, err := t.unl.next()
		if err != nil {
			return nil, bd, err
		}
		lu, ubd, err := t.unlabelledLoss(s, b, at)
		if err != nil {
			return nil, bd, err
		}
		loss = s.Add(loss, s.MulScalar(lu, 1/float64(u.Ratio)))
		sum.Add(ubd)
	}
	mean := sum.Mean(u.Ratio)
	bd.Total += mean.Total
	bd.Terms = append(append([]losses.Term(nil), bd.Terms...), mean.Terms...)
	if err := s.Err(); err != nil {
		return nil, bd, fmt.Errorf("dskd: unlabelled loss: %w", err)
	}
	return loss, bd, nil
}

// unlabelledLoss is one unlabelled batch's loss (owned by s): the teacher
// on the weak views, the student on the strong ones.
func (t *trainer) unlabelledLoss(s *aten.Scope, b *data.Batch, at stepAt) (*aten.Tensor, losses.Breakdown, error) {
	shape := b.Shape()
	weak, strong := input(s, b.Images, shape, t.device), input(s, b.Strong, shape, t.device)
	if err := s.Err(); err != nil {
		return nil, losses.Breakdown{}, fmt.Errorf("dskd: unlabelled batch to %s: %w", engine.DeviceName(t.device), err)
	}
	targets, err := t.teacher.targets(weak)
	if err != nil {
		return nil, losses.Breakdown{}, err
	}
	defer targets.Free()
	mode := models.Train
	if t.cfg.Unlabelled.StudentBN == StudentBNBatch {
		mode = models.BatchStats
	}
	out, err := t.prec.forward(func() (*models.Output, error) { return t.student.ForwardMode(strong, mode) })
	if err != nil {
		return nil, losses.Breakdown{}, fmt.Errorf("dskd: forward on unlabelled frames: %w", err)
	}
	defer out.Free()
	lu, bd, err := t.obj.ComputeUnlabelled(out, targets, t.cfg.Unlabelled.objective(), at.epoch)
	if err != nil {
		return nil, bd, fmt.Errorf("dskd: unlabelled loss at epoch %d step %d: %w", at.epoch, at.step, err)
	}
	return s.Adopt(lu), bd, nil
}
