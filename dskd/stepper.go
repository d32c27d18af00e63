package dskd

import (
	"github.com/rs/zerolog"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
)

// Stepper is Train's optimisation step without Train's loop: the student,
// teacher, precision, objective and optimizer of a run of cfg, stepping on
// batches the caller gives, with no run folder. The benchmark (bench/)
// times it, so that it measures the step users train with; a custom loop
// can drive it too. Like all libtorch work, every call must come from one
// goroutine locked to its OS thread (engine.Run or an engine.Worker).
type Stepper struct{ t *trainer }

// NewStepper builds what a run of cfg trains (cfg.OutDir is not used).
func NewStepper(cfg Config) (*Stepper, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	t := &trainer{cfg: cfg, log: zerolog.Nop(), state: State{Epoch: -1, Config: cfg, BestEpoch: -1, BestScore: -1}}
	if err := t.build(""); err != nil {
		return nil, err
	}
	return &Stepper{t: t}, nil
}

// BeginEpoch starts epoch as Train does: from epoch 1 on, the teacher
// takes its snapshot of the student.
func (s *Stepper) BeginEpoch(epoch int) error { return s.t.teacher.beginEpoch(epoch) }

// Step trains on b as step `step` of epoch, at the schedule's learning rate.
func (s *Stepper) Step(b *data.Batch, epoch, step int) (losses.Breakdown, error) {
	lr := s.t.cfg.Schedule.LR(s.t.cfg.LR, epoch, s.t.cfg.Epochs)
	s.t.clock.start()
	return s.t.trainStep(b, stepAt{epoch: epoch, step: step, lr: lr})
}

// TimePhases makes every later Step add the seconds of its phases to
// phases: forward_teacher (with the batch's upload), forward, loss,
// backward and optimizer.
func (s *Stepper) TimePhases(phases map[string]float64) { s.t.clock = &lapTimer{phases: phases} }

// Student is the model being trained (owned by the Stepper).
func (s *Stepper) Student() *models.UNet { return s.t.student }

// Free releases the optimizer's state; the models are freed with their
// VarStores by the garbage collector, as after Train.
func (s *Stepper) Free() { s.t.free() }
