package dskd

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/angioseg/dskd/losses"
)

// PartialEpoch is an epoch stopped between two steps, as a checkpoint
// keeps it: Resume continues the epoch at step Steps, with the same data
// order and augmentation (both derive from the seed, the epoch and the
// sample), the optimizer, scaler and teacher of that moment, and the loss
// sums of the steps done, so the run ends exactly where an uninterrupted
// one ends. (The training step draws nothing from libtorch's generator.)
type PartialEpoch struct {
	Epoch   int              `json:"epoch"`
	Steps   int              `json:"steps"`   // steps done in the epoch
	Sum     losses.Breakdown `json:"sum"`     // their losses, summed
	Seconds float64          `json:"seconds"` // time spent on them
}

// Interrupted is the error of Train and Resume when their context ended
// the run between two steps. The run folder then holds a checkpoint of
// that exact point (Checkpoint), and Resume continues from it as if the
// run had never stopped; report.html shows the run so far.
type Interrupted struct {
	RunDir     string
	Epoch      int    // the epoch in progress
	Step       int    // steps of it done
	Checkpoint string // where Resume continues from
	Cause      error  // the context's Err: context.Canceled or DeadlineExceeded
	Reason     error  // context.Cause of the context (a signal's name, for the command line)
}

func (e *Interrupted) Error() string {
	return fmt.Sprintf("dskd: stopped at epoch %d step %d (%v); checkpoint %s", e.Epoch, e.Step, e.Reason, e.Checkpoint)
}

func (e *Interrupted) Unwrap() error { return e.Cause }

// partialDirName names the checkpoint of an epoch stopped after steps steps.
func partialDirName(epoch, steps int) string {
	return fmt.Sprintf("epoch-%04d-step-%04d", epoch, steps)
}

// interrupt writes the checkpoint of an epoch stopped between two steps
// (rank 0; every rank stopped at the same step) and returns the error
// that says where the run stands.
func (t *trainer) interrupt(ctx context.Context, p *PartialEpoch, started time.Time) error {
	p.Seconds += time.Since(started).Seconds()
	ck := filepath.Join(t.cfg.OutDir, checkpointsDir, partialDirName(p.Epoch, p.Steps))
	if t.rank0() {
		t.state.Partial = p
		err := t.saveCheckpoint(ck)
		t.state.Partial = nil
		if err != nil {
			return err
		}
		if err := t.probe.write(t.cfg.OutDir); err != nil {
			return err
		}
		t.log.Info().Int("epoch", p.Epoch).Int("step", p.Steps).Str("checkpoint", ck).Msg("stopped between two steps")
	}
	return &Interrupted{RunDir: t.cfg.OutDir, Epoch: p.Epoch, Step: p.Steps, Checkpoint: ck, Cause: ctx.Err(), Reason: context.Cause(ctx)}
}
