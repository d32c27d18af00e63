package dskd

import (
	"errors"

	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
	"github.com/angioseg/dskd/report"
)

// ErrStop, returned by a hook, ends the run cleanly: after OnStep, the
// epoch is abandoned without a checkpoint (the previous one stays); after
// OnEpochEnd, the epoch's checkpoint is already written. Resume continues
// from the last checkpoint.
var ErrStop = errors.New("dskd: stopped by a hook")

// StepInfo describes one optimizer step.
type StepInfo struct {
	Epoch      int   // 0-based
	Step       int   // 0-based step within the epoch
	Steps      int   // steps in this epoch
	GlobalStep int64 // optimizer steps since the start of the run
	LR         float64
	Loss       losses.Breakdown
	// Student is the model being trained. Hooks run on the training thread
	// and may read (or, in tests, change) its tensors.
	Student models.Model
}

// EpochInfo describes a finished epoch.
type EpochInfo struct {
	Record     report.EpochRecord
	Best       bool   // this epoch is the best on validation so far
	Checkpoint string // folder of the checkpoint just written
}

// Hooks are called on the training goroutine. A non-nil error stops the
// run: ErrStop cleanly, any other error is returned by Train or Resume.
type Hooks struct {
	OnStep     func(StepInfo) error
	OnEpochEnd func(EpochInfo) error
}
